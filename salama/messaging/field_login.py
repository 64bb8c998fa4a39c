"""Field login by text (O1): a one-time link sent to the person's registered number, then a PIN
on the device (salama.safety.fieldlock).

1. Someone types a number on /l/ . Whatever the number, the answer is the same neutral page;
   tries are limited per address and per number (salama.accounts.ratelimit).
2. If the number is an active, unshared SMS contact point of a field member (staff or field
   lead; not a role that needs a second factor) in an active organisation, a link is queued to
   it through the outbox, template ``login_link`` (the link alone: neutral words). Only the
   token's SHA-256 is stored; it works once, for LINK_LIFETIME.
3. Opening the link shows a button (links in texts never act on a GET: previews fetch them);
   pressing it uses the token once (a conditional UPDATE), logs the member in with a field
   session (accounts.middleware.FIELD_SESSION_SECONDS, longer than a desk session) and asks
   for a PIN.
Each step is audited with ids only.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.http import HttpRequest

from salama.accounts import audit, factors, ratelimit
from salama.accounts.models import Membership, Organisation, Role
from salama.lib import clock
from salama.messaging.models import LoginLink, Priority
from salama.messaging.outbox import queue_message
from salama.people.models import ContactKind, ContactPoint, ContactState
from salama.people.services import value_hash_of

LINK_LIFETIME = timedelta(minutes=15)
FIELD_ROLES = (Role.STAFF, Role.FIELD_LEAD)
PER_ADDRESS = 10  # requests per address per hour
PER_NUMBER = 3  # links per number per hour
WINDOW = 3600


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _member_of(point: ContactPoint) -> Membership | None:
    if point.membership_id is not None:
        return point.membership
    person = point.persons.filter(membership__isnull=False).select_related("membership").first()
    return person.membership if person is not None else None


def _find(number: str) -> tuple[ContactPoint, Membership] | None:
    for org in Organisation.objects.filter(is_active=True).order_by("pk"):
        try:
            digest = value_hash_of(org=org, kind=ContactKind.SMS, value=number)
        except Exception:  # noqa: BLE001 - not a number: the same neutral answer
            return None
        point = (
            ContactPoint.objects.for_org(org)
            .filter(kind=ContactKind.SMS, value_hash=digest, state=ContactState.ACTIVE)
            .filter(is_shared=False)
            .first()
        )
        if point is None:
            continue
        member = _member_of(point)
        if member is None or not member.is_active or member.role not in FIELD_ROLES:
            continue
        if factors.requires_second_factor(member.user):
            continue
        return point, member
    return None


@transaction.atomic
def request_link(*, number: str, base_url: str, request: HttpRequest) -> bool:
    """Queue a login link to `number` if it is a field member's; True if one was queued (the
    caller shows the same page either way)."""
    address = audit.client_address(request) or "-"
    if not ratelimit.hit(f"login-link:addr:{address}", limit=PER_ADDRESS, window=WINDOW):
        audit.record("field_login.limited", request=request)
        return False
    found = _find(number.strip())
    if found is None:
        return False
    point, member = found
    if not ratelimit.hit(f"login-link:point:{point.pk}", limit=PER_NUMBER, window=WINDOW):
        audit.record("field_login.limited", org_id=member.org_id, obj=point)
        return False
    token = secrets.token_urlsafe(16)
    now = clock.now()
    LoginLink.objects.create(
        org_id=member.org_id,
        membership=member,
        token_hash=_digest(token),
        expires_at=now + LINK_LIFETIME,
    )
    queue_message(
        org=member.org,
        contact_point=point,
        template="login_link",
        context={"link": f"{base_url.rstrip('/')}/l/{token}"},
        priority=Priority.NORMAL,
        reason="login_link",
    )
    audit.record("field_login.sent", org_id=member.org_id, actor_id=member.user_id, obj=point)
    return True


def use_link(token: str) -> Membership | None:
    """Use the link once: its membership, or None (unknown, used, expired, member gone)."""
    now = clock.now()
    with transaction.atomic():
        link = (
            LoginLink.objects.select_for_update()
            .filter(token_hash=_digest(token), used_at__isnull=True, expires_at__gt=now)
            .select_related("membership__user", "membership__org")
            .first()
        )
        if link is None:
            return None
        LoginLink.objects.filter(pk=link.pk).update(used_at=now)
    member = link.membership
    if not member.is_active or not member.org.is_active or member.role not in FIELD_ROLES:
        return None
    audit.record("field_login.used", org_id=member.org_id, actor_id=member.user_id, obj=link)
    return member
