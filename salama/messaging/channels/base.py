"""The channel adapter interface. A channel hands one delivery to a provider (an SMTP server, an
SMS gateway, the console sink) and says how it went:

- ``send`` returns the provider's reference for the message (or "" when it gives none);
- it raises ``TemporaryError`` when trying again later may work (a timeout, an SMTP 4xx, a
  gateway's 429 or 5xx): the outbox backs off and retries, then gives up (dead);
- it raises ``PermanentError`` when it never will (an SMTP 5xx, a number the gateway rejects):
  the delivery is dead at once, and coordinators see it.

A channel may split the hand-off (``prepare``): what reads the database first, in the worker's
thread, then the network call. A channel whose network call is thread-safe and touches neither
the database nor shared state sets ``concurrent``: the outbox then runs several of its hand-offs
at once (``settings.OUTBOX_SEND_CONCURRENCY``), which is how one worker keeps up with a gateway
configured at a hundred texts a second. The default runs ``send`` whole, one at a time.

Error texts must carry codes only (``smtp 550``), never an address or a body: they are stored
in ``Delivery.last_error`` and shown on pages.

Gateways (the messaging issue) also implement the hooks below: ``verify`` a webhook's signature,
``receive`` an inbound text, ``status`` a delivery report. Console and SMTP need none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from django.http import HttpRequest

    from salama.messaging.models import Delivery, Message


class ChannelError(Exception):
    """A failed hand-off. `code` is short and free of personal data."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code[:120]


class TemporaryError(ChannelError):
    """Try again later."""


class PermanentError(ChannelError):
    """Never try this delivery again."""


@dataclass(frozen=True)
class Inbound:
    """One text received by a gateway (for the messaging issue)."""

    sender: str
    body: str
    provider_ref: str
    received_at: datetime | None = None


@dataclass(frozen=True)
class StatusReport:
    """A delivery report: our reference or the provider's, and whether it arrived."""

    our_ref: str
    provider_ref: str
    delivered: bool
    error: str = ""


class Channel:
    """Subclass, set `name` and `kinds` (the contact-point kinds it can reach), implement send."""

    name: ClassVar[str] = ""
    kinds: ClassVar[tuple[str, ...]] = ()
    # Whether the calls `prepare` returns may run in other threads, several at once.
    concurrent: ClassVar[bool] = False

    def send(self, delivery: Delivery, message: Message, address: str) -> str:
        raise NotImplementedError

    def prepare(self, delivery: Delivery, message: Message, address: str) -> Callable[[], str]:
        """Everything that needs the database (and may raise the channel's errors), done now in
        the caller's thread; returns the hand-off itself, which returns the provider's reference
        or raises. With ``concurrent`` set, the hand-off must touch no database connection and
        no shared mutable state: it runs in a pool thread."""
        return lambda: self.send(delivery, message, address)

    # Hooks for gateways. The defaults say "not supported".
    def verify(self, request: HttpRequest) -> bool:
        return False

    def receive(self, request: HttpRequest) -> list[Inbound]:
        return []

    def status(self, request: HttpRequest) -> list[StatusReport]:
        return []

    def describe(self) -> dict[str, Any]:
        """What an operator page may show about this channel (no secrets)."""
        return {"name": self.name, "kinds": list(self.kinds)}
