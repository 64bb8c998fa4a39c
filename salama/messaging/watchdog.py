"""The gateway watchdog: a routine alert (kind gateway_warning) when a gateway

- normally receives traffic (at least ``WATCHDOG_MIN_INBOUND`` texts in the
  ``WATCHDOG_BASELINE_DAYS`` before) and has received nothing for ``WATCHDOG_SILENCE_MINUTES``;
  an Android phone that has not polled for that long while texts wait for it is silent too;
- keeps failing: ``WATCHDOG_FAILURES`` failed attempts or more in the last
  ``WATCHDOG_WINDOW_MINUTES``, and no hand-off in that time;
- is polled from an unknown address (an Android phone; raised by the poll itself).

The alert goes to the coordinators on duty through another channel than the gateway's own
(e-mail, or another gateway; the messaging.gateway_warning hook, provided by alerts). One
warning per gateway and reason stays open until the gateway recovers (GatewayWarning), so a
fault warns once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from salama.accounts.models import Organisation
from salama.lib import clock
from salama.messaging import hooks
from salama.messaging.models import (
    AndroidPhone,
    Delivery,
    DeliveryState,
    Gateway,
    GatewayWarning,
    InboundMessage,
    Priority,
)

SILENT = "silent"
FAILING = "failing"
UNKNOWN_ADDRESS = "unknown_address"


def warn(*, org: Organisation, source: str, reason: str, label: str = "") -> bool:
    """Raise the routine alert for `source` and `reason` unless one is open. Returns whether
    one was raised."""
    avoid = ("android",) if source.startswith("android") else (source,)
    try:
        with transaction.atomic():
            warning = GatewayWarning.objects.create(org=org, source=source, reason=reason)
            alert_id = hooks.gateway_warning(
                org=org, template="gateway_warning", avoid_channels=avoid, priority=Priority.NORMAL
            )
            GatewayWarning.objects.filter(pk=warning.pk).update(alert_id=alert_id)
    except IntegrityError:
        return False
    return True


def clear(*, org: Organisation, source: str, reason: str) -> None:
    GatewayWarning.objects.for_org(org).filter(
        source=source, reason=reason, cleared_at__isnull=True
    ).update(cleared_at=clock.now())


def _minutes(name: str, default: float) -> timedelta:
    return timedelta(minutes=float(getattr(settings, name, default)))


def _silent_inbound(org: Organisation, inbound: object, last: object) -> bool:
    """Whether a source with these texts (a queryset) and this last inbound time is silent."""
    now = clock.now()
    silence = _minutes("WATCHDOG_SILENCE_MINUTES", 120)
    baseline = timedelta(days=float(getattr(settings, "WATCHDOG_BASELINE_DAYS", 7)))
    if last is None or last > now - silence:  # type: ignore[operator]
        return False
    usual = inbound.filter(received_at__gte=now - baseline).count()  # type: ignore[attr-defined]
    return bool(usual >= int(getattr(settings, "WATCHDOG_MIN_INBOUND", 5)))


def _failing(org: Organisation, channel: str) -> bool:
    since = clock.now() - _minutes("WATCHDOG_WINDOW_MINUTES", 30)
    ours = Delivery.objects.for_org(org).filter(channel=channel, updated_at__gte=since)
    failures = (
        ours.filter(state__in=[DeliveryState.FAILED, DeliveryState.DEAD])
        .exclude(last_error="suppressed")
        .count()
    )
    if failures < int(getattr(settings, "WATCHDOG_FAILURES", 5)):
        return False
    return not ours.filter(handed_off_at__gte=since).exists()


def _check(org: Organisation, source: str, reason: str, bad: bool, label: str) -> bool:
    if bad:
        return warn(org=org, source=source, reason=reason, label=label)
    clear(org=org, source=source, reason=reason)
    return False


def watch_gateways() -> bool:
    """Worker job: ``check_gateways`` at most once a minute per worker process."""
    now = clock.now()
    if _LAST_RUN and timedelta(0) <= now - _LAST_RUN[0] < timedelta(seconds=60):
        return False
    _LAST_RUN[:] = [now]
    return check_gateways()


def check_gateways() -> bool:
    """Check every active gateway and phone; returns whether a warning was raised."""
    raised = False
    for gateway in Gateway.objects.filter(is_active=True).select_related("org"):
        org = gateway.org
        texts = InboundMessage.objects.for_org(org).filter(gateway=gateway)
        last = texts.order_by("-received_at").values_list("received_at", flat=True).first()
        raised |= _check(org, gateway.kind, SILENT, _silent_inbound(org, texts, last), "")
        raised |= _check(org, gateway.kind, FAILING, _failing(org, gateway.kind), "")
    for phone in AndroidPhone.objects.filter(is_active=True).select_related("org"):
        org = phone.org
        texts = InboundMessage.objects.for_org(org).filter(
            channel="android", gateway_ref__startswith=f"{phone.pk}:"
        )
        silent = _silent_inbound(org, texts, phone.last_inbound_at) or _not_polling(phone)
        raised |= _check(org, phone.bucket, SILENT, silent, phone.label)
    for org_id in (
        AndroidPhone.objects.filter(is_active=True).values_list("org_id", flat=True).distinct()
    ):
        org = Organisation.objects.get(pk=org_id)
        raised |= _check(org, "android", FAILING, _failing(org, "android"), "")
    return raised


def _not_polling(phone: AndroidPhone) -> bool:
    """No poll for the silence time while texts wait on the android channel."""
    silence = _minutes("WATCHDOG_SILENCE_MINUTES", 120)
    if phone.last_poll_at is not None and phone.last_poll_at > clock.now() - silence:
        return False
    waiting = Delivery.objects.for_org(phone.org_id).filter(
        channel="android",
        state__in=[DeliveryState.QUEUED, DeliveryState.FAILED],
        created_at__lte=clock.now() - silence,
    )
    return waiting.exists()


_LAST_RUN: list[datetime] = []
