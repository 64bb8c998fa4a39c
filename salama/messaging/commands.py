"""The text command registry (DESIGN §8, docs/architecture.md).

`messaging` owns what every text goes through: normalisation and the parser's grammar, who sent
it, suppression of numbers that may be in other hands, raw storage, replies and asking back
(salama.messaging.handler). What a text *means* for a domain is a `Command` that the domain's
app registers from its AppConfig.ready(). Messaging never imports the apps that register here.

For a text from a known, usable number, the handler offers it to each enabled command in
`order` (lower first); the first that answers with an Outcome wins. When none does, messaging's
own check-in rules apply (check-in, proxy check-in, ``AT``, ``STATUS`` — safety's services, one
floor below). After the outcome is known every watcher sees it (the duress word).

Rules the registry keeps for every command:
- a text with a help or injury word is offered only to commands that say they take it
  (`with_danger_word`): a call for help is never swallowed by another command;
- a command may refuse shared phones (`from_shared_phone=False`): it is not offered to them;
- a command whose word is itself a risk on the wire (`EVAC`, `ATTACK`) is off until the
  organisation turns it on (`off_by_default`; the setting ``commands`` lists those turned on).
Keywords stay in vocabulary tables the organisation can rename, extend and disable: the core
ones in salama.messaging.vocabulary (/messaging/keywords/), an app's own in its app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from salama.accounts.models import Organisation
    from salama.messaging.handler import Context, Outcome


@dataclass(frozen=True)
class Command:
    name: str  # also the name an organisation turns it on by, when off_by_default
    run: Callable[[Context], Outcome | None]  # None: this text is not this command
    order: int = 100
    with_danger_word: bool = False
    from_shared_phone: bool = True
    off_by_default: bool = False


COMMANDS: list[Command] = []
WATCHERS: list[Callable[[Context, Outcome], None]] = []


def register(command: Command) -> Command:
    """Add a command (from an AppConfig.ready()); registering the same name again replaces it."""
    COMMANDS[:] = sorted(
        [c for c in COMMANDS if c.name != command.name] + [command], key=lambda c: c.order
    )
    return command


def watch(watcher: Callable[[Context, Outcome], None]) -> Callable[[Context, Outcome], None]:
    """Add a watcher: called with every handled text's outcome, in the same transaction."""
    if watcher not in WATCHERS:
        WATCHERS.append(watcher)
    return watcher


def is_enabled(command: Command, org: Organisation) -> bool:
    if not command.off_by_default:
        return True
    return command.name in (org.setting("commands", []) or [])


def dispatch(ctx: Context, *, danger: bool, shared: bool) -> Outcome | None:
    """The first enabled command's outcome for this text, or None."""
    for command in COMMANDS:
        if danger and not command.with_danger_word:
            continue
        if shared and not command.from_shared_phone:
            continue
        if not is_enabled(command, ctx.org):
            continue
        outcome = command.run(ctx)
        if outcome is not None:
            return outcome
    return None


def after(ctx: Context, outcome: Outcome) -> None:
    for watcher in WATCHERS:
        watcher(ctx, outcome)
