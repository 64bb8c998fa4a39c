"""Clearance as an outside decision: for each request and each party, step by step, dated, with
who recorded it. A request is cleared only when every active party's last step is approved."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Membership, Organisation
from salama.evacuation.base import EvacuationError
from salama.evacuation.models import (
    CLEARANCE_TRANSITIONS,
    Clearance,
    ClearanceState,
    ClearanceStep,
    Party,
    Request,
)
from salama.lib import clock


def save_party(*, org: Organisation, name: str, name_ar: str = "", is_active: bool = True) -> Party:
    name = name.strip()[:80]
    if not name:
        raise EvacuationError(_("Give the party a name."))
    party, _created = Party.objects.update_or_create(
        org=org, name=name, defaults={"name_ar": name_ar.strip()[:80], "is_active": is_active}
    )
    for request in Request.objects.for_org(org).filter(outcome=""):
        refresh_cleared(request)
    return party


def is_cleared(request: Request) -> bool:
    parties = Party.objects.for_org(request.org_id).filter(is_active=True)
    approved = Clearance.objects.filter(
        request=request, party__in=parties, state=ClearanceState.APPROVED
    ).count()
    return approved == parties.count()


def refresh_cleared(request: Request) -> bool:
    cleared = is_cleared(request)
    Request.objects.filter(pk=request.pk).update(is_cleared=cleared)
    request.is_cleared = cleared
    return cleared


@transaction.atomic
def record_clearance(
    *,
    request: Request,
    party: Party,
    state: str,
    by: Membership | None,
    at: datetime | None = None,
    note: str = "",
    http: HttpRequest | None = None,
) -> ClearanceStep:
    """Record one step of `party`'s decision about `request` (what the party said, when)."""
    if party.org_id != request.org_id:
        raise EvacuationError(_("Unknown party."))
    labels = dict(ClearanceState.choices)
    if state not in labels:
        raise EvacuationError(_("Choose a clearance state from the list."))
    now = clock.now()
    at = at or now
    if at > now:
        raise EvacuationError(_("A clearance step cannot be dated in the future."))
    Request.objects.select_for_update().filter(pk=request.pk).first()
    clearance, _created = Clearance.objects.get_or_create(
        request=request, party=party, defaults={"org_id": request.org_id}
    )
    if state not in CLEARANCE_TRANSITIONS[clearance.state]:
        legal = [
            str(labels[s])
            for s in ClearanceState.values
            if s in CLEARANCE_TRANSITIONS[clearance.state]
        ]
        raise EvacuationError(
            _("The clearance cannot go from %(from)s to %(to)s. It can go to: %(legal)s.")
            % {"from": labels[clearance.state], "to": labels[state], "legal": ", ".join(legal)}
        )
    step = ClearanceStep.objects.create(
        org_id=request.org_id,
        clearance=clearance,
        state=state,
        at=at,
        recorded_by=by,
        note=note.strip()[:2000],
    )
    clearance.state, clearance.state_at = state, at
    clearance.save(update_fields=["state", "state_at"])
    refresh_cleared(request)
    audit.record(
        "evacuation.clearance",
        org_id=request.org_id,
        obj=step,
        request=http,
        actor_id=by.user_id if by else None,
        detail={"request": request.pk, "party": party.pk, "state": state},
    )
    return step
