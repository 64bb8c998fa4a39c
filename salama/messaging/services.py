"""Writes of the text channel that are not the outbox: moving a person, personal codes, the
unmatched list (attach a number to a person, dismiss), and the organisation's gateways."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Membership, Organisation
from salama.lib import clock, keyring
from salama.lib.textnorm import normalize
from salama.messaging.models import (
    Gateway,
    GatewayKind,
    InboundMessage,
    InboundState,
    PersonalCode,
)
from salama.people.models import Area, ContactKind, ContactPoint, ContactState, Person
from salama.people.services import add_contact_point, update_person

PERSONAL_CODE_LENGTH = (4, 12)


@transaction.atomic
def move_person(*, person: Person, area: Area, via: str, by: Membership | None = None) -> Person:
    """The person says they are now in `area` (``AT Sukkari``): their current area changes.
    Audited with ids only."""
    if area.org_id != person.org_id:
        raise ValidationError(_("Unknown area."))
    if person.area_id != area.pk:
        update_person(person=person, area=area)
    audit.record(
        "person.move",
        org_id=person.org_id,
        actor_id=by.user_id if by else None,
        obj=person,
        detail={"area": area.pk, "via": via[:12]},
    )
    return person


# --- Personal codes ---------------------------------------------------------------------------


def _code_hash(org_id: int, person: Person, code: str) -> str:
    # Bound to the person, so one code hash says nothing about another person's code.
    return keyring.lookup_hash(org_id, f"personal-code:{person.pk}:{normalize(code)}")


@transaction.atomic
def set_personal_code(
    *, person: Person, code: str, by: Membership | None = None, request: HttpRequest | None = None
) -> PersonalCode:
    """Set the short code the person gives with ``NEW <codename> <code>`` from a new number.
    Kept only as a keyed hash."""
    code = normalize(code).replace(" ", "")
    low, high = PERSONAL_CODE_LENGTH
    if not (low <= len(code) <= high) or not code.isascii() or not code.isalnum():
        raise ValidationError(
            _("A personal code has %(low)d to %(high)d Latin letters or digits."),
            params={"low": low, "high": high},
        )
    row, _created = PersonalCode.objects.for_org(person.org_id).update_or_create(
        person=person,
        defaults={"org_id": person.org_id, "code_hash": _code_hash(person.org_id, person, code),
                  "created_at": clock.now()},
    )  # fmt: skip
    audit.record(
        "person.personal_code",
        org_id=person.org_id,
        actor_id=by.user_id if by else None,
        obj=person,
        request=request,
    )
    return row


def check_personal_code(*, org: Organisation, codename: str, code: str) -> Person | None:
    """The active person with this codename whose personal code this is, else None."""
    person = Person.objects.for_org(org).filter(codename__iexact=codename, is_active=True).first()
    if person is None:
        return None
    stored = PersonalCode.objects.for_org(org).filter(person=person).first()
    if stored is None:
        return None
    expected = _code_hash(org.pk, person, code)
    return person if secrets.compare_digest(stored.code_hash, expected) else None


# --- The unmatched list -----------------------------------------------------------------------


def attach_sender(
    *, inbound: InboundMessage, person: Person, by: Membership | None, how: str
) -> ContactPoint:
    """Attach the number that sent `inbound` to `person`, as a provisional number (until the
    person is enrolled with it). Audited; the caller replays the waiting texts."""
    if person.org_id != inbound.org_id:
        raise ValidationError(_("Unknown person."))
    point = add_contact_point(
        org=inbound.org,
        kind=ContactKind.SMS,
        value=str(inbound.sender),
        persons=[person],
        state=ContactState.PROVISIONAL,
    )
    audit.record(
        "messaging.attach_number",
        org_id=inbound.org_id,
        actor_id=by.user_id if by else None,
        obj=point,
        detail={"person": person.pk, "inbound": inbound.pk, "how": how},
    )
    return point


@transaction.atomic
def dismiss_unmatched(
    *, inbound: InboundMessage, by: Membership, request: HttpRequest | None = None
) -> bool:
    done = InboundMessage.objects.filter(pk=inbound.pk, state=InboundState.UNMATCHED).update(
        state=InboundState.RESOLVED, resolved_at=clock.now(), resolved_by=by
    )
    if done:
        audit.record(
            "messaging.dismiss_inbound", org_id=inbound.org_id, obj=inbound, request=request
        )
    return bool(done)


# --- Gateways ---------------------------------------------------------------------------------

CREDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {
    GatewayKind.HTTP_JSON: ("send_token", "webhook_secret", "sender"),
    GatewayKind.TWILIO: ("account_sid", "auth_token", "sender", "messaging_service_sid"),
}


@transaction.atomic
def save_gateway(
    *,
    org: Organisation,
    kind: str,
    base_url: str,
    public_url: str,
    credentials: Mapping[str, str],
    is_active: bool,
    use_for_sms: bool,
    by: Membership | None = None,
    request: HttpRequest | None = None,
) -> Gateway:
    """Create or change the organisation's gateway of `kind`. A credential left empty keeps the
    stored one (forms never show secrets back). Audited without any secret."""
    if kind not in CREDENTIAL_FIELDS:
        raise ValidationError(_("Unknown kind of gateway."))
    gateway = Gateway.objects.for_org(org).select_for_update().filter(kind=kind).first()
    stored: dict[str, str] = {}
    if gateway is None:
        gateway = Gateway(org=org, kind=kind, key=secrets.token_urlsafe(12))
    elif gateway.credentials:
        stored = json.loads(str(gateway.credentials))
    for name in CREDENTIAL_FIELDS[kind]:
        value = (credentials.get(name) or "").strip()
        if value:
            stored[name] = value
    gateway.base_url = base_url.strip()
    gateway.public_url = public_url.strip()
    gateway.credentials = json.dumps(stored)
    gateway.is_active = is_active
    gateway.updated_at = clock.now()
    gateway.save()
    locked = Organisation.objects.select_for_update().get(pk=org.pk)
    if use_for_sms:
        locked.settings["sms_channel"] = kind
    elif locked.settings.get("sms_channel") == kind:
        locked.settings.pop("sms_channel")
    locked.save(update_fields=["settings"])
    org.settings = locked.settings
    audit.record(
        "messaging.gateway_save",
        org_id=org.pk,
        actor_id=by.user_id if by else None,
        obj=gateway,
        request=request,
        detail={"kind": kind, "active": is_active, "sms": use_for_sms},
    )
    return gateway
