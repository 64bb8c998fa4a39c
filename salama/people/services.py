"""Writes to the roster: persons, contact points, enrolment, teams, areas, facilities, local
responders, reveal.

Pages, the CSV import, the API, the demo and later the text channel all call these functions; none
of them writes roster rows on its own. Real names, specialties, contact labels and numbers are
encrypted fields; a number is found again through its keyed hash (`lookup_hash` of the E.164 form
or of the lower-cased e-mail address), never by decrypting every row.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import phonenumbers
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.access import COORDINATING
from salama.accounts.models import Membership, Organisation, Role
from salama.lib import clock, keyring
from salama.people.models import (
    Area,
    ContactKind,
    ContactPoint,
    ContactState,
    Facility,
    LocalResponder,
    Person,
    Team,
    TeamLead,
)

DEFAULT_REGION = "SY"
CODENAME_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,19}$")
ENROLMENT_WAYS = ("in_person", "voice")
# What `reveal` may show: a person's encrypted fields, or one of their contact points.
REVEALABLE = ("real_name", "specialty", "exact_location")
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


# --- Numbers and addresses ------------------------------------------------------------------


def region_of(org: Organisation | None) -> str:
    return str(org.setting("default_region", DEFAULT_REGION)) if org else DEFAULT_REGION


def normalise_number(raw: str, default_region: str = DEFAULT_REGION) -> str:
    """E.164 form of a phone number written any usual way (national, international, with
    spaces, Arabic-Indic digits). Raises ValidationError, without repeating the number."""
    text = (raw or "").strip()
    try:
        number = phonenumbers.parse(text, default_region or DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError(_("This is not a phone number."), code="bad_number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("This phone number is not valid (check the country code and length)."),
            code="bad_number",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_value(*, org: Organisation, kind: str, value: str) -> str:
    if kind == ContactKind.SMS:
        return normalise_number(value, region_of(org))
    if kind == ContactKind.EMAIL:
        address = (value or "").strip().lower()
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(_("This is not an e-mail address."), code="bad_email") from None
        return address
    raise ValidationError(_("Unknown kind of contact point."), code="bad_kind")


def value_hash_of(*, org: Organisation, kind: str, value: str) -> str:
    return keyring.lookup_hash(org.pk, normalise_value(org=org, kind=kind, value=value))


# --- Contact points -------------------------------------------------------------------------


def find_contact_point(*, org: Organisation, kind: str, value: str) -> ContactPoint | None:
    """The organisation's contact point for this number or address, or None (also for a value
    that is not a valid number or address)."""
    try:
        digest = value_hash_of(org=org, kind=kind, value=value)
    except ValidationError:
        return None
    return ContactPoint.objects.for_org(org).filter(kind=kind, value_hash=digest).first()


@transaction.atomic
def add_contact_point(
    *,
    org: Organisation,
    kind: str,
    value: str,
    persons: Iterable[Person] = (),
    membership: Membership | None = None,
    label: str = "",
    is_shared: bool = False,
    operator: str = "",
    state: str = ContactState.ACTIVE,
) -> ContactPoint:
    """Add a number or address, or reuse the organisation's existing one with the same value: a
    ward phone serves several persons. A point that serves more than one person is marked shared.
    Reusing never lowers an existing point's state (an imported copy of an active number stays
    active; a compromised number stays compromised)."""
    normalised = normalise_value(org=org, kind=kind, value=value)
    digest = keyring.lookup_hash(org.pk, normalised)
    persons = list(persons)
    for person in persons:
        _same_org(org, person)
    if membership is not None:
        _same_org(org, membership)
    point = (
        ContactPoint.objects.for_org(org)
        .select_for_update()
        .filter(kind=kind, value_hash=digest)
        .first()
    )
    if point is None:
        point = ContactPoint(
            org=org,
            kind=kind,
            value=normalised,
            value_hash=digest,
            label=label.strip(),
            is_shared=is_shared,
            operator=operator.strip(),
            state=state,
            membership=membership,
        )
        point.save()
    else:
        point.is_shared = point.is_shared or is_shared
        point.label = point.label or label.strip()
        point.operator = point.operator or operator.strip()
        if point.membership_id is None and membership is not None:
            point.membership = membership
        if point.state == ContactState.PROVISIONAL and state == ContactState.ACTIVE:
            point.state = ContactState.ACTIVE
        point.save()
    if persons:
        point.persons.add(*persons)
    if not point.is_shared and point.persons.count() > 1:
        point.is_shared = True
        point.save(update_fields=["is_shared"])
    return point


@transaction.atomic
def update_contact_point(
    *,
    point: ContactPoint,
    label: str | None = None,
    is_shared: bool | None = None,
    operator: str | None = None,
    state: str | None = None,
) -> ContactPoint:
    if label is not None:
        point.label = label.strip()
    if is_shared is not None:
        point.is_shared = is_shared
    if operator is not None:
        point.operator = operator.strip()
    if state is not None:
        if state not in ContactState.values:
            raise ValidationError(_("Unknown contact point state."), code="bad_state")
        point.state = state
    point.save()
    return point


@transaction.atomic
def unlink_contact_point(*, point: ContactPoint, person: Person) -> None:
    """Take a number off a person. A point that then serves nobody is deleted (its value is
    personal data that is no longer needed)."""
    point.persons.remove(person)
    if point.membership_id is None and not point.persons.exists():
        point.delete()


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


def _same_org(org: Organisation, obj: Any) -> None:
    if obj is not None and obj.org_id != org.pk:
        raise ValidationError(_("That belongs to another organisation."), code="other_org")


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


# --- Who to tell ------------------------------------------------------------------------------


def leads_for(person: Person) -> list[Person]:
    """ "Tell the lead": every lead and deputy of the person's team, leads first, without the
    person themselves. Empty when the person has no team or the team has no other lead."""
    if person.team_id is None:
        return []
    links = (
        TeamLead.objects.for_org(person.org_id)
        .filter(team_id=person.team_id, person__is_active=True)
        .exclude(person_id=person.pk)
        .select_related("person")
        .order_by("is_deputy", "person__codename")
    )
    return [link.person for link in links]


def is_lead(person: Person) -> bool:
    """Whether the person is a lead (not only a deputy) of their own team."""
    return (
        person.team_id is not None
        and TeamLead.objects.for_org(person.org_id)
        .filter(team_id=person.team_id, person_id=person.pk, is_deputy=False)
        .exists()
    )


def coordinators(org: Organisation | int) -> list[Membership]:
    """The organisation's active coordinators; its org admins when it has no coordinator."""
    active = Membership.objects.for_org(org).filter(is_active=True).order_by("pk")
    found = list(active.filter(role=Role.COORDINATOR))
    return found or list(active.filter(role=Role.ORG_ADMIN))


