"""An attack on a facility proposes a facility status update (salama.facilities) with the
damage and functionality it reports; a coordinator accepts it (as it is, or edited) or dismisses
it. Accepting records the update through salama.facilities.services.record_update, the same
door as the facility page, so the facility's history, map and alerts follow."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Membership
from salama.facilities import services as facility_services
from salama.facilities.models import Channel as FacilityChannel
from salama.incidents.consolidation import require_coordinator
from salama.incidents.models import FacilityProposal, Incident
from salama.incidents.validation import IncidentError
from salama.lib import clock

CONDITION = {
    "none": "not_damaged",
    "partial": "substantially_damaged",
    "destroyed": "fully_damaged",
    "unknown": "",
}


def propose_update(*, incident: Incident) -> FacilityProposal | None:
    """Propose (or refresh the open proposal of) the incident's facility status, when the
    incident names a facility and says something about its damage or functionality."""
    with transaction.atomic():
        FacilityProposal.objects.filter(incident=incident, state="proposed").delete()
        if incident.facility_id is None or (
            incident.damage == "unknown" and incident.functionality == "unknown"
        ):
            return None  # nothing (any more) to propose
        return FacilityProposal.objects.create(
            org_id=incident.org_id, incident=incident, facility_id=incident.facility_id,
            functionality=incident.functionality, condition=CONDITION[incident.damage],
        )  # fmt: skip


def _observed_at(incident: Incident) -> datetime:
    when = datetime.combine(incident.occurred_on, incident.occurred_time or time(12, 0))
    observed = timezone.make_aware(when, timezone.get_current_timezone())
    return min(observed, clock.now())


def accept_update(
    *,
    proposal: FacilityProposal,
    by: Membership,
    functionality: str | None = None,
    condition: str | None = None,
    request: HttpRequest | None = None,
) -> FacilityProposal:
    """Record the proposed status (edited if the coordinator changed it) on the facility."""
    require_coordinator(by)
    with transaction.atomic():
        proposal = FacilityProposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.state != "proposed" or proposal.org_id != by.org_id:
            raise IncidentError(_("This proposal was already decided."))
        functionality = functionality or proposal.functionality
        condition = proposal.condition if condition is None else condition
        fields: dict[str, Any] = {"functionality": functionality}
        if condition:
            fields["condition"] = condition
        try:
            result = facility_services.record_update(
                facility=proposal.facility, channel=FacilityChannel.PAGE, by=by,
                observed_at=_observed_at(proposal.incident), request=request, **fields,
            )  # fmt: skip
        except facility_services.FacilityError as error:
            raise IncidentError(" ".join(error.messages)) from error
        proposal.functionality, proposal.condition = functionality, condition
        proposal.state, proposal.update_id = "accepted", result.update.pk
        proposal.decided_at, proposal.decided_by = clock.now(), by
        proposal.save()
        detail = {"facility": proposal.facility_id, "update": result.update.pk}
        audit.record("incidents.facility_update", org_id=by.org_id, actor_id=by.user_id,
                     obj=proposal.incident, request=request, detail=detail)  # fmt: skip
    return proposal


def dismiss_update(
    *, proposal: FacilityProposal, by: Membership, request: HttpRequest | None = None
) -> FacilityProposal:
    require_coordinator(by)
    with transaction.atomic():
        proposal = FacilityProposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.state != "proposed" or proposal.org_id != by.org_id:
            raise IncidentError(_("This proposal was already decided."))
        proposal.state, proposal.decided_at, proposal.decided_by = "dismissed", clock.now(), by
        proposal.save()
        audit.record("incidents.facility_dismissed", org_id=by.org_id, actor_id=by.user_id,
                     obj=proposal.incident, request=request)  # fmt: skip
    return proposal
