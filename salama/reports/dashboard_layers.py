"""The dashboard's incident and movement layers, one restricted read per edition (docs/reports.md,
"The dashboard"). Every read goes through the selectors of the app that owns the data and starts
from the organisation; a place is never finer than an area, drawn at the area's centre.

- internal (coordinators): incidents per area from `incidents.selectors.map_points` (verified,
  and reported: draft or under review), killed and injured of the verified ones; movements in
  progress from `evacuation.selectors.active_flows` (origin and destination areas, how many
  movements by status, how many people aboard).
- partner (field leads, observers, liaisons): incidents from `incidents.selectors.public_rows`
  only (verified at possible or above, published columns); per area only when the incidents
  setting `incidents_publish_area` selects the area column *and* the report option
  `partner_area_detail` is "area", otherwise one count for the organisation. Movements from
  `evacuation.selectors.active_totals`: counts for the whole organisation, never a place.

No name, codename, number, narrative, exact place, assembly point or route is selected, so none
can reach the page."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from salama.accounts.models import Organisation
from salama.evacuation import selectors as evacuation_selectors
from salama.incidents import selectors as incident_selectors
from salama.people.models import Area
from salama.reports.options import options_of

REPORTED = ("draft", "under_review")


def _geometry(org: Organisation, *, ids: Any = None, names: Any = None) -> dict[Any, dict]:
    """Where each area is drawn: its centre and its outline, by id (or by English name, unique
    within an organisation). Areas without a centre are left out."""
    rows = Area.objects.for_org(org).exclude(latitude=None)
    rows = rows.filter(pk__in=ids) if ids is not None else rows.filter(name_en__in=names or [])
    key = "pk" if ids is not None else "name_en"
    return {
        r[key]: {"lat": r["latitude"], "lon": r["longitude"], "name": r["name_en"],
                 "name_ar": r["name_ar"] or r["name_en"]}
        for r in rows.values("pk", "name_en", "name_ar", "latitude", "longitude")
    }  # fmt: skip


def incidents_internal(org: Organisation) -> dict[str, Any]:
    per_area: dict[int, dict[str, Any]] = {}
    for state in ("verified", *REPORTED):
        filters = incident_selectors.Filters(state=state)
        for point in incident_selectors.map_points(org, filters):
            item = per_area.setdefault(
                point["area"],
                {"lat": point["lat"], "lon": point["lon"], "name": point["name"],
                 "name_ar": point["name_ar"] or point["name"], "verified": 0, "reported": 0,
                 "killed": 0, "injured": 0},
            )  # fmt: skip
            if state == "verified":
                item.update(verified=point["incidents"], killed=point["killed"],
                            injured=point["injured"])  # fmt: skip
            else:
                item["reported"] += point["incidents"]
    totals = incident_selectors.incidents(org).aggregate(
        verified=Count("pk", filter=Q(state="verified")),
        reported=Count("pk", filter=Q(state__in=REPORTED)),
    )
    return {"points": list(per_area.values()), "totals": totals}


def incidents_partner(org: Organisation) -> dict[str, Any]:
    by_area = options_of(org).by_area
    column = incident_selectors.PUBLIC_AREA_COLUMN
    per_name: dict[str, dict[str, int]] = {}
    verified = 0
    for row in incident_selectors.public_rows(org):
        verified += 1
        name = row.get(column) if by_area else None
        if name:
            item = per_name.setdefault(name, {"verified": 0, "killed": 0, "injured": 0})
            item["verified"] += 1
            item["killed"] += row["killed_total"] or 0
            item["injured"] += row["injured_total"] or 0
    places = _geometry(org, names=list(per_name))
    points = [
        {**places[name], **counts, "reported": 0}
        for name, counts in sorted(per_name.items())
        if name in places
    ]
    return {"points": points, "totals": {"verified": verified}}


def movements_internal(org: Organisation) -> dict[str, Any]:
    flows = evacuation_selectors.active_flows(org)
    ids = {f[k] for f in flows for k in ("origin", "destination") if f[k]}
    places = _geometry(org, ids=ids)
    lines = [
        {"from": places.get(f["origin"]), "to": places.get(f["destination"]),
         "status": f["status"], "movements": f["movements"], "people": f["people"]}
        for f in flows
    ]  # fmt: skip
    return {
        "lines": [line for line in lines if line["from"] or line["to"]],
        "totals": {
            "movements": sum(f["movements"] for f in flows),
            "people": sum(f["people"] for f in flows),
        },
    }


def movements_partner(org: Organisation) -> dict[str, Any]:
    totals = evacuation_selectors.active_totals(org)
    return {"lines": [], "totals": {"movements": totals["movements"], "people": totals["people"]}}


def layers(org: Organisation, *, internal: bool) -> dict[str, Any]:
    if internal:
        return {"incidents": incidents_internal(org), "movements": movements_internal(org)}
    return {"incidents": incidents_partner(org), "movements": movements_partner(org)}
