"""The dashboard's incident and movement layers (R1, docs/reports.md "The dashboard"), on the
page's own context and HTML, for each role: coordinators see verified and reported incidents
per area and movements in progress between areas; field leads, observers and liaisons see
counts only (incidents per area only when both settings allow, movements never placed); no
role sees a name, codename, narrative, exact place, assembly point, route or another
organisation's data; the labels are Arabic in Arabic."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest

from salama.accounts.models import Membership
from salama.evacuation import services as evac
from salama.evacuation.movements import Plan
from salama.facilities import services as facility_services
from salama.incidents.orgsettings import PUBLISH_AREA
from salama.lib import clock
from salama.people.models import Area
from salama.people.services import save_area
from salama.reports import services as report_services
from tests.evacuation.helpers import party as crossing_party
from tests.evacuation.helpers import ready, request_for
from tests.facilities.helpers import NAME, NAME_AR, make_facility
from tests.incidents.helpers import Place, report, verified
from tests.people.factories import NAMES, NUMBERS

SECRET_NARRATIVE = "Two nurses of the surgical ward were killed."
RUMOUR_NARRATIVE = "A rumour about the bakery road."
ASSEMBLY_POINT = "Behind the old mill"
ROUTE_POINT = "Checkpoint Almond"
OTHER_AREA = "Faraway Valley"
PARTNERS = ("lead", "observer", "liaison")
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[37.15, 36.18], [37.17, 36.18], [37.17, 36.2], [37.15, 36.2], [37.15, 36.18]]],
}


def _member(world: Any, name: str) -> Membership:
    return Membership.objects.get(user=world.users[name], org=world.org)


def _plan(assembly: Area, destination: Area) -> Plan:
    now = clock.now()
    return Plan(
        kind="road_convoy",
        window_start=now + timedelta(hours=2),
        window_end=now + timedelta(hours=4),
        expected_arrival_at=now + timedelta(hours=6),
        assembly_area=assembly,
        assembly_point=ASSEMBLY_POINT,
        destination_area=destination,
        route=[ROUTE_POINT],
    )


def build_layers_scene(world: Any, roster: Any) -> dict[str, Any]:
    """Two verified incidents (one published, one a rumour) and a draft; a movement in progress
    with three people aboard and a cancelled one; another organisation's incident and movement."""
    sukkari, shaar = roster.areas["sukkari"], roster.areas["shaar"]
    sukkari.polygon = SQUARE
    sukkari.save(update_fields=["polygon"])
    hospital = make_facility(world.org, sukkari)
    facility_services.record_update(facility=hospital, channel="page", functionality="full")
    coordinator = _member(world, "coordinator")
    place = Place(world.org, {"Al-Sukkari": sukkari}, roster.facility, coordinator,
                  _member(world, "staff"))  # fmt: skip
    verified(place, ["eyewitness_told", "photo"],
             victims={"killed_provider": 2, "killed_total": 2, "injured_total": 5})  # fmt: skip
    verified(place, ["social_media"], area=shaar, narrative=RUMOUR_NARRATIVE,
             victims={"killed_total": 7, "injured_total": 9})  # fmt: skip
    from salama.incidents import services as incident_services

    incident_services.consolidate_reports(reports=[report(place)], by=coordinator)
    # A movement in progress from Al-Sukkari to Al-Shaar with K21 and two dependants aboard,
    # and a cancelled one that is not in progress.
    crossing = crossing_party(world.org)
    request = ready(request_for(roster.persons["K21"], dependants=2), coordinator, [crossing])
    moving = evac.create_movement(org=world.org, plan=_plan(sukkari, shaar), by=coordinator)
    evac.add_vehicle(movement=moving, kind="bus", seats=6, stretchers=1)
    evac.assign(request=request, movement=moving, by=coordinator)
    evac.change_status(movement=moving, to="notified", by=coordinator)
    stopped = evac.create_movement(org=world.org, plan=_plan(shaar, sukkari), by=coordinator)
    evac.change_status(movement=stopped, to="cancelled", by=coordinator)
    # Another organisation's incident and movement, in its own area.
    outsider = Membership.objects.get(user=world.users["outsider"], org=world.other_org)
    far = save_area(org=world.other_org, name_en=OTHER_AREA, name_ar="الوادي البعيد",
                    latitude=36.3, longitude=37.3)  # fmt: skip
    other = Place(world.other_org, {"Al-Sukkari": far},
                  make_facility(world.other_org, far, name="Faraway Clinic", code="F1X"),
                  outsider, outsider)  # fmt: skip
    verified(other, ["eyewitness_told", "photo"], area=far)
    evac.create_movement(org=world.other_org, plan=_plan(far, far), by=outsider)
    return {"roster": roster}


