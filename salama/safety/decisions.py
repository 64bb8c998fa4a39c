"""Decisions: a coordinator's deliberate statement about a person (MISSING, DETAINED, KILLED,
EVACUATED; reported or confirmed), which replaces the one in force and is what everyone sees
until cleared; confirmed when the person was heard from recently. Each runs in one transaction,
locks the person row, recomputes the person's deadline, calls the decision hook and is
audited."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Membership
from salama.lib import clock
from salama.people.models import Certainty, DecisionKind, Person
from salama.safety import hooks
from salama.safety.deadlines import _deadline_fields
from salama.safety.models import Decision

# --- Decisions ----------------------------------------------------------------------------------

RECENT_CONTACT = timedelta(hours=6)


class RecentContact(ValidationError):
    """The person was heard from recently: the decision must be confirmed."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        super().__init__(_("This person was heard from recently: confirm the decision."))


def last_contact(person: Person) -> datetime | None:
    """When the person was last heard from or reported on (any basis), whichever is later."""
    times = [t for t in (person.heard_at, person.state_at) if t is not None]
    return max(times) if times else None


@transaction.atomic
def make_decision(
    *,
    person: Person,
    kind: str,
    certainty: str,
    made_by: Membership | None,
    source: str = "",
    reason: str = "",
    confirm_recent: bool = False,
    request: HttpRequest | None = None,
) -> Decision:
    """A coordinator's statement (MISSING, DETAINED, KILLED, EVACUATED; reported or confirmed).
    It replaces a decision in force and is what everyone sees until cleared. Audited.

    Deliberate: it needs a source and a reason; when the person was heard from (or reported
    on) in the last RECENT_CONTACT, it raises `RecentContact` unless ``confirm_recent``."""
    if kind not in DecisionKind.values:
        raise ValidationError(_("Unknown decision."))
    if certainty not in Certainty.values:
        raise ValidationError(_("Unknown certainty."))
    if not source.strip() or not reason.strip():
        raise ValidationError(_("Give the source and the reason of the decision."))
    now = clock.now()
    person = Person.objects.select_for_update().select_related("org").get(pk=person.pk)
    last = last_contact(person)
    if last is not None and last > now - RECENT_CONTACT and not confirm_recent:
        raise RecentContact(last)
    Decision.objects.filter(person=person, cleared_at=None).update(
        cleared_at=now, cleared_by=made_by
    )
    decision = Decision.objects.create(
        org_id=person.org_id,
        person=person,
        kind=kind,
        certainty=certainty,
        source=source.strip(),
        reason=reason.strip(),
        made_by=made_by,
        made_at=now,
    )
    person.decision, person.decision_certainty, person.decision_at = kind, certainty, now
    person.contact_since_decision_at = None
    fields = ["decision", "decision_certainty", "decision_at", "contact_since_decision_at"]
    person.save(update_fields=fields + _deadline_fields(person, now))
    hooks.decision_made(person=person, kind=kind, by=made_by, request=request)
    audit.record(
        "decision.make",
        org_id=person.org_id,
        actor_id=made_by.user_id if made_by else None,
        obj=decision,
        request=request,
        detail={"person": person.pk, "kind": kind, "certainty": certainty},
    )
    return decision


@transaction.atomic
def clear_decision(
    *, person: Person, cleared_by: Membership | None, request: HttpRequest | None = None
) -> Decision | None:
    """End the decision in force; the person's reported state shows again. Audited."""
    now = clock.now()
    person = Person.objects.select_for_update().select_related("org").get(pk=person.pk)
    decision = Decision.objects.filter(person=person, cleared_at=None).first()
    if decision is None:
        return None
    decision.cleared_at, decision.cleared_by = now, cleared_by
    decision.save(update_fields=["cleared_at", "cleared_by"])
    person.decision = person.decision_certainty = ""
    person.decision_at = person.contact_since_decision_at = None
    fields = ["decision", "decision_certainty", "decision_at", "contact_since_decision_at"]
    person.save(update_fields=fields + _deadline_fields(person, now))
    audit.record(
        "decision.clear",
        org_id=person.org_id,
        actor_id=cleared_by.user_id if cleared_by else None,
        obj=decision,
        request=request,
        detail={"person": person.pk, "kind": decision.kind},
    )
    return decision
