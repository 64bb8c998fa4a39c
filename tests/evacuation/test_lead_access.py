"""Issue 27, the leftovers: a field lead opens the requests of people in the teams they lead
(never another team's: 404), and the person's lead (or a coordinator) completes a request that
came in by text (`EVAC 3`, reason "not stated yet") on a page and through the API — one service,
audited, all or nothing, errors translated (the API's as RFC 9457 problem details)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from salama.accounts.models import AuditEvent
from salama.evacuation import services
from salama.evacuation.models import AgeBand, Reason, Relation, Request
from salama.people.models import Person, Team
from tests.conftest import client_for
from tests.evacuation.helpers import movement, ready, request_for
from tests.messaging.text_helpers import Roster

pytestmark = pytest.mark.django_db


def as_user(world: Any, name: str, language: str = "en") -> Client:
    user = world.users[name]
    user.language = language
    user.save()
    return client_for(user)


def texted(person: Person, n: int = 3) -> Request:
    """A request as `EVAC n` files it (salama.evacuation.commands.handle_evac)."""
    data = services.RequestInput(
        reason=Reason.NOT_STATED,
        dependants=[
            services.Dependant(relation=Relation.OTHER, age_band=AgeBand.UNKNOWN) for _i in range(n)
        ],
    )
    return services.create_request(person=person, data=data, channel="sms")


def other_team_person(roster: Roster) -> Person:
    team = Team.objects.create(org=roster.org, name="Team B")
    return Person.objects.create(org=roster.org, codename="B1", role="nurse", team=team)


# --- Who opens a request ------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_lead_opens_their_own_teams_request_with_needs_but_no_decisions(
    world: Any, roster: Roster, language: str
) -> None:
    row = request_for(roster.k1, reason="injury", needs=("oxygen",), dependants=1)
    client = as_user(world, "lead", language)
    queue = client.get("/evacuation/").content.decode()
    assert f"/evacuation/requests/{row.pk}/" in queue  # the queue's link works for the lead
    page = client.get(f"/evacuation/requests/{row.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert ("Oxygen" if language == "en" else "أكسجين") in html  # coded medical needs
    assert 'id="household"' in html and ("Child" if language == "en" else "ابن/ابنة") in html
    for decision in ('id="approve"', 'id="clearance-form"', 'id="override-form"', "outcome-form"):
        assert decision not in html
    assert 'dir="rtl"' in html if language == "ar" else 'dir="ltr"' in html
    assert '<bdi dir="ltr" id="score">' in html
    api = client.get(f"/api/evacuation/requests/{row.pk}")
    assert api.status_code == 200 and api.json()["codename"] == "K1"


def test_a_lead_gets_404_for_another_teams_request(world: Any, roster: Roster) -> None:
    row = texted(other_team_person(roster))
    client = as_user(world, "lead")
    for url in (f"/evacuation/requests/{row.pk}/", f"/evacuation/requests/{row.pk}/complete/"):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(f"/evacuation/requests/{row.pk}/complete/", {"reason": "injury"}).status_code
        == 404
    )
    assert client.get(f"/api/evacuation/requests/{row.pk}").status_code == 404
    answer = client.post(
        f"/api/evacuation/requests/{row.pk}/complete",
        json.dumps({"reason": "injury"}),
        content_type="application/json",
    )
    assert answer.status_code == 404 and answer.json()["detail"] == "Unknown request."
    row.refresh_from_db()
    assert row.reason == "not_stated"


def test_a_lead_who_leads_no_team_sees_no_request(world: Any, roster: Roster) -> None:
    row = request_for(roster.k1)
    roster.lead.lead_links.all().delete()
    assert as_user(world, "lead").get(f"/evacuation/requests/{row.pk}/").status_code == 404


def test_a_coordinator_opens_any_request_with_the_decisions(world: Any, roster: Roster) -> None:
    row = texted(other_team_person(roster))
    html = as_user(world, "coordinator").get(f"/evacuation/requests/{row.pk}/").content.decode()
    assert 'id="approve"' in html and 'id="complete-link"' in html


@pytest.mark.parametrize("persona", ["staff", "observer"])
def test_staff_and_observers_cannot_open_a_request(
    world: Any, roster: Roster, persona: str
) -> None:
    row = texted(roster.k1)
    client = as_user(world, persona)
    assert client.get(f"/evacuation/requests/{row.pk}/").status_code == 403
    assert client.get(f"/evacuation/requests/{row.pk}/complete/").status_code == 403
    assert client.get(f"/api/evacuation/requests/{row.pk}").status_code == 403
    answer = client.post(
        f"/api/evacuation/requests/{row.pk}/complete",
        json.dumps({"reason": "injury"}),
        content_type="application/json",
    )
    assert answer.status_code == 403
    row.refresh_from_db()
    assert row.reason == "not_stated"


def test_another_organisation_gets_404(world: Any, roster: Roster) -> None:
    row = texted(roster.k1)
    client = client_for(world.users["outsider"])
    assert client.get(f"/evacuation/requests/{row.pk}/").status_code == 404
    assert client.get(f"/evacuation/requests/{row.pk}/complete/").status_code == 404
    assert client.get(f"/api/evacuation/requests/{row.pk}").status_code == 404
    answer = client.post(
        f"/api/evacuation/requests/{row.pk}/complete",
        json.dumps({"reason": "injury"}),
        content_type="application/json",
    )
    assert answer.status_code == 404
    row.refresh_from_db()
    assert row.reason == "not_stated"


# --- Completing a texted request ----------------------------------------------------------------


def household(*rows: dict[str, Any], blocks: int = 5) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for i in range(blocks):
        found = rows[i] if i < len(rows) else {}
        data[f"h{i}_relation"] = found.get("relation", "")
        data[f"h{i}_age"] = found.get("age", "unknown")
        if found.get("needs"):
            data[f"h{i}_needs"] = found["needs"]
        if found.get("together", True):
            data[f"h{i}_together"] = "on"
    return data


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_lead_completes_a_texted_request_on_the_page(
    world: Any, roster: Roster, language: str
) -> None:
    row = texted(roster.k1, 3)
    client = as_user(world, "lead", language)
    detail = client.get(f"/evacuation/requests/{row.pk}/").content.decode()
    assert 'id="complete-link"' in detail
    form = client.get(f"/evacuation/requests/{row.pk}/complete/")
    html = form.content.decode()
    assert form.status_code == 200
    assert html.count('class="household-member"') == 5  # the three texted, two to add
    assert 'value="not_stated"' not in html  # the reason must be stated now
    assert '<bdi dir="ltr">3</bdi>' in html  # "with 3 dependants", the number isolated
    words = (
        ("Household member", "Complete the request")
        if language == "en"
        else ("فرد الأسرة", "أكمل الطلب")
    )
    for word in words:
        assert word in html
    answer = client.post(
        f"/evacuation/requests/{row.pk}/complete/",
        {
            "reason": "injury",
            "seat_kind": "seated",
            "needs": ["oxygen"],
            **household(
                {"relation": "child", "age": "2-11", "needs": ["stretcher"]},
                {"relation": "spouse", "age": "18-59", "together": False},
                {"relation": ""},  # the third texted member does not travel
            ),
        },
    )
    assert answer.status_code == 302 and answer["Location"] == f"/evacuation/requests/{row.pk}/"
    row.refresh_from_db()
    assert row.reason == "injury" and row.dependants == 2
    assert (row.seats, row.stretchers, row.keep_together) == (2, 1, 1)
    assert row.band == "urgent" and row.score >= 90  # injured +40, oxygen +50, dependants +10
    details = services.details_of(row)
    assert details["needs"] == ["oxygen"]
    assert [d["relation"] for d in details["dependants"]] == ["child", "spouse"]
    event = AuditEvent.objects.get(action="evacuation.complete")
    assert event.detail == {"dependants": 2, "channel": "page"}
    assert "oxygen" not in json.dumps(event.detail)  # no medical detail in the audit
    with connection.cursor() as cursor:
        cursor.execute("SELECT details FROM evacuation_request WHERE id = %s", [row.pk])
        raw = cursor.fetchone()[0]
    assert "oxygen" not in raw and "spouse" not in raw  # ciphertext at rest
    again = client.get(f"/evacuation/requests/{row.pk}/complete/")
    assert again.status_code == 302  # completed: back to the request


@pytest.mark.parametrize(
    ("language", "post", "message"),
    [
        ("en", {"reason": "not_stated"}, "Select a valid choice"),
        ("ar", {"reason": "injury", "keep_with": "NOPE"}, "NOPE"),
        ("en", {"reason": "injury", "h0_relation": "cousin"}, "Select a valid choice"),
    ],
)
def test_bad_input_on_the_page_writes_nothing(
    world: Any, roster: Roster, language: str, post: dict[str, str], message: str
) -> None:
    row = texted(roster.k1, 3)
    before = (row.reason, row.dependants, row.score, str(row.details))
    data = {"seat_kind": "seated", **household(), **post}
    answer = as_user(world, "lead", language).post(f"/evacuation/requests/{row.pk}/complete/", data)
    assert answer.status_code == 400 and message in answer.content.decode()
    row.refresh_from_db()
    assert (row.reason, row.dependants, row.score, str(row.details)) == before
    assert not AuditEvent.objects.filter(action="evacuation.complete").exists()


def test_too_many_household_members_is_refused_in_arabic_and_nothing_written(
    world: Any, roster: Roster
) -> None:
    row = texted(roster.k1, 30)
    rows = [{"relation": "child", "age": "2-11"} for _i in range(31)]
    answer = as_user(world, "lead", "ar").post(
        f"/evacuation/requests/{row.pk}/complete/",
        {"reason": "threat", "seat_kind": "seated", **household(*rows, blocks=32)},
    )
    html = answer.content.decode()
    assert answer.status_code == 400 and 'id="form-errors"' in html
    assert "على الأكثر" in html  # "At most 30 dependants on one request." in Arabic
    row.refresh_from_db()
    assert row.reason == "not_stated" and row.dependants == 30


def test_the_lead_completes_a_texted_request_through_the_api(world: Any, roster: Roster) -> None:
    row = texted(roster.k3, 2)
    client = as_user(world, "lead")
    url = f"/api/evacuation/requests/{row.pk}/complete"

    def post(body: dict[str, Any], language: str = "en") -> Any:
        return client.post(
            url, json.dumps(body), content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
        )

    refused = post({"reason": "not_stated"})
    assert refused.status_code == 422 and refused["Content-Type"].startswith(
        "application/problem+json"
    )
    assert refused.json()["detail"] == "Choose the reason for this request."
    unknown = post({"reason": "injury", "needs": ["jetpack"]})
    assert unknown.status_code == 422 and "Unknown medical need" in unknown.json()["detail"]
    assert post({"reason": "injury", "keep_with": "NOPE"}).status_code == 422
    row.refresh_from_db()
    assert row.reason == "not_stated" and row.dependants == 2
    done = post(
        {
            "reason": "medical_dependant",
            "seat_kind": "seated",
            "dependants": [{"relation": "parent", "age_band": "60+", "needs": ["dialysis"]}],
            "keep_with": "K1",
        }
    )
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["reason"] == "medical_dependant" and body["dependants"] == 1
    assert "a dependant's medical condition +20" in body["explanation"]
    row.refresh_from_db()
    assert row.keep_with == roster.k1
    second = post({"reason": "injury"})
    assert second.status_code == 422 and "completed already" in second.json()["detail"]
    assert AuditEvent.objects.filter(action="evacuation.complete").count() == 1


def test_a_texted_request_on_a_manifest_is_not_changed(
    world: Any, roster: Roster, by: Any, crossing: Any
) -> None:
    row = ready(texted(roster.k1, 1), by, [crossing])
    services.assign(request=row, movement=movement(roster.org, by), by=by)
    with pytest.raises(services.EvacuationError, match="on a movement's manifest"):
        services.complete_request(request=row, data=services.RequestInput(reason="injury"), by=by)
    row.refresh_from_db()
    assert row.reason == "not_stated" and row.dependants == 1
