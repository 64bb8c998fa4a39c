"""Local responders: the persons on the roster and the phone numbers (an ambulance point's
phone that is nobody's own) who receive an area's life-safety alerts; listing them, adding one
(a known number reused) and taking one off (its phone deleted when it then serves nobody).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Membership, Organisation
from salama.people.base import _same_org
from salama.people.contacts import (
    add_contact_point,
    find_contact_point,
    normalise_number,
    region_of,
)
from salama.people.models import (
    Area,
    ContactKind,
    ContactPoint,
    ContactState,
    LocalResponder,
    Person,
)

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
