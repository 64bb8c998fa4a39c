"""Named hooks: how a lower app lets a higher one react without importing it (docs/architecture.md).

A lower app declares its hooks in its own `hooks.py`, one module per app, so a reader sees in one
place every point where higher apps may act. A hook is named and typed by a stub function:

    def _checkin_recorded(*, checkin: CheckIn, person: Person) -> None: ...
    checkin_recorded = Hook("safety.checkin_recorded", _checkin_recorded)

and the app calls it where the event happens, inside the same transaction:

    hooks.checkin_recorded(checkin=checkin, person=person)

A higher app registers its reaction from its AppConfig.ready():

    safety_hooks.checkin_recorded.register(on_checkin)

Receivers run in registration order (the apps' order in INSTALLED_APPS). A `Gather` returns
every receiver's answer (panels a higher app adds to a lower app's page). A `Provider` is a hook
with exactly one receiver that answers (a routine alert's id): calling it before anything is
registered is a programming error, not a silent no-op. No Django signals: hooks are typed,
explicit and listed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class Hook(Generic[P]):
    """Any number of receivers; each is called with the same arguments; nothing is returned."""

    def __init__(self, name: str, signature: Callable[P, object]) -> None:
        self.name = name
        self.receivers: list[Callable[P, object]] = []

    def register(self, receiver: Callable[P, object]) -> Callable[P, object]:
        if receiver not in self.receivers:
            self.receivers.append(receiver)
        return receiver

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> None:
        for receiver in self.receivers:
            receiver(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self.receivers)} receivers>"


class Gather(Generic[P, R]):
    """Any number of receivers; the answers are returned in registration order (a page in a
    lower app gathering what higher apps add to it)."""

    def __init__(self, name: str, signature: Callable[P, R]) -> None:
        self.name = name
        self.receivers: list[Callable[P, R]] = []

    def register(self, receiver: Callable[P, R]) -> Callable[P, R]:
        if receiver not in self.receivers:
            self.receivers.append(receiver)
        return receiver

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> list[R]:
        return [receiver(*args, **kwargs) for receiver in self.receivers]

    def __repr__(self) -> str:
        return f"<Gather {self.name}: {len(self.receivers)} receivers>"


class Provider(Generic[P, R]):
    """Exactly one receiver, whose answer is returned."""

    def __init__(self, name: str, signature: Callable[P, R]) -> None:
        self.name = name
        self.receiver: Callable[P, R] | None = None

    def register(self, receiver: Callable[P, R]) -> Callable[P, R]:
        if self.receiver is not None and self.receiver is not receiver:
            raise RuntimeError(f"{self.name} is provided already by {self.receiver!r}")
        self.receiver = receiver
        return receiver

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if self.receiver is None:
            raise RuntimeError(f"nothing provides {self.name}: is its app installed?")
        return self.receiver(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Provider {self.name}: {self.receiver!r}>"
