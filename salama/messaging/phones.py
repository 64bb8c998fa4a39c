"""Android phone gateways: adding one (its secret shown once), revoking and renewing its
secret, and what its three requests do (texts received, a poll, delivery reports). The
protocol is in salama.messaging.channels.android and docs/channels.md."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Membership, Organisation
from salama.lib import clock
from salama.messaging import inbound
from salama.messaging.channels import android
from salama.messaging.channels.http_json import FAILED
from salama.messaging.channels.http_json import _time as smsc_time
from salama.messaging.models import AndroidPhone, Delivery
from salama.messaging.outbox import record_status


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


def receive_texts(phone: AndroidPhone, items: list[dict[str, Any]]) -> int:
    """Store then handle each text the phone received (M1's inbound path)."""
    stored = 0
    for item in items:
        sender, ref = str(item.get("from", ""))[:40], str(item.get("id", ""))[:100]
        if not sender or not ref:
            continue
        sent_at: datetime | None = smsc_time(item.get("sent_at"))
        if sent_at is None and isinstance(item.get("sent_timestamp"), int | float):
            sent_at = smsc_time(float(item["sent_timestamp"]) / 1000)  # SMSSync: milliseconds
        inbound.receive(
            org=phone.org,
            channel=android.NAME,
            sender=sender,
            body=str(item.get("text", ""))[:2000],
            gateway_ref=f"{phone.pk}:{ref}",
            sent_at=sent_at,
        )
        stored += 1
    if stored:
        AndroidPhone.objects.filter(pk=phone.pk).update(last_inbound_at=clock.now())
    return stored


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
