"""Who may receive messages: the suppression rule, shared by the outbox (at queueing and again
at send time) and by routing (the alerts engineer skips an unreachable lead)."""

from __future__ import annotations

from django.db.models import Q

from salama.messaging.models import SuppressionReason
from salama.people.models import ContactPoint, ContactState, DecisionKind, Person

# Under these decisions a person's own (unshared) phone may be in other hands: it gets nothing.
SILENCING_DECISIONS = frozenset({DecisionKind.DETAINED, DecisionKind.MISSING, DecisionKind.KILLED})


def _holders(contact_point: ContactPoint) -> list[Person]:
    """The persons a contact point reaches: its roster persons, and the person linked to its
    membership (a lead's or coordinator's phone registered on their login)."""
    persons = list(contact_point.persons.all())
    if contact_point.membership_id is not None:
        linked = getattr(contact_point.membership, "person", None)
        if linked is not None and all(p.pk != linked.pk for p in persons):
            persons.append(linked)
    return persons


def unreachable_reason(contact_point: ContactPoint) -> tuple[str, str] | None:
    """Why nothing may be sent to `contact_point` now, as (reason, decision), or None."""
    if contact_point.state == ContactState.COMPROMISED:
        return SuppressionReason.COMPROMISED, ""
    if contact_point.state == ContactState.SUSPENDED:
        return SuppressionReason.SUSPENDED, ""
    if not contact_point.is_shared:
        for person in _holders(contact_point):
            if person.decision in SILENCING_DECISIONS:
                return SuppressionReason.DECISION, person.decision
    return None


def reachable_points_q(via: str = "") -> Q:
    """``unreachable_reason(point) is None`` as a filter on ContactPoint (or, with `via`
    "contactpoint__", on a model that points to one), for set-based sends (a roll call's
    snapshot): the same rule, run by the database. The silenced numbers are two uncorrelated
    sets (a number of a silenced person, a number on a silenced person's login), each computed
    once, so the cost does not grow with the numbers tested times the roster."""
    silenced = SILENCING_DECISIONS
    own = ContactPoint.persons.through.objects.filter(person__decision__in=silenced)
    login = ContactPoint.objects.filter(membership__person__decision__in=silenced)
    return ~Q(**{f"{via}state__in": [ContactState.COMPROMISED, ContactState.SUSPENDED]}) & (
        Q(**{f"{via}is_shared": True})
        | (
            ~Q(**{f"{via}pk__in": own.values("contactpoint_id")})
            & ~Q(**{f"{via}pk__in": login.values("pk")})
        )
    )


def is_reachable(contact_point: ContactPoint) -> bool:
    """Whether a message to `contact_point` would be sent (the rule ``queue_message`` applies).
    Routing uses it to skip a lead whose phone is seized and fall back to someone else."""
    return unreachable_reason(contact_point) is None
