"""The incident tests' world: the demo's areas (with their aliases, in both scripts) in the test
organisation, a facility with a status card, and the coordinator's membership."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from salama.accounts.models import Membership
from salama.demo.roster import AREAS
from salama.incidents import services
from salama.incidents.models import Channel, Incident, Report
from salama.incidents.validation import ReportData
from salama.lib import clock
from salama.people.models import Area, Facility
from salama.people.services import save_area
from tests.facilities.helpers import make_facility


@dataclass
class Place:
    org: Any
    areas: dict[str, Area]
    facility: Facility
    coordinator: Membership
    staff: Membership


def make_place(world: Any) -> Place:
    areas = {}
    for name_en, name_ar, aliases, lat, lon, _risk in AREAS:
        areas[name_en] = save_area(
            org=world.org, name_en=name_en, name_ar=name_ar, aliases="\n".join(aliases),
            latitude=lat, longitude=lon,
        )  # fmt: skip
    facility = make_facility(world.org, areas["Al-Sukkari"])
    coordinator = Membership.objects.get(user=world.users["coordinator"], org=world.org)
    staff = Membership.objects.get(user=world.users["staff"], org=world.org)
    return Place(world.org, areas, facility, coordinator, staff)


def yesterday() -> date:
    return clock.now().date() - timedelta(days=1)


def data(place: Place, **overrides: Any) -> ReportData:
    fields: dict[str, Any] = {
        "occurred_on": yesterday(),
        "area": place.areas["Al-Sukkari"],
        "attack_types": ["heavy_weapons"],
        "resources": {"facility": "yes", "personnel": "yes"},
        "facility": place.facility,
        "facility_type": "secondary",
        "affiliation": "ngo",
        "damage": "partial",
        "functionality": "partial",
        "victims": {"killed_provider": 2, "killed_total": 2, "injured_total": 5},
        "narrative": "Two nurses of the surgical ward were killed.",
        "perpetrator": "unknown armed group",
        "location": "36.1805,37.1575 east gate",
    }
    fields.update(overrides)
    return ReportData(**fields)


def report(place: Place, **overrides: Any) -> Report:
    return services.create_report(
        org=place.org, data=data(place, **overrides), channel=Channel.PAGE, by=place.staff
    )


def verified(place: Place, kinds: list[str], **overrides: Any) -> Incident:
    incident = services.consolidate_reports(
        reports=[report(place, **overrides)], by=place.coordinator
    )
    for kind in kinds:
        services.add_source(incident=incident, kind=kind, by=place.coordinator)
    incident = services.move(incident=incident, to="under_review", by=place.coordinator)
    return services.move(incident=incident, to="verified", by=place.coordinator)
