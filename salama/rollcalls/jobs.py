"""The worker job of roll calls: close those past their deadline (with the digest), and re-send
to the silent once `resend_after_minutes` have passed since the last send."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from salama.lib import clock
from salama.rollcalls.models import RollCall, RollCallState
from salama.rollcalls.services import close_roll_call, resend_silent


def run_rollcalls() -> bool:
    now = clock.now()
    did = False
    for roll_call in RollCall.objects.filter(state=RollCallState.OPEN).select_related("org"):
        if roll_call.deadline_at <= now:
            did |= close_roll_call(roll_call=roll_call)
            continue
        if not roll_call.resend_after_minutes or roll_call.resends_done >= roll_call.resend_max:
            continue
        due = roll_call.last_send_at + timedelta(minutes=roll_call.resend_after_minutes)
        if due > now:
            continue
        with transaction.atomic():
            # Claimed with a conditional update: two workers never both re-send.
            claimed = RollCall.objects.filter(
                pk=roll_call.pk, resends_done=roll_call.resends_done, state=RollCallState.OPEN
            ).update(resends_done=roll_call.resends_done + 1, last_send_at=now)
            if claimed:
                resend_silent(roll_call)
                did = True
    return did