def coordinators_to_tell(person: Person) -> list[Membership]:
    """The fallback of "tell the lead". Returns the coordinators (see `coordinators`) when

    - the person has no team, or their team has no lead or deputy other than them, or
    - the person is a lead (not only a deputy) of their team: the coordinators are told as
      well as any co-leads and deputies from `leads_for`;

    and an empty list otherwise (the leads from `leads_for` are enough). F4 routes a team
    message to `leads_for(person)` plus `coordinators_to_tell(person)`."""
    if not leads_for(person) or is_lead(person):
        return coordinators(person.org_id)
    return []


# --- Reveal -----------------------------------------------------------------------------------


def can_reveal(request: HttpRequest) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and membership.role in COORDINATING


def reveal(*, person: Person, field: str, request: HttpRequest) -> str:
    """Decrypted value of one of the person's fields ("real_name", "specialty",
    "exact_location") or contact points ("contact:<id>"), for the coordinator or org admin who
    asked, on that one page. Writes exactly one audit row: action "reveal", the person's id and
    the field (ids only). Raises PermissionDenied for any other role or organisation, and
    ValidationError for an unknown field."""
    membership = getattr(request, "membership", None)
    if not can_reveal(request) or membership is None or membership.org_id != person.org_id:
        raise PermissionDenied
    detail: dict[str, Any] = {"field": field}
    if field in REVEALABLE:
        value = str(getattr(person, field) or "")
    elif field.startswith("contact:") and field[8:].isascii() and field[8:].isdigit():
        point = person.contact_points.filter(pk=int(field[8:])).first()
        if point is None:
            raise ValidationError(_("This person has no such contact point."), code="field")
        value = str(point.value)
        detail = {"field": "contact", "contact_point_id": point.pk}
    else:
        raise ValidationError(_("This cannot be revealed."), code="field")
    audit.record("reveal", request=request, obj=person, detail=detail)
    return value


