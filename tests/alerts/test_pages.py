"""The duty page, acknowledge and close from the page, the rota and its rule, handover, silence
acknowledgement, and the API."""

import json
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from salama.alerts.models import Alert, AlertState, Shift, SilenceAck
from salama.alerts.services import raise_life_safety
from salama.lib import clock
from salama.people.models import Person
from tests.alerts.conftest import T0, member

pytestmark = pytest.mark.django_db


def help_alert(world: Any, roster: Any) -> Alert:
    return raise_life_safety(org=world.org, kind="need_help", person=roster.persons["K12"])


def test_duty_page_lists_open_alerts_with_owner_and_overdue_by_area(
    world: Any, roster: Any, rota: Any, clients: Any
) -> None:
    alert = help_alert(world, roster)
    Person.objects.filter(pk=roster.persons["K21"].pk).update(is_overdue=True)
    page = clients["coordinator"].get("/alerts/")
    text = page.content.decode()
    assert page.status_code == 200
    assert f"#{alert.number}" in text and "K12" in text and "nobody yet" in text
    assert "Al-Shaar" in text and "K21" in text
    assert "coordinator" in text  # on duty now


def test_acknowledge_then_close_from_the_page(world: Any, roster: Any, clients: Any) -> None:
    alert = help_alert(world, roster)
    response = clients["coordinator"].post(f"/alerts/{alert.number}/acknowledge", {"next": "duty"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED and alert.owner == member(world, "coordinator")
    response = clients["coordinator"].post(f"/alerts/{alert.number}/close", {"note": ""})
    assert response.status_code == 400
    response = clients["coordinator"].post(
        f"/alerts/{alert.number}/close", {"note": "K10 went with the ambulance"}
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.state == AlertState.CLOSED


def test_polling_answers_204_when_nothing_changed(world: Any, roster: Any, clients: Any) -> None:
    first = clients["coordinator"].get("/alerts/live")
    version = first.content.decode().split("?v=")[1].split('"')[0]
    assert clients["coordinator"].get(f"/alerts/live?v={version}").status_code == 204
    help_alert(world, roster)
    assert clients["coordinator"].get(f"/alerts/live?v={version}").status_code == 200


def test_shift_needs_an_active_sms_number(world: Any, roster: Any, clients: Any) -> None:
    data = {
        "form": "shift",
        "membership": member(world, "coordinator2").pk,
        "starts": "2099-01-01T08:00",
        "ends": "2099-01-01T16:00",
        "time_zone": "Europe/Berlin",
    }
    response = clients["coordinator"].post("/alerts/rota", data)
    assert response.status_code == 400
    assert "no active SMS number" in response.content.decode()
    assert not Shift.objects.exists()
    data["membership"] = member(world, "coordinator").pk
    assert clients["coordinator"].post("/alerts/rota", data).status_code == 302
    shift = Shift.objects.get()
    assert shift.time_zone == "Europe/Berlin"
    assert shift.starts_at.isoformat() == "2099-01-01T07:00:00+00:00"


def test_shift_error_is_translated(world: Any, roster: Any, clients: Any) -> None:
    user = world.users["coordinator"]
    user.language = "ar"
    user.save()
    data = {
        "form": "shift",
        "membership": member(world, "coordinator2").pk,
        "starts": "2099-01-01T08:00",
        "ends": "2099-01-01T16:00",
        "time_zone": "UTC",
    }
    text = clients["coordinator"].post("/alerts/rota", data).content.decode()
    assert "رقم" in text and "no active SMS number" not in text


def test_rota_shows_shifts_in_the_viewers_time_zone(
    world: Any, roster: Any, rota: Any, clients: Any
) -> None:
    clients["coordinator"].post(
        "/alerts/rota", {"form": "profile", "time_zone": "America/New_York"}
    )
    text = clients["coordinator"].get("/alerts/rota").content.decode()
    local = (T0 + timedelta(hours=6)).astimezone(ZoneInfo("America/New_York"))
    assert local.strftime("%H:%M") in text and "America/New_York" in text


def test_handover_requires_every_open_alert_to_be_handed(
    world: Any, roster: Any, clients: Any
) -> None:
    first, second = (
        help_alert(world, roster),
        raise_life_safety(org=world.org, kind="injured", person=roster.persons["K21"]),
    )
    to = member(world, "coordinator2").pk
    response = clients["coordinator"].post("/alerts/handover", {f"alert_{first.pk}": to})
    assert response.status_code == 400
    first.refresh_from_db()
    assert first.owner is None
    response = clients["coordinator"].post(
        "/alerts/handover", {f"alert_{first.pk}": to, f"alert_{second.pk}": to}
    )
    assert response.status_code == 302
    assert set(Alert.objects.values_list("owner", flat=True)) == {to}


def test_lead_acknowledges_silence_of_own_team_only(world: Any, roster: Any, clients: Any) -> None:
    data = {"reason": "in surgery", "until": "2099-01-01T18:00"}
    k12, k21 = roster.persons["K12"], roster.persons["K21"]
    response = clients["lead"].post(f"/alerts/silence/{k21.pk}", data)
    assert response.status_code == 400 and not SilenceAck.objects.exists()
    tomorrow = (clock.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    data["until"] = tomorrow
    response = clients["lead"].post(f"/alerts/silence/{k12.pk}", data)
    assert response.status_code == 302
    ack = SilenceAck.objects.get()
    assert ack.person == k12 and ack.reason == "in surgery"
    data["until"] = (clock.now() + timedelta(days=9)).strftime("%Y-%m-%dT%H:%M")
    response = clients["coordinator"].post(f"/alerts/silence/{k21.pk}", data)
    assert response.status_code == 400 and SilenceAck.objects.count() == 1


def test_api_lists_and_acknowledges(world: Any, roster: Any, clients: Any) -> None:
    alert = help_alert(world, roster)
    listed = clients["coordinator"].get("/api/alerts").json()
    assert [a["number"] for a in listed] == [alert.number]
    assert listed[0]["codename"] == "K12" and "area" not in listed[0]
    response = clients["coordinator"].post(
        f"/api/alerts/{alert.number}/acknowledge",
        data=json.dumps({}),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["acknowledged"] is True
    again = clients["coordinator2"].post(f"/api/alerts/{alert.number}/acknowledge")
    assert again.json() == {**again.json(), "acknowledged": False}
    assert clients["staff"].get("/api/alerts").status_code == 403
    assert clients["outsider"].post(f"/api/alerts/{alert.number}/acknowledge").status_code == 404