@pytest.fixture
def scene(world: Any, roster: Any) -> dict[str, Any]:
    return build_layers_scene(world, roster)


def _page(client: Any) -> tuple[dict[str, Any], str]:
    response = client.get("/reports/dashboard/")
    assert response.status_code == 200
    return response.context["data"], response.content.decode()


def _never(body: str, roster: Any) -> None:
    words = [
        SECRET_NARRATIVE, RUMOUR_NARRATIVE, "unknown armed group", "east gate", "36.1805,37.1575",
        ASSEMBLY_POINT, ROUTE_POINT, OTHER_AREA, "الوادي البعيد", "Faraway Clinic",
        *NAMES.values(),
        *(n for numbers in NUMBERS.values() for n in numbers),
    ]  # fmt: skip
    found = [w for w in words if w in body]
    found += [c for c in roster.persons if re.search(rf"\b{c}\b", body)]  # codenames
    assert not found, found


def test_coordinator_sees_incidents_and_movements_per_area(
    world: Any, scene: dict[str, Any], clients: dict[str, Any]
) -> None:
    data, body = _page(clients["coordinator"])
    points = {p["name"]: p for p in data["incidents"]["points"]}
    assert set(points) == {"Al-Sukkari", "Al-Shaar"}
    sukkari = points["Al-Sukkari"]
    assert (sukkari["verified"], sukkari["reported"]) == (1, 1)  # the draft is reported
    assert (sukkari["killed"], sukkari["injured"]) == (2, 5)
    assert points["Al-Shaar"]["verified"] == 1  # a rumour too: coordinators see every certainty
    area = Area.objects.get(org=world.org, name_en="Al-Sukkari")
    assert (sukkari["lat"], sukkari["lon"]) == (area.latitude, area.longitude)  # its centre
    assert data["incidents"]["totals"] == {"verified": 2, "reported": 1}
    assert data["movements"]["lines"] == [
        {"from": {"lat": area.latitude, "lon": area.longitude, "name": "Al-Sukkari",
                  "name_ar": area.name_ar},
         "to": data["movements"]["lines"][0]["to"], "status": "notified", "movements": 1,
         "people": 3},
    ]  # fmt: skip
    assert data["movements"]["lines"][0]["to"]["name"] == "Al-Shaar"
    assert data["movements"]["totals"] == {"movements": 1, "people": 3}
    assert any(a[8] == SQUARE for a in data["areas"])  # the outline, drawn without tiles
    assert [f[4] for f in data["facilities"]] == [NAME]  # coordinators keep the facilities
    assert 'id="dash-day"' in body
    _never(body, scene["roster"])


@pytest.mark.parametrize("name", PARTNERS)
def test_partners_see_counts_only(
    world: Any, scene: dict[str, Any], clients: dict[str, Any], name: str
) -> None:
    data, body = _page(clients[name])
    # Only the public edition's rows (verified, possible or above): the rumour is not counted.
    assert data["incidents"] == {"points": [], "totals": {"verified": 1}}
    assert data["movements"] == {"lines": [], "totals": {"movements": 1, "people": 3}}
    assert data["areas"] == [] and data["facilities"] == []
    assert 'id="dash-day"' not in body
    for word in ("Al-Sukkari", "Al-Shaar", "السكري", "الشعار", "reported"):
        assert word not in json.dumps(data, ensure_ascii=False), word
    _never(body, scene["roster"])
    assert "Al-Sukkari" not in body and "Al-Shaar" not in body
    assert NAME not in body and NAME_AR not in body  # a facility is an exact place


