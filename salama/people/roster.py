"""Persons on the roster: a contact to add with them (``ContactSpec``), the codename rule,
creating and changing a person (only the fields in ``PERSON_FIELDS``, never the current-state
columns) with their contact points, and recording their enrolment (which activates their
provisional contact points).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.access import COORDINATING
from salama.accounts.models import Membership, Organisation, Role
from salama.lib import clock
from salama.people.base import _same_org
from salama.people.contacts import add_contact_point
from salama.people.models import ContactKind, ContactState, Person

CODENAME_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,19}$")
ENROLMENT_WAYS = ("in_person", "voice")
# Contact point states that enrolment turns into "active"; suspended and compromised stay.
_PROMOTED_BY_ENROLMENT = (ContactState.PROVISIONAL,)
# Person fields that create_person / update_person accept.
PERSON_FIELDS = (
    "codename",
    "role",
    "team",
    "home_facility",
    "area",
    "language",
    "dependants",
    "is_active",
    "real_name",
    "specialty",
    "exact_location",
    "membership",
)

# --- Persons ----------------------------------------------------------------------------------


@dataclass
class ContactSpec:
    """One contact point to add with a person (pages, CSV import, demo)."""

    value: str
    kind: str = ContactKind.SMS
    label: str = ""
    is_shared: bool = False
    operator: str = ""


def clean_codename(raw: str) -> str:
    codename = (raw or "").strip().upper()
    if not CODENAME_RE.match(codename):
        raise ValidationError(
            _("A codename is 1 to 20 Latin letters, digits or hyphens, e.g. K12."),
            code="bad_codename",
        )
    return codename


def _check_person(person: Person) -> None:
    person.codename = clean_codename(person.codename)
    clash = Person.objects.for_org(person.org_id).filter(codename=person.codename)
    if person.pk:
        clash = clash.exclude(pk=person.pk)
    if clash.exists():
        raise ValidationError(
            {"codename": _("Another person already has this codename.")}, code="duplicate"
        )
    for related in (person.team, person.home_facility, person.area, person.membership):
        _same_org(person.org, related)
    person.full_clean(exclude=["org", "codename", "membership", "verified_by"])


@transaction.atomic
def create_person(
    *,
    org: Organisation,
    codename: str,
    role: str,
    contacts: Sequence[ContactSpec] = (),
    contact_state: str = ContactState.ACTIVE,
    **fields: Any,
) -> Person:
    """A roster entry and its contact points. `fields` are the other Person fields in
    PERSON_FIELDS (team, home_facility, area, language, dependants, real_name, ...)."""
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise TypeError(f"unknown person fields: {sorted(unknown)}")
    if fields.get("exact_location"):  # dated for retention (salama.privacy.retention)
        fields = {**fields, "exact_location_at": clock.now()}
    person = Person(org=org, codename=codename, role=role, **fields)
    _check_person(person)
    person.save()
    for spec in contacts:
        add_contact_point(
            org=org,
            kind=spec.kind,
            value=spec.value,
            persons=[person],
            label=spec.label,
            is_shared=spec.is_shared,
            operator=spec.operator,
            state=contact_state,
        )
    return person


@transaction.atomic
def update_person(*, person: Person, contacts: Sequence[ContactSpec] = (), **fields: Any) -> Person:
    """Change a person's roster fields (never the current-state columns: those belong to
    salama.safety) and add contact points."""
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise TypeError(f"unknown person fields: {sorted(unknown)}")
    if "exact_location" in fields and fields["exact_location"] != person.exact_location:
        # dated for retention (salama.privacy.retention)
        fields = {**fields, "exact_location_at": clock.now() if fields["exact_location"] else None}
    for name, value in fields.items():
        setattr(person, name, value)
    _check_person(person)
    if fields:
        # Only the roster fields: the current-state columns may be changing under us.
        person.save(update_fields=list(fields))
    for spec in contacts:
        add_contact_point(
            org=person.org,
            kind=spec.kind,
            value=spec.value,
            persons=[person],
            label=spec.label,
            is_shared=spec.is_shared,
            operator=spec.operator,
        )
    return person


@transaction.atomic
def record_enrolment(
    *, person: Person, by: Membership, how: str, test_message_at: datetime | None
) -> Person:
    """Record that `by` (a lead or coordinator) verified the person in person or by voice and
    that a test message went both ways at `test_message_at`. Only then does the person count as
    enrolled, and their provisional contact points (from a file import) become active."""
    if how not in ENROLMENT_WAYS:
        raise ValidationError(_("Say whether you verified in person or by voice."), code="how")
    if test_message_at is None:
        raise ValidationError(
            _("A person is enrolled only after a test message went both ways."), code="test"
        )
    if by.org_id != person.org_id or by.role not in (*COORDINATING, Role.FIELD_LEAD):
        raise PermissionDenied
    person.verified_at = clock.now()
    person.verified_by = by
    person.verified_how = how
    person.test_message_at = test_message_at
    person.save(update_fields=["verified_at", "verified_by", "verified_how", "test_message_at"])
    person.contact_points.filter(state__in=_PROMOTED_BY_ENROLMENT).update(state=ContactState.ACTIVE)
    audit.record(
        "enrol", org_id=person.org_id, actor_id=by.user_id, obj=person, detail={"how": how}
    )
    return person
