"""Reveal: who may see a person's encrypted fields and contact points, and showing one of them
to a coordinator or org admin on one page, with exactly one audit row (ids only).
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.access import COORDINATING
from salama.people.models import Person

# What `reveal` may show: a person's encrypted fields, or one of their contact points.
REVEALABLE = ("real_name", "specialty", "exact_location")


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
