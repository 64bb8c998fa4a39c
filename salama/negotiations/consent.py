"""Consent before any name: a named person's informed decision about one package version for its
recipient, what they were told, by whom and how it was recorded. The latest word counts: a
withdrawal (or a no) after a yes means no."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Membership
from salama.negotiations.base import NEGOTIATORS, NegotiationError
from salama.negotiations.models import Consent, ConsentDecision, ConsentHow, PackageVersion
from salama.people.models import Person


def latest(person_id: int, version: PackageVersion) -> Consent | None:
    return (
        Consent.objects.filter(person_id=person_id, version=version).order_by("-at", "-pk").first()
    )


def consent_holds(person_id: int, version: PackageVersion, party_id: int) -> bool:
    row = latest(person_id, version)
    return row is not None and row.party_id == party_id and row.decision == ConsentDecision.YES


@transaction.atomic
def record_consent(
    *,
    person: Person,
    version: PackageVersion,
    decision: str,
    told: str,
    how: str,
    by: Membership | None,
    http: HttpRequest | None = None,
) -> Consent:
    if by is None or by.org_id != version.org_id or by.role not in NEGOTIATORS:
        raise NegotiationError(_("Only coordinators and liaisons record consent."))
    if person.org_id != version.org_id:
        raise NegotiationError(_("Unknown person."))
    if decision not in ConsentDecision.values:
        raise NegotiationError(_("Choose yes, no or withdrawn."))
    if how not in ConsentHow.values:
        raise NegotiationError(_("Say how the consent was recorded."))
    if decision == ConsentDecision.YES and not told.strip():
        raise NegotiationError(
            _("Write what the person was told (the terms, the destination, the process).")
        )
    if decision == ConsentDecision.WITHDRAWN and not consent_holds(
        person.pk, version, version.package.party_id
    ):
        raise NegotiationError(_("There is no consent to withdraw."))
    row = Consent.objects.create(
        org_id=version.org_id,
        person=person,
        party_id=version.package.party_id,
        version=version,
        told=told.strip(),
        decision=decision,
        how=how,
        by=by,
    )
    audit.record(
        "negotiations.consent_recorded",
        org_id=version.org_id,
        actor_id=by.user_id,
        obj=row,
        request=http,
        detail={"decision": decision, "version": version.pk},
    )
    return row
