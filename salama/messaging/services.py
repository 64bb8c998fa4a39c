"""Writes of the text channel that are not the outbox: moving a person, personal codes, the
unmatched list (attach a number to a person, dismiss), and the organisation's gateways."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Membership, Organisation
from salama.lib import clock, keyring
from salama.lib.textnorm import normalize
from salama.messaging import hooks
from salama.messaging.keywords import vocabulary_for
from salama.messaging.models import (
    CodeTries,
    Gateway,
    GatewayKind,
    InboundMessage,
    InboundState,
    PersonalCode,
)
from salama.messaging.parser import parse
from salama.messaging.vocabulary import Intent
from salama.people.models import Area, ContactKind, ContactPoint, ContactState, Person
from salama.people.services import add_contact_point, update_person

PERSONAL_CODE_DIGITS = (6, 12)  # a code of digits only
PERSONAL_CODE_WORDS = (2, 3)  # or words, each of WORD_LENGTH Latin letters or digits
PERSONAL_CODE_WORD_LENGTH = (3, 12)
CODE_FREE_TRIES = 5  # failed NEW tries per person, and per sending number, before a lock
CODE_LOCK = timedelta(hours=1)  # how long a lock refuses every try, right or wrong
CODE_FORGET = timedelta(hours=24)  # failures are forgotten after this long without one


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
    # The words of a code are hashed together: "olive garden" as typed or as a text carries it.
    joined = normalize(code).replace(" ", "")
    return keyring.lookup_hash(org_id, f"personal-code:{person.pk}:{joined}")


def _is_code_shape(code: str) -> bool:
    words = code.split()
    if len(words) == 1:
        low, high = PERSONAL_CODE_DIGITS
        return code.isascii() and code.isdigit() and low <= len(code) <= high
    low, high = PERSONAL_CODE_WORD_LENGTH
    return PERSONAL_CODE_WORDS[0] <= len(words) <= PERSONAL_CODE_WORDS[1] and all(
        w.isascii() and w.isalnum() and low <= len(w) <= high for w in words
    )


def _travels_by_text(org: Organisation, code: str) -> bool:
    """Whether ``NEW <codename> <code>`` reads back as this code (no status or help word in it)."""
    vocabulary = vocabulary_for(org)
    word = next((w for w, i in vocabulary.words.items() if i == Intent.NEW), None)
    if word is None:
        return True  # the organisation turned NEW off: nothing to check against
    parsed = parse(f"{word} k1 {code}", vocabulary=vocabulary)
    return parsed.kind == "new" and parsed.personal_code == code.replace(" ", "")


@transaction.atomic
def set_personal_code(
    *, person: Person, code: str, by: Membership | None = None, request: HttpRequest | None = None
) -> PersonalCode:
    """Set the code the person gives with ``NEW <codename> <code>`` from a new number: six to
    twelve digits, or two or three words. Kept only as a keyed hash; a new code lifts a lock
    of the person's code."""
    code = " ".join(normalize(code).split())
    if not _is_code_shape(code):
        raise ValidationError(
            _("A personal code is six to twelve digits, or two or three words of three to "
              "twelve Latin letters or digits."),
        )  # fmt: skip
    if not _travels_by_text(person.org, code):
        raise ValidationError(_("A personal code cannot hold a status or help word."))
    code = code.replace(" ", "")
    row, _created = PersonalCode.objects.for_org(person.org_id).update_or_create(
        person=person,
        defaults={"org_id": person.org_id, "code_hash": _code_hash(person.org_id, person, code),
                  "created_at": clock.now()},
    )  # fmt: skip
    CodeTries.objects.for_org(person.org_id).filter(key=f"person:{person.pk}").delete()
    audit.record(
        "person.personal_code",
        org_id=person.org_id,
        actor_id=by.user_id if by else None,
        obj=person,
        request=request,
    )
    return row


def check_personal_code(*, org: Organisation, codename: str, code: str) -> Person | None:
    """The active person with this codename whose personal code this is, else None. Counts no
    try: the text channel calls try_personal_code."""
    person = Person.objects.for_org(org).filter(codename__iexact=codename, is_active=True).first()
    if person is None:
        return None
    stored = PersonalCode.objects.for_org(org).filter(person=person).first()
    if stored is None:
        return None
    expected = _code_hash(org.pk, person, code)
    return person if secrets.compare_digest(stored.code_hash, expected) else None


@transaction.atomic
def try_personal_code(*, inbound: InboundMessage, codename: str, code: str) -> Person | None:
    """``NEW <codename> <code>`` from an unknown number, against guessing. First the tries are
    counted: per person (when the codename is one) and per sending number. While either is
    locked the code is not even compared. A wrong code (or an unknown codename, or a person
    with no code) is a failure of both; the CODE_FREE_TRIES-th locks each for CODE_LOCK, and
    so does every later one until CODE_FORGET has passed without a failure. A lock raises one
    routine alert to the coordinators (code_locked), audited with ids only. A right code
    forgets both. The caller answers the same neutral text whatever happened."""
    org = inbound.org
    now = clock.now()
    person = Person.objects.for_org(org).filter(codename__iexact=codename, is_active=True).first()
    keys = [f"number:{inbound.sender_hash}"] + ([f"person:{person.pk}"] if person else [])
    rows = [_tries(org, key, now) for key in keys]
    if any(r.locked_until is not None and r.locked_until > now for r in rows):
        return None
    found = check_personal_code(org=org, codename=codename, code=code) if person else None
    if found is not None:
        CodeTries.objects.for_org(org).filter(pk__in=[r.pk for r in rows]).delete()
        return found
    alert_id: int | None = None
    for row in rows:
        if now - row.last_failure_at > CODE_FORGET:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        if row.failures >= CODE_FREE_TRIES:
            row.locked_until = now + CODE_LOCK
            if alert_id is None and not hooks.alert_is_open(org=org, alert_id=row.alert_id):
                alert_id = hooks.code_locked(
                    org=org, person=person, inbound=inbound,
                    by=row.key.split(":", 1)[0], failures=row.failures,
                )  # fmt: skip
            row.alert_id = alert_id or row.alert_id
        row.save()
    return None


def _tries(org: Organisation, key: str, now: datetime) -> CodeTries:
    row, _created = (
        CodeTries.objects.for_org(org)
        .select_for_update()
        .get_or_create(org=org, key=key, defaults={"last_failure_at": now})
    )
    return row


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
