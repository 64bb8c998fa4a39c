"""The channel registry: channel name -> adapter, and which channel a contact point's messages
take. SMS numbers go to the console channel until gateways exist (the messaging issue registers
them); an organisation may choose with its settings ``sms_channel`` / ``email_channel``, and the
deployment default for e-mail is ``settings.OUTBOX_EMAIL_CHANNEL``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from salama.messaging.channels.base import Channel, PermanentError, TemporaryError

if TYPE_CHECKING:
    from salama.accounts.models import Organisation
    from salama.people.models import ContactPoint

__all__ = ["Channel", "PermanentError", "TemporaryError", "channel_for", "get", "register"]

REGISTRY: dict[str, Channel] = {}


def register(channel: Channel) -> Channel:
    """Add (or replace) a channel. Apps call this from their AppConfig.ready()."""
    REGISTRY[channel.name] = channel
    return channel


def get(name: str) -> Channel | None:
    return REGISTRY.get(name)


def names() -> list[str]:
    return list(REGISTRY)


def default_for_kind(kind: str) -> str:
    if kind == "email":
        return str(settings.OUTBOX_EMAIL_CHANNEL)
    return str(settings.OUTBOX_SMS_CHANNEL)


def channel_for(contact_point: ContactPoint, org: Organisation | None = None) -> str:
    """The channel name a message to `contact_point` is queued on."""
    return channel_for_kind(contact_point.kind, org or contact_point.org)


def channel_for_kind(kind: str, org: Organisation) -> str:
    """The channel an organisation's messages to contact points of `kind` are queued on: its
    chosen channel for the kind when that channel can carry it, else the deployment's."""
    chosen = org.setting(f"{kind}_channel")
    if chosen and chosen in REGISTRY and kind in REGISTRY[chosen].kinds:
        return str(chosen)
    return default_for_kind(kind)
