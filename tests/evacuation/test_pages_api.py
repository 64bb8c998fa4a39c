"""Evacuation's pages and API in both languages: the queue, a request's clearance and decisions,
a movement built from the queue, the printed manifest (codenames by default, names only for the
roles allowed and audited, the driver's copy counts only), the field page without JavaScript,
the board's card and the person's panel."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from salama.accounts.models import AuditEvent
from salama.evacuation import services
from salama.evacuation.models import Request, Seat
from tests.conftest import client_for, without_tokens
from tests.evacuation.helpers import movement, ready, request_for
from tests.messaging.text_helpers import Roster

pytestmark = pytest.mark.django_db


def as_user(world: Any, name: str, language: str = "en") -> Client:
    user = world.users[name]
    user.language = language
    user.save()
    return client_for(user)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Priority queue", "Urgent", "injured +40"]),
        ("ar", ["قائمة الأولوية", "عاجل", "مصاب +40", 'dir="rtl"']),
    ],
)
def test_the_queue_shows_bands_and_explanations_in_both_languages(
    world: Any, roster: Roster, language: str, words: list[str]
) -> None:
    request_for(roster.k1, reason="injury", needs=("oxygen",))
    request_for(roster.k3, reason="end_of_mission")
    page = as_user(world, "coordinator", language).get("/evacuation/")
    html = page.content.decode()
    assert page.status_code == 200
    for word in words:
        assert word in html
    queue = html[html.index('id="queue"') :]  # not the head: a random token can hold "K3"
    assert queue.index(">K1</a>") < queue.index(">K3</a>")


def test_a_lead_sees_only_their_teams_requests(world: Any, roster: Roster) -> None:
    other = roster.k3
    other.team = None
    other.save()
    request_for(roster.k1)
    request_for(other)
    html = without_tokens(as_user(world, "lead").get("/evacuation/").content)
    assert "K1" in html and "K3" not in html
    api = as_user(world, "lead").get("/api/evacuation/queue").json()
    assert [r["codename"] for r in api] == ["K1"]


def test_a_coordinator_records_clearance_and_approves_on_the_page(
    world: Any, roster: Roster, crossing: Any
) -> None:
    row = request_for(roster.k1)
    client = as_user(world, "coordinator")
    base = f"/evacuation/requests/{row.pk}/"
    client.post(base + "approve/")
    client.post(base + "clearance/", {"party": crossing.pk, "state": "submitted"})
    client.post(base + "clearance/", {"party": crossing.pk, "state": "approved"})
    refused = client.post(
        base + "clearance/", {"party": crossing.pk, "state": "pending"}, follow=True
    )
    assert "cannot go from Approved to Pending" in refused.content.decode()
    row.refresh_from_db()
    assert row.journey == "approved" and row.is_cleared
    page = client.get(base).content.decode()
    assert "by every party" in page and "coordinator" in page  # who recorded each step


def test_a_movement_is_built_from_the_queue_and_printed(
    world: Any, roster: Roster, by: Any, crossing: Any
) -> None:
    mov = movement(roster.org, by, vehicles=((3, 0),))
    k1 = ready(request_for(roster.k1, dependants=1), by, [crossing])
    k3 = ready(request_for(roster.k3, dependants=1), by, [crossing])
    roster.k1.real_name = "Samira Haddad (fictional)"
    roster.k1.save()
    client = as_user(world, "coordinator")
    answer = client.post(f"/evacuation/movements/{mov.pk}/fill/", follow=True)
    assert "1 added, 1 left in the queue." in answer.content.decode()
    assert Seat.objects.get(is_active=True).request_id == k1.pk
    assert Request.objects.get(pk=k3.pk).journey == "approved"
    printed = client.get(f"/evacuation/movements/{mov.pk}/manifest/?lang=ar").content.decode()
    assert "K1" in printed and "Samira" not in printed and 'dir="rtl"' in printed
    assert "أتلفها بعد" in printed and "coordinator" in printed  # destroy-after, watermark
    named = client.get(f"/evacuation/movements/{mov.pk}/manifest/?names=1&lang=en").content.decode()
    assert "Samira Haddad" in named and "Destroy after" in named
    driver_copy = client.get(f"/evacuation/movements/{mov.pk}/manifest/?copy=driver")
    driver = without_tokens(driver_copy.content)
    assert "K1" not in driver and 'id="total"' in driver
    audits = AuditEvent.objects.filter(action="evacuation.manifest_print").order_by("pk")
    assert [a.detail["names"] for a in audits] == [False, True, False]


def test_the_manifest_print_is_not_for_leads(world: Any, roster: Roster, by: Any) -> None:
    mov = movement(roster.org, by)
    assert (
        as_user(world, "lead").get(f"/evacuation/movements/{mov.pk}/manifest/").status_code == 403
    )


def test_the_field_page_shows_the_plan_only_once_notified_and_the_checklist(
    world: Any, roster: Roster, by: Any, crossing: Any
) -> None:
    mov = movement(roster.org, by)
    row = ready(request_for(roster.lead), by, [crossing])  # the "lead" persona is L1
    services.assign(request=row, movement=mov, by=by)
    client = as_user(world, "lead")
    html = client.get("/evacuation/field/").content.decode()
    assert "Behind the old mill" not in html and "Delete the message thread" in html
    services.change_status(movement=mov, to="notified", by=by)
    html = as_user(world, "lead", "ar").get("/evacuation/field/").content.decode()
    assert "Behind the old mill" in html and "احذف محادثة الرسائل" in html
    assert "<script" not in html


def test_the_field_page_files_a_request_without_javascript(world: Any, roster: Roster) -> None:
    client = as_user(world, "lead")
    client.post("/evacuation/field/", {"reason": "threat", "dependants": "2"})
    row = Request.objects.get(person=roster.lead)
    assert row.dependants == 2 and row.channel == "field"
    again = client.post("/evacuation/field/", {"reason": "threat", "dependants": "1"})
    assert again.status_code == 400 and "L1 already has an open request" in again.content.decode()
    assert Request.objects.filter(person=roster.lead).count() == 1


def test_the_board_and_the_persons_page_show_evacuation(
    world: Any, roster: Roster, by: Any
) -> None:
    row = request_for(roster.k1, reason="injury")
    services.record_outcome(request=request_for(roster.k3), outcome="died_waiting", by=by)
    client = as_user(world, "coordinator")
    board = client.get("/").content.decode()
    if "evacuation-card" not in board:
        board = client.get("/safety/board/live/").content.decode()
    assert 'id="evacuation-card"' in board and "Died while waiting" in board
    person = client.get(f"/people/{roster.k1.pk}/").content.decode()
    assert 'id="evacuation-panel"' in person and f"/evacuation/requests/{row.pk}/" in person


def test_the_api_refuses_an_overfill_with_what_would_work(
    world: Any, roster: Roster, by: Any, crossing: Any
) -> None:
    mov = movement(roster.org, by, vehicles=((1, 0),))
    k1 = ready(request_for(roster.k1, dependants=1), by, [crossing])
    client = as_user(world, "coordinator")
    answer = client.post(
        f"/api/evacuation/movements/{mov.pk}/manifest",
        {"request_id": k1.pk},
        content_type="application/json",
    )
    assert answer.status_code == 422
    assert "No room for K1" in answer.json()["detail"]
    answer = client.post(
        f"/api/evacuation/movements/{mov.pk}/vehicles",
        {"kind": "bus", "seats": 4},
        content_type="application/json",
    )
    assert answer.status_code == 201
    answer = client.post(
        f"/api/evacuation/movements/{mov.pk}/manifest",
        {"request_id": k1.pk},
        content_type="application/json",
    )
    assert answer.status_code == 200
    assert [s["codename"] for s in answer.json()["manifest"]] == ["K1"]
    step = client.post(
        f"/api/evacuation/requests/{k1.pk}/journey",
        {"to": "arrived"},
        content_type="application/json",
    )
    assert step.status_code == 422 and "Assembled" in step.json()["detail"]


def test_the_api_creates_a_request_and_is_in_the_schema(world: Any, roster: Roster) -> None:
    client = as_user(world, "coordinator")
    answer = client.post(
        "/api/evacuation/requests",
        {
            "person_id": roster.k1.pk,
            "reason": "injury",
            "dependants": [{"relation": "child", "age_band": "2-11", "needs": ["oxygen"]}],
        },
        content_type="application/json",
    )
    assert answer.status_code == 201
    body = answer.json()
    assert (
        body["dependants"] == 1
        and body["band"] == "priority"
        and "injured +40" in body["explanation"]
    )
    again = client.post(
        "/api/evacuation/requests",
        {"person_id": roster.k1.pk, "reason": "injury"},
        content_type="application/json",
    )
    assert again.status_code == 422 and "already has an open request" in again.json()["detail"]
    paths = client.get("/api/openapi.json").json()["paths"]
    assert (
        "/api/evacuation/queue" in paths
        and "/api/evacuation/movements/{movement_id}/manifest" in paths
    )
    outsider = client_for(world.users["outsider"]).get(f"/api/evacuation/requests/{body['id']}")
    assert outsider.status_code == 404


def test_the_api_adds_parties_fills_from_the_queue_and_opens_the_roll_call(
    world: Any, roster: Roster, by: Any
) -> None:
    client = as_user(world, "coordinator")
    made = client.post(
        "/api/evacuation/parties",
        {"name": "Crossing", "name_ar": "المعبر"},
        content_type="application/json",
    )
    assert made.status_code == 201
    party_id = made.json()["id"]
    row = request_for(roster.k1)
    services.approve_request(request=row, by=by)
    for state in ("submitted", "approved"):
        answer = client.post(
            f"/api/evacuation/requests/{row.pk}/clearances",
            {"party_id": party_id, "state": state},
            content_type="application/json",
        )
        assert answer.status_code == 200
    assert answer.json()["is_cleared"]
    mov = movement(roster.org, by)
    filled = client.post(f"/api/evacuation/movements/{mov.pk}/fill").json()
    assert [s["codename"] for s in filled["movement"]["manifest"]] == ["K1"]
    opened = client.post(f"/api/evacuation/movements/{mov.pk}/rollcall")
    assert opened.status_code == 200 and opened.json()["roll_call"] > 0
