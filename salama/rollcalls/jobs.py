"""The worker job of roll calls (the work is salama.rollcalls.services.run_due_roll_calls)."""

from salama.rollcalls.services import run_due_roll_calls


def run_rollcalls() -> bool:
    return run_due_roll_calls()
