"""Text commands contributed by higher apps (FA1's facility update), until the protocol's
registry (A1) replaces this. An app registers a function from its AppConfig.ready(); the
handler calls each in turn with the handling context, after the danger words and the sender's
checks, before the check-in rules. A function returns an Outcome when the text is its command,
else None. Messaging never imports the apps that register here."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from salama.messaging.handler import Context, Outcome

Command = Callable[["Context"], "Outcome | None"]
COMMANDS: list[Command] = []


def register(command: Command) -> Command:
    if command not in COMMANDS:
        COMMANDS.append(command)
    return command


def dispatch(ctx: Context) -> Outcome | None:
    for command in COMMANDS:
        outcome = command(ctx)
        if outcome is not None:
            return outcome
    return None
