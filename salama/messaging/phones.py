"""Android phone gateways: adding one (its secret shown once), revoking and renewing its
secret, and what its three requests do (texts received, a poll, delivery reports). The
protocol is in salama.messaging.channels.android and docs/channels.md."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Membership, Organisation
from salama.lib import clock
from salama.messaging import inbound
from salama.messaging.channels import android
from salama.messaging.channels.http_json import FAILED
from salama.messaging.channels.http_json import _time as smsc_time
from salama.messaging.models import AndroidPhone, Delivery, DeliveryState
from salama.messaging.outbox import record_status

# The most references one SMSSync task call names or is answered with.
MAX_REFS = 200


def _actor(by: Membership | None) -> int | None:
    return by.user_id if by else None


@transaction.atomic
def add_phone(
    *,
    org: Organisation,
    label: str,
    operator: str = "",
    per_minute: int = 20,
    by: Membership | None = None,
    request: HttpRequest | None = None,
) -> tuple[AndroidPhone, str]:
    """A new phone and its secret (returned once, stored only as a hash)."""
    label = label.strip()
    if not label:
        raise ValidationError(_("Give the phone a name."))
    if not 1 <= per_minute < android.ANDROID_LIMIT_PER_MINUTE:
        raise ValidationError(_("A phone sends 1 to 29 texts a minute (Android stops at 30)."))
    secret = android.new_secret()
    phone = AndroidPhone.objects.create(
        org=org,
        label=label[:40],
        key=secrets.token_urlsafe(12),
        secret_hash=android.hash_secret(secret),
        operator=operator.strip()[:40],
        per_minute=per_minute,
    )
    android.set_pacing(phone)
    audit.record("messaging.phone_add", org_id=org.pk, actor_id=_actor(by), obj=phone,
                 request=request)  # fmt: skip
    return phone, secret


@transaction.atomic
def revoke_phone(
    *, phone: AndroidPhone, by: Membership | None = None, request: HttpRequest | None = None
) -> bool:
    """Revoke the phone's secret at once: its next request is refused (403)."""
    done = AndroidPhone.objects.filter(pk=phone.pk, is_active=True).update(
        is_active=False, secret_hash="", revoked_at=clock.now(), revoked_by=by
    )
    if done:
        audit.record("messaging.phone_revoke", org_id=phone.org_id, actor_id=_actor(by),
                     obj=phone, request=request)  # fmt: skip
    return bool(done)


@transaction.atomic
def renew_secret(
    *, phone: AndroidPhone, by: Membership | None = None, request: HttpRequest | None = None
) -> str:
    """A new secret for the phone (the old one stops working); active again."""
    secret = android.new_secret()
    AndroidPhone.objects.filter(pk=phone.pk).update(
        secret_hash=android.hash_secret(secret), is_active=True, revoked_at=None
    )
    audit.record("messaging.phone_secret", org_id=phone.org_id, actor_id=_actor(by),
                 obj=phone, request=request)  # fmt: skip
    return secret


# --- The phone's requests ---------------------------------------------------------------------


def note_address(phone: AndroidPhone, address: str | None) -> bool:
    """Whether `address` is one the phone is known to use. The first address seen becomes
    known; another one raises a gateway warning (the watchdog) and is still served."""
    if not address:
        return True
    if not phone.known_addresses:
        AndroidPhone.objects.filter(pk=phone.pk).update(known_addresses=[address])
        phone.known_addresses = [address]
        return True
    if address in phone.known_addresses:
        return True
    from salama.messaging import watchdog

    watchdog.warn(org=phone.org, source=phone.bucket, reason=watchdog.UNKNOWN_ADDRESS,
                  label=phone.label)  # fmt: skip
    return False


def _sent_at(item: dict[str, Any]) -> datetime | None:
    """The SMSC's time: ``sent_at`` (ISO 8601 or Unix seconds), else ``sent_timestamp``, Unix
    milliseconds as SMSSync sends it (a number or its digits; one too small to be
    milliseconds since 1973 is taken as seconds)."""
    sent_at: datetime | None = smsc_time(item.get("sent_at"))
    stamp = item.get("sent_timestamp")
    if sent_at is not None or stamp in (None, "") or isinstance(stamp, bool):
        return sent_at
    try:
        value = float(stamp)
    except (TypeError, ValueError):
        return None
    return smsc_time(value / 1000 if value > 1e11 else value)


def receive_texts(phone: AndroidPhone, items: list[dict[str, Any]]) -> tuple[int, int]:
    """Store then handle each text the phone received (M1's inbound path). Returns (stored,
    refused): a text without a sender or an id cannot be stored (the phone must be told, so
    that it keeps it). A failure to store raises: the caller answers with an error status."""
    stored = refused = 0
    for item in items:
        sender, ref = str(item.get("from") or "")[:40], str(item.get("id") or "")[:100]
        if not sender.strip() or not ref.strip():
            refused += 1
            continue
        inbound.receive(
            org=phone.org,
            channel=android.NAME,
            sender=sender,
            body=str(item.get("text") or "")[:2000],
            gateway_ref=f"{phone.pk}:{ref}",
            sent_at=_sent_at(item),
        )
        stored += 1
    if stored:
        AndroidPhone.objects.filter(pk=phone.pk).update(last_inbound_at=clock.now())
    return stored, refused


def poll(phone: AndroidPhone) -> list[dict[str, Any]]:
    """The texts for the phone to send now (each one handed off); notes the poll's time."""
    from salama.messaging import budget

    held = phone.org_id in budget.held_org_ids(android.NAME)
    return android.outgoing(phone, held=held)


def record_reports(phone: AndroidPhone, items: list[dict[str, Any]]) -> int:
    """The phone's "sent", "delivered" or "failed" reports for texts it took."""
    done = 0
    ours = Delivery.objects.for_org(phone.org_id).filter(channel=android.NAME)
    for item in items:
        ref, state = str(item.get("ref", ""))[:32], str(item.get("status", "")).lower()
        if not ref or not ours.filter(our_ref=ref).exists():
            continue
        if state == "delivered" or state in FAILED:
            error = f"android {state} {str(item.get('error', ''))[:40]}".strip()
            done += record_status(our_ref=ref, delivered=state == "delivered", error=error)
        # "sent": the phone handed it to its network; the hand-off is already recorded.
    return done


def _handed(phone: AndroidPhone) -> QuerySet[Delivery]:
    return Delivery.objects.for_org(phone.org_id).filter(channel=android.NAME)


def handed_refs(phone: AndroidPhone, refs: list[str]) -> list[str]:
    """Of `refs`, those handed to this phone by a poll (SMSSync's task=sent), in their order."""
    wanted = {f"{phone.key}:{ref}": ref for ref in refs[:MAX_REFS] if ref}
    found = set(
        _handed(phone).filter(provider_ref__in=list(wanted)).values_list("our_ref", flat=True)
    )
    return [ref for ref in wanted.values() if ref in found]


def awaiting_reports(phone: AndroidPhone) -> list[str]:
    """References handed to this phone and still waiting for a delivery report (SMSSync's
    GET task=result), the oldest first."""
    rows = _handed(phone).filter(state=DeliveryState.SENT, provider_ref__startswith=f"{phone.key}:")
    return list(rows.order_by("id").values_list("our_ref", flat=True)[:MAX_REFS])
