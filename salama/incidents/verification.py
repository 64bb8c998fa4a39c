"""Verification: a coordinator's act, separate from the reporter's form.

    draft → under_review → verified (with a certainty) | unverifiable | duplicate | withdrawn

A draft may also be withdrawn or marked a duplicate at once; a decided incident may be reopened
(back under review). Any other move is refused. Verifying at a certainty other than the one
the sources suggest needs a reason, and is audited."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Membership
from salama.incidents.consolidation import refresh_certainty, require_coordinator
from salama.incidents.models import Incident
from salama.incidents.validation import IncidentError
from salama.incidents.versions import record_version
from salama.incidents.vocabulary import CERTAINTY, label
from salama.lib import clock

MOVES: dict[str, frozenset[str]] = {
    "draft": frozenset({"under_review", "duplicate", "withdrawn"}),
    "under_review": frozenset({"verified", "unverifiable", "duplicate", "withdrawn", "draft"}),
    "verified": frozenset({"under_review"}),
    "unverifiable": frozenset({"under_review"}),
    "duplicate": frozenset({"under_review"}),
    "withdrawn": frozenset({"under_review"}),
}


def move(
    *,
    incident: Incident,
    to: str,
    by: Membership,
    certainty: str = "",
    reason: str = "",
    duplicate_of: Incident | None = None,
    request: HttpRequest | None = None,
) -> Incident:
    """Move an incident to another state (see the module docstring)."""
    require_coordinator(by)
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk, org_id=by.org_id)
        if to not in MOVES.get(incident.state, frozenset()):
            raise IncidentError(
                _("An incident that is %(now)s cannot become %(to)s.")
                % {"now": label("state", incident.state), "to": label("state", to)}
            )
        refresh_certainty(incident)
        detail: dict[str, object] = {"from": incident.state, "to": to}
        incident.duplicate_of = None
        if to == "verified":
            _verify(incident, certainty or incident.certainty_suggested, reason, detail)
        elif to == "duplicate":
            detail["of"] = _duplicate(incident, duplicate_of)
        if to != "verified":
            incident.certainty, incident.verified_at = "", None
            incident.is_certainty_overridden, incident.certainty_reason = False, ""
        incident.state = to
        incident.save()
        record_version(incident=incident, action=f"state_{to}", actor=by)
        audit.record("incidents.verification", org_id=by.org_id, actor_id=by.user_id,
                     obj=incident, request=request, detail=detail)  # fmt: skip
    return incident


def _verify(incident: Incident, certainty: str, reason: str, detail: dict[str, object]) -> None:
    if certainty not in CERTAINTY:
        raise IncidentError(_("Choose a certainty."))
    overridden = certainty != incident.certainty_suggested
    if overridden and not reason.strip():
        raise IncidentError(
            _("Give a reason for a certainty other than the suggested one (%(suggested)s).")
            % {"suggested": label("certainty", incident.certainty_suggested)}
        )
    if len(reason) > 2000:
        raise IncidentError(_("The reason is too long (at most 2000 characters)."))
    incident.certainty, incident.verified_at = certainty, clock.now()
    incident.is_certainty_overridden = overridden
    incident.certainty_reason = reason.strip() if overridden else ""
    detail.update(certainty=certainty, suggested=incident.certainty_suggested)
    detail["overridden"] = overridden


def _duplicate(incident: Incident, original: Incident | None) -> int:
    if original is None or original.org_id != incident.org_id:
        raise IncidentError(_("Choose the incident this one repeats."))
    if original.pk == incident.pk:
        raise IncidentError(_("An incident cannot be a duplicate of itself."))
    if original.state == "duplicate":
        raise IncidentError(_("Point at the original incident, not at another duplicate."))
    incident.duplicate_of = original
    return original.number


def mark_duplicate(
    *, incident: Incident, of: Incident, by: Membership, request: HttpRequest | None = None
) -> Incident:
    return move(incident=incident, to="duplicate", by=by, duplicate_of=of, request=request)
