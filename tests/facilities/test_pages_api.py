"""The facility pages and API: the board with its filters and map data, a facility's page with
its chart, the quick update (page and API) calling the same service, and the exports."""

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from salama.facilities import services
from salama.facilities.export import CSV_COLUMNS
from salama.facilities.models import StatusUpdate
from salama.facilities.services import StockInput
from salama.lib import clock
from salama.people.models import Facility

pytestmark = pytest.mark.django_db


def table(client: Client, url: str) -> str:
    """The board's table only (the map's data and the open alerts also name facilities)."""
    html = client.get(url).content.decode()
    return html.split('<table id="facilities" class="stacked">')[1].split("</table>")[0]


def map_points(client: Client, url: str) -> list[list[Any]]:
    html = client.get(url).content.decode()
    return list(json.loads(html.split('<script id="map-points" type="application/json">')[1]
                           .split("</script>")[0]))  # fmt: skip


@pytest.fixture
def facility(roster: Any) -> Facility:
    facility: Facility = roster.facility
    facility.latitude, facility.longitude = 36.2, 37.15
    facility.save()
    services.save_card(facility=facility, code="Q7X", facility_type="secondary",
                       affiliation="ngo")  # fmt: skip
    services.record_update(
        facility=facility, channel="page", functionality="partial", beds_total=60,
        beds_occupied=41, services={"trauma": {"level": "full"}},
        stocks={"fuel": StockInput(days=1), "oxygen": StockInput(on_hand=12, daily_use=4)},
        note="Dr Real Person said the roof leaks",
    )  # fmt: skip
    return facility