def test_partners_see_incident_areas_only_when_both_settings_allow(
    world: Any, scene: dict[str, Any], clients: dict[str, Any]
) -> None:
    report_services.save_options(
        org=world.org, sitrep_hour=18, retention_days=90, area_detail="area", facility_names=False
    )
    data, _ = _page(clients["observer"])
    assert data["incidents"]["points"] == []  # the incidents setting still withholds the area
    assert {a[2] for a in data["areas"]} == {"Al-Sukkari", "Al-Shaar"}  # staff per area: allowed
    world.org.refresh_from_db()
    world.org.settings = {**world.org.settings, PUBLISH_AREA: True}
    world.org.save(update_fields=["settings"])
    data, body = _page(clients["observer"])
    [point] = data["incidents"]["points"]
    assert (point["name"], point["verified"], point["reported"]) == ("Al-Sukkari", 1, 0)
    assert (point["killed"], point["injured"]) == (2, 5)
    assert data["movements"]["lines"] == [] and data["facilities"] == []  # never placed
    _never(body, scene["roster"])


def test_staff_and_strangers_get_no_dashboard(
    scene: dict[str, Any], clients: dict[str, Any], anon: Any
) -> None:
    assert clients["staff"].get("/reports/dashboard/").status_code == 403
    assert anon.get("/reports/dashboard/").status_code in (302, 403)
    data, _ = _page(clients["outsider"])  # its own organisation only
    assert [p["name"] for p in data["incidents"]["points"]] == [OTHER_AREA]
    assert data["incidents"]["totals"] == {"verified": 1, "reported": 0}
    assert data["movements"]["totals"] == {"movements": 1, "people": 0}


def test_layers_are_labelled_in_arabic(
    world: Any, scene: dict[str, Any], clients: dict[str, Any]
) -> None:
    for name in ("coordinator", "observer"):
        user = world.users[name]
        user.language = "ar"
        user.save(update_fields=["language"])
        response = clients[name].get("/reports/dashboard/")
        layers = response.context["layers"]
        assert layers["incidents"] == "الحوادث على الرعاية الصحية"
        assert layers["movements"] == "عمليات النقل الجارية"
        assert layers["statuses"]["notified"] != "Notified"
        body = response.content.decode()
        assert 'dir="rtl"' in body
        assert "الأشخاص على متنها: " in body and '<bdi dir="ltr">1</bdi>' in body
        assert "Movements in progress" not in body and "Incidents on health care" not in body


def test_a_movement_to_a_facility_is_drawn_to_the_facility_area(
    world: Any, roster: Any, clients: dict[str, Any]
) -> None:
    """No destination area: the destination facility's area (never the facility itself);
    no assembly area: one end only. Field leads still see the count alone."""
    sukkari = roster.areas["sukkari"]
    hospital = make_facility(world.org, sukkari)
    coordinator = _member(world, "coordinator")
    plan = _plan(sukkari, sukkari)
    plan.assembly_area, plan.destination_area, plan.destination_facility = None, None, hospital
    evac.create_movement(org=world.org, plan=plan, by=coordinator)
    data, body = _page(clients["coordinator"])
    [line] = data["movements"]["lines"]
    assert line["from"] is None and line["to"]["name"] == "Al-Sukkari"
    assert (line["status"], line["movements"], line["people"]) == ("planning", 1, 0)
    assert NAME not in json.dumps(data["movements"], ensure_ascii=False)
    data, _ = _page(clients["lead"])
    assert data["movements"] == {"lines": [], "totals": {"movements": 1, "people": 0}}
