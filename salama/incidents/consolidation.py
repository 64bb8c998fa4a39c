"""Incidents from reports: consolidate one or more partner reports into one incident (each
report keeps its own numbers, as a sub-entry), edit an incident, list its sources. Every change
ends with salama.incidents.versions.record_version in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.access import COORDINATING
from salama.accounts.models import Membership
from salama.incidents import certainty
from salama.incidents.models import VICTIM_FIELDS, Incident, Report, Source
from salama.incidents.reports import next_number
from salama.incidents.validation import IncidentError, ReportData, check
from salama.incidents.versions import record_version
from salama.incidents.vocabulary import SOURCE_KINDS

MERGED_TEXT = ("location", "narrative", "impact_text", "follow_up", "perpetrator")


def require_coordinator(by: Membership | None) -> None:
    if by is None or not by.is_active or by.role not in COORDINATING:
        raise IncidentError(_("Only a coordinator may do this."))


def _merge(reports: Sequence[Report]) -> dict[str, object]:
    """The incident's first picture from its reports: the earliest report's date, place and
    facility; every attack type any report names; a resource is affected if any report says
    so; each count is the largest any report gives (reports of one attack count the same
    people, so adding them would count twice)."""
    first = reports[0]
    types = {t for r in reports for t in r.attack_types}
    if len(types) > 1:
        types.discard("unknown")
    resources: dict[str, str] = {}
    for report in reports:
        for code, answer in report.resources.items():
            now = resources.get(code)
            if answer == "yes" or now is None or (now == "no" and answer == "unknown"):
                resources[code] = answer
    merged: dict[str, object] = {
        "occurred_on": first.occurred_on, "occurred_time": first.occurred_time,
        "area": first.area, "attack_types": sorted(types), "resources": resources,
        "facility": next((r.facility for r in reports if r.facility_id), None),
        "facility_type": next((r.facility_type for r in reports if r.facility_type), ""),
        "affiliation": next((r.affiliation for r in reports if r.affiliation), ""),
        "damage": next((r.damage for r in reports if r.damage != "unknown"), "unknown"),
        "functionality": next(
            (r.functionality for r in reports if r.functionality != "unknown"), "unknown"
        ),
        "targeted": next((r.targeted for r in reports if r.targeted != "unknown"), "unknown"),
        "impact_kind": next(
            (r.impact_kind for r in reports if r.impact_kind != "unknown"), "unknown"
        ),
    }  # fmt: skip
    for name in VICTIM_FIELDS:
        values = [getattr(r, name) for r in reports if getattr(r, name) is not None]
        merged[name] = max(values) if values else None
    for name in MERGED_TEXT:
        merged[name] = "\n\n".join(str(getattr(r, name)) for r in reports if getattr(r, name))
    return merged


def consolidate_reports(
    *,
    reports: Sequence[Report],
    by: Membership,
    into: Incident | None = None,
    request: HttpRequest | None = None,
) -> Incident:
    """Make one incident of these reports, or add them to an existing one (``into``: the
    incident's fields stay as the coordinator left them). A report belongs to one incident."""
    require_coordinator(by)
    if not reports:
        raise IncidentError(_("Choose at least one report."))
    org = by.org
    with transaction.atomic():
        locked = list(
            Report.objects.select_for_update()
            .filter(org=org, pk__in=[r.pk for r in reports])
            .order_by("received_at", "id")
        )
        if len(locked) != len({r.pk for r in reports}):
            raise IncidentError(_("Unknown report."))
        if any(r.incident_id is not None for r in locked):
            raise IncidentError(_("A report already belongs to an incident."))
        if into is None:
            incident = Incident(org=org, number=next_number(Incident, org), **_merge(locked))
            incident.save()
            action = "created"
        else:
            if into.org_id != org.pk:
                raise IncidentError(_("Unknown incident."))
            incident, action = into, "reports_added"
        Report.objects.filter(pk__in=[r.pk for r in locked]).update(incident=incident)
        refresh_certainty(incident)
        record_version(incident=incident, action=action, actor=by)
        audit.record(
            "incidents.consolidate", org_id=org.pk, actor_id=by.user_id, obj=incident,
            request=request, detail={"reports": [r.number for r in locked]},
        )  # fmt: skip
    from salama.incidents.facilitylink import propose_update

    propose_update(incident=incident)
    return incident


def edit_incident(
    *,
    incident: Incident,
    data: ReportData,
    by: Membership,
    own_staff_attacked: bool | None = None,
    request: HttpRequest | None = None,
) -> Incident:
    """Change what the incident says (a coordinator's edit)."""
    require_coordinator(by)
    check(data, org=by.org)
    with transaction.atomic():
        for name, value in data.model_fields().items():
            setattr(incident, name, value)
        if own_staff_attacked is not None:
            incident.own_staff_attacked = own_staff_attacked
        incident.save()
        refresh_certainty(incident)
        record_version(incident=incident, action="edited", actor=by)
        audit.record("incidents.edit", org_id=by.org_id, actor_id=by.user_id, obj=incident,
                     request=request)  # fmt: skip
    from salama.incidents.facilitylink import propose_update

    propose_update(incident=incident)
    return incident


def refresh_certainty(incident: Incident) -> None:
    kinds = list(Source.objects.filter(incident=incident).values_list("kind", flat=True))
    suggested = certainty.suggest(kinds, own_staff_attacked=incident.own_staff_attacked)
    Incident.objects.filter(pk=incident.pk).update(certainty_suggested=suggested.certainty)
    incident.certainty_suggested = suggested.certainty


def add_source(
    *,
    incident: Incident,
    kind: str,
    by: Membership,
    note: str = "",
    request: HttpRequest | None = None,
) -> Source:
    require_coordinator(by)
    if kind not in SOURCE_KINDS:
        raise IncidentError(_("Unknown kind of source."))
    if len(note) > 2000:
        raise IncidentError(_("The note is too long (at most 2000 characters)."))
    with transaction.atomic():
        source = Source.objects.create(
            org_id=incident.org_id, incident=incident, kind=kind, note=note, added_by=by
        )
        refresh_certainty(incident)
        record_version(incident=incident, action="source_added", actor=by)
        audit.record("incidents.source", org_id=by.org_id, actor_id=by.user_id, obj=incident,
                     request=request, detail={"kind": kind})  # fmt: skip
    return source


def remove_source(*, source: Source, by: Membership, request: HttpRequest | None = None) -> None:
    require_coordinator(by)
    incident = source.incident
    with transaction.atomic():
        source.delete()
        refresh_certainty(incident)
        record_version(incident=incident, action="source_removed", actor=by)
        audit.record("incidents.source_removed", org_id=by.org_id, actor_id=by.user_id,
                     obj=incident, request=request, detail={"kind": source.kind})  # fmt: skip