# --- Teams, areas, facilities -------------------------------------------------------------------


@transaction.atomic
def save_team(
    *,
    org: Organisation,
    name: str,
    team: Team | None = None,
    leads: Iterable[Person] = (),
    deputies: Iterable[Person] = (),
) -> Team:
    """Create or rename a team and set its leads and deputies (both persons of the org; a
    person named as both is a lead)."""
    team = team or Team(org=org)
    team.name = name.strip()
    clash = Team.objects.for_org(org).filter(name__iexact=team.name).exclude(pk=team.pk)
    if not team.name or clash.exists():
        raise ValidationError({"name": _("Give the team a name that no other team has.")})
    team.save()
    wanted = {p.pk: False for p in deputies} | {p.pk: True for p in leads}
    for person in [*leads, *deputies]:
        _same_org(org, person)
    TeamLead.objects.for_org(org).filter(team=team).exclude(person_id__in=wanted).delete()
    for person_id, as_lead in wanted.items():
        TeamLead.objects.update_or_create(
            org=org, team=team, person_id=person_id, defaults={"is_deputy": not as_lead}
        )
    return team


def _clean_aliases(text: str) -> str:
    return "\n".join(line.strip() for line in (text or "").splitlines() if line.strip())


@transaction.atomic
def save_area(*, org: Organisation, area: Area | None = None, **fields: Any) -> Area:
    """Create or change an area: name_en, name_ar, aliases (one per line), latitude, longitude,
    polygon (a GeoJSON Polygon or MultiPolygon geometry), risk."""
    area = area or Area(org=org)
    for name, value in fields.items():
        setattr(area, name, value)
    area.aliases = _clean_aliases(area.aliases)
    if area.polygon is not None and (
        not isinstance(area.polygon, dict)
        or area.polygon.get("type") not in ("Polygon", "MultiPolygon")
        or not isinstance(area.polygon.get("coordinates"), list)
    ):
        raise ValidationError({"polygon": _("Give a GeoJSON Polygon or MultiPolygon.")})
    clash = Area.objects.for_org(org).filter(name_en__iexact=area.name_en).exclude(pk=area.pk)
    if clash.exists():
        raise ValidationError({"name_en": _("Another area already has this name.")})
    area.full_clean(exclude=["org"])
    area.save()
    return area


@transaction.atomic
def save_facility(
    *, org: Organisation, facility: Facility | None = None, **fields: Any
) -> Facility:
    """Create or change a facility: name, name_ar, aliases, kind, area, latitude, longitude,
    functionality (its time is recorded when it changes)."""
    facility = facility or Facility(org=org)
    before = facility.functionality if facility.pk else None
    for name, value in fields.items():
        setattr(facility, name, value)
    _same_org(org, facility.area)
    facility.aliases = _clean_aliases(facility.aliases)
    if facility.functionality != before:
        facility.functionality_at = clock.now()
    clash = Facility.objects.for_org(org).filter(name__iexact=facility.name).exclude(pk=facility.pk)
    if clash.exists():
        raise ValidationError({"name": _("Another facility already has this name.")})
    facility.full_clean(exclude=["org"])
    facility.save()
    return facility


# --- Local responders -------------------------------------------------------------------------

RESPONDER_LABEL_MAX = 60


def local_responders(org: Organisation) -> dict[int, list[LocalResponder]]:
    """The organisation's local responders by area id, persons by codename, phones by label."""
    found: dict[int, list[LocalResponder]] = {}
    rows = (
        LocalResponder.objects.for_org(org)
        .select_related("person", "contact_point")
        .defer("contact_point__value")
        .order_by("area_id", "person__codename", "label", "pk")
    )
    for row in rows:
        found.setdefault(row.area_id, []).append(row)
    return found