def test_board_shows_the_table_and_the_map_data(coordinator: Client, facility: Facility) -> None:
    page = coordinator.get("/facilities/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Q7X" in html and facility.name in html
    assert map_points(coordinator, "/facilities/") == [
        [facility.pk, 36.2, 37.15, "partial", facility.name, facility.name_ar or facility.name,
         "Q7X"]
    ]  # fmt: skip
    assert 'id="trauma-now"' in html


def test_where_can_a_trauma_case_go_now(
    coordinator: Client, facility: Facility, roster: Any
) -> None:
    other = services.ensure_status(
        Facility.objects.create(
            org_id=facility.org_id, name="No trauma", kind="clinic", area=facility.area
        )  # fmt: skip
    )
    html = table(coordinator, "/facilities/?service=trauma")
    assert facility.name in html and "No trauma" not in html
    assert "No trauma" in table(coordinator, "/facilities/")
    services.record_update(facility=facility, channel="api", functionality="none")
    assert facility.name not in table(coordinator, "/facilities/?service=trauma")
    assert map_points(coordinator, "/facilities/?service=trauma") == []
    assert other.code  # the new facility got a code


def test_filters_by_type_area_and_service(coordinator: Client, facility: Facility) -> None:
    assert facility.name in table(coordinator, "/facilities/?type=secondary")
    assert facility.name not in table(coordinator, "/facilities/?type=pharmacy")
    assert facility.name in table(coordinator, f"/facilities/?area={facility.area_id}")
    assert facility.name not in table(coordinator, "/facilities/?service=icu")


def test_facility_page_has_the_history_chart(coordinator: Client, facility: Facility) -> None:
    services.record_update(
        facility=facility, channel="api", observed_at=clock.now() + timedelta(minutes=1),
        functionality="full", stocks={"fuel": StockInput(days=3)},
    )  # fmt: skip
    html = coordinator.get(f"/facilities/{facility.pk}/").content.decode()
    assert "<svg" in html and "<polyline" in html
    assert "<script" not in html.split("<svg")[1].split("</svg>")[0]
    assert "roof leaks" not in html  # notes stay off the page's history table


def test_page_update_in_arabic_with_a_bad_stock_is_refused_in_arabic(
    clients: dict[str, Client], facility: Facility, world: Any
) -> None:
    world.users["lead"].language = "ar"
    world.users["lead"].save()
    lead = clients["lead"]
    before = StatusUpdate.objects.count()
    response = lead.post(
        f"/facilities/{facility.pk}/update/",
        {"functionality": "none", "on_hand_oxygen": "5", "daily_use_oxygen": "0"},
    )
    assert response.status_code == 200
    assert "صفر" in response.content.decode()
    assert StatusUpdate.objects.count() == before


def test_lead_updates_from_the_page(clients: dict[str, Client], facility: Facility) -> None:
    response = clients["lead"].post(
        f"/facilities/{facility.pk}/update/",
        {"functionality": "none", "days_fuel": "0.5", "beds_occupied": "60",
         "service_trauma": "none", "cause1_trauma": "equipment"},
    )  # fmt: skip
    assert response.status_code == 302
    status = services.ensure_status(facility)
    assert status.functionality == "none" and status.stocks["fuel"]["days"] == 0.5
    assert status.services["trauma"] == {"level": "none", "causes": ["equipment"]}
    assert status.stocks["oxygen"]["days"] == 3  # carried


def test_staff_and_observers_cannot_see_the_board(clients: dict[str, Client], db: None) -> None:
    assert clients["staff"].get("/facilities/").status_code == 403
    assert clients["observer"].get("/facilities/").status_code == 403


def test_api_update_and_read(coordinator: Client, facility: Facility) -> None:
    url = f"/api/facilities/{facility.pk}/updates"
    body = {"functionality": "full", "stocks": {"blood": {"on_hand": 20, "daily_use": 5}}}
    response = coordinator.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["is_current"] is True
    listed = coordinator.get("/api/facilities?service=trauma").json()
    assert [r["code"] for r in listed] == ["Q7X"]
    assert listed[0]["stocks"]["blood"]["days"] == 4
    assert coordinator.get("/api/facilities?offset=1").json() == []
    assert coordinator.get("/api/facilities?limit=0").status_code == 422
    one = coordinator.get(f"/api/facilities/{facility.pk}").json()
    assert len(one["history"]) == 2


def test_api_refuses_bad_input_with_a_reason(coordinator: Client, facility: Facility) -> None:
    url = f"/api/facilities/{facility.pk}/updates"
    for body, words in [
        ({"stocks": {"fuel": {"days": -2}}}, "negative"),
        ({"stocks": {"oxygen": {"on_hand": 2, "daily_use": 0}}}, "zero"),
        ({"functionality": "F1"}, "Unknown"),
    ]:
        response = coordinator.post(url, json.dumps(body), content_type="application/json")
        assert response.status_code == 422 and words in response.json()["detail"]
    old = {"functionality": "full", "observed_at": (clock.now() - timedelta(days=1)).isoformat()}
    response = coordinator.post(url, json.dumps(old), content_type="application/json")
    assert response.status_code == 201 and response.json()["is_current"] is False
    assert "newer status" in response.json()["detail"]


def test_api_unknown_facility_is_404(coordinator: Client, db: None) -> None:
    response = coordinator.post(
        "/api/facilities/999999/updates", "{}", content_type="application/json"
    )
    assert response.status_code == 404


# --- Exports -----------------------------------------------------------------------------------


def _personal(roster: Any) -> list[str]:
    people = list(roster.names.values()) + list(roster.persons)
    return [p for p in people if p] + ["Real Person", "roof leaks", "lead", "coordinator"]


def test_json_export_has_no_personal_data(
    coordinator: Client, facility: Facility, roster: Any
) -> None:
    response = coordinator.get("/facilities/export.json")
    data = json.loads(response.content)
    hospital = data["hospitals"][0]
    assert hospital["organizationInformation"]["organizationID"] == "Q7X"
    assert hospital["hospitalBedCapacityStatus"]["bedsAvailable"] == 19
    assert hospital["hospitalResourcesStatus"]["fuel"]["belowThreshold"] is True
    text = response.content.decode()
    for word in _personal(roster):
        assert word not in text, word


def test_csv_export_has_hxl_tags_and_no_personal_column(
    coordinator: Client, facility: Facility, roster: Any
) -> None:
    response = coordinator.get("/facilities/export.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "code" and all(tag.startswith("#") for tag in rows[1])
    assert rows[2][0] == "Q7X"
    allowed = {name for name, _tag in CSV_COLUMNS}
    assert set(rows[0]) == allowed
    personal = {"person", "codename", "by", "by_person", "reported_by", "note", "real_name"}
    assert not allowed & personal
    for word in _personal(roster):
        assert word not in response.content.decode(), word


def test_exports_are_for_coordinators_only(clients: dict[str, Client], db: None) -> None:
    assert clients["lead"].get("/facilities/export.csv").status_code == 403
    assert clients["liaison"].get("/facilities/export.json").status_code == 403


def test_the_board_never_reads_the_history(coordinator: Client, facility: Facility) -> None:
    coordinator.get("/facilities/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        coordinator.get("/facilities/")
    for hour in range(30):
        services.record_update(
            facility=facility, channel="api", functionality="partial",
            observed_at=clock.now() + timedelta(seconds=hour),
        )  # fmt: skip
    with CaptureQueriesContext(connection) as after:
        coordinator.get("/facilities/")
    assert len(after.captured_queries) == len(before.captured_queries)
    assert not any("facilities_statusupdate" in q["sql"] for q in after.captured_queries)
