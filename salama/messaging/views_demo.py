"""The demo's phones (U1 item 9): what each demo phone received from the console channel (its
inbox) and what it sent (its outbox), so a new user sees the SMS side without reading a log
file. Only in the demonstration (settings.DEMO): elsewhere the page says so and lists nothing."""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from salama.accounts.access import COORDINATING, roles
from salama.messaging.models import Delivery, InboundMessage

LIMIT = 300  # rows of each kind, newest first


@dataclass
class Phone:
    point: Any
    inbox: list[Any] = field(default_factory=list)  # (at, body) the phone received
    outbox: list[Any] = field(default_factory=list)  # (at, body) the phone sent


def demo_phones(org: Any) -> list[Phone]:
    phones: dict[Any, Phone] = {}
    sent = (
        Delivery.objects.for_org(org)
        .filter(channel="console")
        .exclude(handed_off_at=None)
        .select_related("message__contact_point")
        .prefetch_related("message__contact_point__persons")
        .order_by("-handed_off_at", "-id")[:LIMIT]
    )
    for delivery in sent:
        point = delivery.message.contact_point
        phone = phones.setdefault(point.pk if point else None, Phone(point))
        phone.inbox.append((delivery.handed_off_at, delivery.message.body))
    received = (
        InboundMessage.objects.for_org(org)
        .select_related("contact_point")
        .prefetch_related("contact_point__persons")
        .order_by("-received_at", "-id")[:LIMIT]
    )
    for row in received:
        point = row.contact_point
        phone = phones.setdefault(point.pk if point else None, Phone(point))
        phone.outbox.append((row.received_at, row.body))
    return sorted(phones.values(), key=lambda p: (p.point is None, getattr(p.point, "pk", 0)))


@roles(*COORDINATING)
def phones(request: HttpRequest) -> HttpResponse:
    found = demo_phones(request.org) if settings.DEMO else []  # type: ignore[attr-defined]
    return render(request, "messaging/demo_phones.html", {"phones": found})