@transaction.atomic
def add_local_responder(
    *,
    org: Organisation,
    area: Area,
    person: Person | None = None,
    number: str = "",
    label: str = "",
    by: Membership | None = None,
    request: HttpRequest | None = None,
) -> LocalResponder:
    """Register a person on the roster, or a phone number (an ambulance point's phone that is
    nobody's own), as a local responder of `area`: they receive the area's life-safety alerts.
    Exactly one of `person` and `number`. A number the organisation already has is reused. The
    same person or phone twice for one area is refused. Audited with ids only."""
    _same_org(org, area)
    _same_org(org, person)
    number = (number or "").strip()
    label = (label or "").strip()
    if (person is None) == (not number):
        raise ValidationError(
            _("Give either a person on the roster or a phone number, not both."), code="target"
        )
    if len(label) > RESPONDER_LABEL_MAX:
        raise ValidationError(
            {"label": _("A label has at most %(max)d characters.") % {"max": RESPONDER_LABEL_MAX}},
            code="label",
        )
    # One add at a time per area, so two coordinators cannot add the same responder twice.
    Area.objects.select_for_update().filter(pk=area.pk).first()
    existing = LocalResponder.objects.for_org(org).filter(area=area)
    point: ContactPoint | None = None
    if person is not None:
        if existing.filter(person=person).exists():
            raise ValidationError(
                {"person": _("This person is already a local responder of this area.")},
                code="duplicate",
            )
    else:
        try:
            normalised = normalise_number(number, region_of(org))
        except ValidationError as error:
            raise ValidationError({"number": error.messages}, code="bad_number") from None
        point = find_contact_point(org=org, kind=ContactKind.SMS, value=normalised)
        if point is not None and existing.filter(contact_point=point).exists():
            raise ValidationError(
                {"number": _("This phone is already a local responder of this area.")},
                code="duplicate",
            )
        point = add_contact_point(org=org, kind=ContactKind.SMS, value=normalised, label=label)
    responder = LocalResponder.objects.create(
        org=org, area=area, person=person, contact_point=point, label=label
    )
    audit.record(
        "responder.add",
        org_id=org.pk,
        actor_id=by.user_id if by else None,
        obj=responder,
        request=request,
        detail={
            "area": area.pk,
            "person": person.pk if person else None,
            "contact_point": point.pk if point else None,
        },
    )
    return responder


@transaction.atomic
def remove_local_responder(
    *,
    responder: LocalResponder,
    by: Membership | None = None,
    request: HttpRequest | None = None,
) -> None:
    """Take a local responder off their area. A phone that then serves nobody (no person, no
    login, no other area) is deleted, as `unlink_contact_point` does, unless it is marked
    compromised (the mark is what keeps a seized phone from being trusted again)."""
    point = responder.contact_point
    audit.record(
        "responder.remove",
        org_id=responder.org_id,
        actor_id=by.user_id if by else None,
        obj=responder,
        request=request,
        detail={
            "area": responder.area_id,
            "person": responder.person_id,
            "contact_point": responder.contact_point_id,
        },
    )
    responder.delete()
    if (
        point is not None
        and point.membership_id is None
        and point.state != ContactState.COMPROMISED
        and not point.persons.exists()
        and not LocalResponder.objects.filter(contact_point=point).exists()
    ):
        point.delete()


def match_named(queryset: Any, text: str, *fields: str) -> Any:
    """The one object whose name fields or aliases equal `text` (case-insensitive), or None."""
    wanted = (text or "").strip()
    if not wanted:
        return None
    query = Q()
    for field in fields:
        query |= Q(**{f"{field}__iexact": wanted})
    found = list(queryset.filter(query)[:2])
    if len(found) == 1:
        return found[0]
    if "aliases" in {f.name for f in queryset.model._meta.fields}:
        lowered = wanted.casefold()
        hits = [o for o in queryset if lowered in (a.casefold() for a in o.alias_list())]
        if len(hits) == 1:
            return hits[0]
    return None
