"""Reads for the roster pages and API. Nothing here decrypts a real name or a number."""

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from salama.accounts.models import Organisation
from salama.people.models import Area, Facility, Person, Team, TeamLead


def roster(org: Organisation, filters: dict[str, Any] | None = None) -> QuerySet[Person]:
    """The organisation's persons, filtered by codename (contains), team, area, facility,
    state ("none": never reached) and enrolment ("enrolled", "not_enrolled",
    "never_reached" = enrolled but no check-in yet)."""
    filters = filters or {}
    people = Person.objects.for_org(org).select_related("team", "area", "home_facility")
    if filters.get("q"):
        people = people.filter(codename__icontains=filters["q"].strip())
    for name in ("team", "area"):
        if filters.get(name):
            people = people.filter(**{name: filters[name]})
    if filters.get("facility"):
        people = people.filter(home_facility=filters["facility"])
    state = filters.get("state")
    if state == "none":
        people = people.filter(state="")
    elif state:
        people = people.filter(state=state)
    enrolled = Q(verified_at__isnull=False, test_message_at__isnull=False)
    match filters.get("enrolment"):
        case "enrolled":
            people = people.filter(enrolled)
        case "not_enrolled":
            people = people.exclude(enrolled)
        case "never_reached":
            people = people.filter(enrolled, state="")
    return people.order_by("codename")


def teams(org: Organisation) -> QuerySet[Team]:
    links = (
        TeamLead.objects.for_org(org)
        .select_related("person")
        .order_by("is_deputy", "person__codename")
    )
    return (
        Team.objects.for_org(org)
        .annotate(size=Count("members"))
        .prefetch_related(Prefetch("lead_links", queryset=links))
    )


def areas(org: Organisation) -> QuerySet[Area]:
    return Area.objects.for_org(org).annotate(size=Count("people"))


def facilities(org: Organisation) -> QuerySet[Facility]:
    return Facility.objects.for_org(org).select_related("area").annotate(size=Count("staff"))


def map_features(org: Organisation) -> dict[str, Any]:
    """Areas and facilities as GeoJSON for the map (names, risk and functionality only)."""
    features: list[dict[str, Any]] = []
    for area in Area.objects.for_org(org):
        props = {"kind": "area", "name": area.name_en, "name_ar": area.name_ar, "risk": area.risk}
        if area.polygon:
            features.append({"type": "Feature", "properties": props, "geometry": area.polygon})
        if area.latitude is not None and area.longitude is not None:
            point = {"type": "Point", "coordinates": [area.longitude, area.latitude]}
            features.append({"type": "Feature", "properties": props, "geometry": point})
    for facility in Facility.objects.for_org(org):
        if facility.latitude is None or facility.longitude is None:
            continue
        props = {
            "kind": "facility",
            "name": facility.name,
            "name_ar": facility.name_ar,
            "functionality": facility.functionality,
        }
        point = {"type": "Point", "coordinates": [facility.longitude, facility.latitude]}
        features.append({"type": "Feature", "properties": props, "geometry": point})
    return {"type": "FeatureCollection", "features": features}
