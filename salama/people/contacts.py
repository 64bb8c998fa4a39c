"""Numbers, addresses and contact points: a number's E.164 form and an address's normal form
(and their keyed hash, ``lookup_hash``), finding the organisation's contact point for a value,
adding one (or reusing the existing one, marked shared when it serves several persons),
changing it, and taking it off a person.
"""

from collections.abc import Iterable

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from salama.accounts.models import Membership, Organisation
from salama.lib import keyring
from salama.people.base import _same_org
from salama.people.models import ContactKind, ContactPoint, ContactState, Person

DEFAULT_REGION = "SY"


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
