"""Data protection: a lost or seized phone. Retention lives in retention.py, the reveal watch in
watch.py and the emergency purge in purge.py."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import ApiToken, Membership, Organisation, UserSession
from salama.alerts.services import mark_phone_seized
from salama.lib import clock
from salama.people.models import ContactKind, ContactPoint, ContactState, Person
from salama.privacy import policy


@dataclass
class PhoneLost:
    user_id: int | None
    sessions: int = 0
    tokens: int = 0
    compromised: list[int] = field(default_factory=list)


def phone_numbers(
    *, person: Person | None = None, membership: Membership | None = None
) -> list[ContactPoint]:
    """The SMS numbers that may have been on the phone of a person or a member: their own, and
    those of the person linked to the member (or the member linked to the person)."""
    if person is None and membership is None:
        raise ValueError("a person or a membership")
    if person is not None and membership is None and person.membership_id is not None:
        membership = Membership.objects.filter(pk=person.membership_id).first()
    if membership is not None and person is None:
        person = Person.objects.filter(membership=membership).first()
    found: dict[int, ContactPoint] = {}
    if person is not None:
        for point in person.contact_points.filter(kind=ContactKind.SMS):
            found[point.pk] = point
    if membership is not None:
        for point in ContactPoint.objects.filter(membership=membership, kind=ContactKind.SMS):
            found[point.pk] = point
    return sorted(found.values(), key=lambda p: p.pk)


def default_choice(points: Iterable[ContactPoint]) -> list[int]:
    """Which numbers are marked by default: every unshared one not yet compromised."""
    return [p.pk for p in points if not p.is_shared and p.state != ContactState.COMPROMISED]


@transaction.atomic
def report_phone_lost(
    *,
    by: Membership,
    person: Person | None = None,
    membership: Membership | None = None,
    point_ids: Iterable[int] | None = None,
    request: HttpRequest | None = None,
) -> PhoneLost:
    """ "Phone lost or seized", in one transaction: the linked login's sessions and API tokens
    for this organisation end (those for its other organisations are kept, and their admins
    are told), and the chosen numbers (by default each unshared number;
    a shared one only when chosen) are compromised through alerts' `mark_phone_seized`, so
    nothing is sent to them and what comes from them changes nothing. One audit row "phone.lost"
    (ids and counts)."""
    target_org = (person or membership).org_id  # type: ignore[union-attr]
    if by.org_id != target_org or by.role not in ("org_admin", "coordinator"):
        raise PermissionDenied
    if person is not None and membership is None and person.membership_id is not None:
        membership = Membership.objects.filter(pk=person.membership_id).first()
    points = phone_numbers(person=person, membership=membership)
    chosen = default_choice(points) if point_ids is None else [int(i) for i in point_ids]
    known = {p.pk: p for p in points}
    if any(i not in known for i in chosen):
        raise ValidationError(_("Choose only numbers of this person."), code="point")
    result = PhoneLost(user_id=membership.user_id if membership else None)
    if result.user_id is not None:
        # This organisation's sessions (and any not yet in one), and its tokens: the person's
        # standing in their other organisations is theirs to decide (`_tell_other_orgs`).
        result.sessions, _kinds = (
            UserSession.objects.filter(user_id=result.user_id)
            .filter(Q(org_id=target_org) | Q(org_id__isnull=True))
            .delete()
        )
        result.tokens = (
            ApiToken.objects.for_org(target_org)
            .filter(user_id=result.user_id, revoked_at__isnull=True)
            .update(revoked_at=clock.now())
        )
    for point_id in chosen:
        mark_phone_seized(contact_point=known[point_id], by=by, request=request)
        result.compromised.append(point_id)
    audit.record(
        "phone.lost",
        org_id=target_org,
        actor_id=by.user_id,
        obj=person or membership,
        request=request,
        detail={
            "person": person.pk if person else None,
            "membership": membership.pk if membership else None,
            "user": result.user_id,
            "sessions": result.sessions,
            "tokens": result.tokens,
            "contact_points": result.compromised,
        },
    )
    if result.user_id is not None:
        _tell_other_orgs(user_id=result.user_id, reported_in=target_org, by=by)
    return result


def _tell_other_orgs(*, user_id: int, reported_in: int, by: Membership) -> None:
    """One "phone.lost_elsewhere" audit row in each other organisation of the user, which its
    admins see on their members page (salama.accounts.views_security.members), with what was
    kept there: they decide whether to report the phone lost for their organisation too."""
    # The user's own memberships, across organisations: ids only, nothing of their data.
    for other in Membership.objects.filter(user_id=user_id, is_active=True).exclude(
        org_id=reported_in
    ):
        sessions = UserSession.objects.filter(user_id=user_id, org_id=other.org_id).count()
        tokens = (
            ApiToken.objects.for_org(other.org_id)
            .filter(user_id=user_id, revoked_at__isnull=True)
            .count()
        )
        audit.record(
            "phone.lost_elsewhere",
            org_id=other.org_id,
            actor_id=by.user_id,
            obj=other,
            detail={"reported_in": reported_in, "sessions_kept": sessions, "tokens_kept": tokens},
        )


@transaction.atomic
def save_policy(
    *, org: Organisation, values: dict[str, int], request: HttpRequest | None = None
) -> Organisation:
    """Store the organisation's retention periods and reveal limit (keys of policy.SETTINGS)."""
    unknown = set(values) - set(policy.BY_KEY)
    if unknown:
        raise ValueError(f"unknown settings: {sorted(unknown)}")
    for key, number in values.items():
        spec = policy.BY_KEY[key]
        if not spec.minimum <= int(number) <= spec.maximum:
            raise ValidationError(_("Out of range: %(label)s"), params={"label": spec.label})
    locked = Organisation.objects.select_for_update().get(pk=org.pk)
    locked.settings = {**locked.settings, **{k: int(v) for k, v in values.items()}}
    locked.save(update_fields=["settings"])
    audit.record("privacy.settings", org_id=org.pk, request=request, detail=dict(values))
    return locked
