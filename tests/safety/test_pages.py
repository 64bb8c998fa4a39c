"""The safety pages through Django's test client: field page, proxy, relayed entry, decisions,
events, the board and its cheap 'unchanged' answer, tokens."""

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from salama.accounts.models import ApiToken, AuditEvent, Membership
from salama.people.models import Person
from salama.safety.models import CheckIn, Event
from salama.safety.services import record_relayed_lines
from tests.conftest import without_tokens

pytestmark = pytest.mark.django_db


def fresh(person: Person) -> Person:
    return Person.objects.get(pk=person.pk)


def test_staff_checks_in_on_the_field_page(clients: Any, team: Any) -> None:
    page = clients["staff"].get("/safety/")
    # One script, the offline queue (O1); the form below works without it.
    assert page.content.count(b"<script") == 1 and b"safety/field.js" in page.content
    response = clients["staff"].post(
        "/safety/", {"status": "INJURED", "note": "leg", "area": team.shaar.pk}
    )
    assert response.status_code == 302
    person = fresh(team.staff)
    assert person.state == "INJURED" and person.state_basis == "self"
    assert person.area_id == team.shaar.pk and person.heard_at is not None
    assert CheckIn.objects.get().channel == "field_page"


def test_field_page_without_a_linked_person_says_so(clients: Any, team: Any) -> None:
    page = clients["staff2"].get("/safety/")
    assert b'id="no-person"' in page.content
    clients["staff2"].post("/safety/", {"status": "SAFE"})
    assert not CheckIn.objects.exists()


def test_home_is_the_board_for_coordinators_and_the_field_page_for_staff(clients: Any) -> None:
    assert clients["coordinator"].get("/")["Location"] == "/safety/board/"
    assert clients["org_admin"].get("/")["Location"] == "/safety/board/"
    assert b"<h1>Check in</h1>" in clients["staff"].get("/").content  # the field page itself
    assert b"<h1>Check in</h1>" in clients["lead"].get("/").content
    assert clients["observer"].get("/").status_code == 200


def test_lead_proxy_page_all_except(clients: Any, team: Any) -> None:
    page = clients["lead"].get("/safety/proxy/")
    assert "K12" in without_tokens(page.content) and "S1" not in without_tokens(page.content)
    clients["lead"].post(
        "/safety/proxy/", {"mode": "all_except", "codenames": ["K27"], "status": "SAFE"}
    )
    assert fresh(team.k12).state_basis == "proxy_seen"
    assert fresh(team.k27).state == ""


def test_lead_proxy_page_refuses_other_teams(clients: Any, team: Any) -> None:
    response = clients["lead"].post(
        "/safety/proxy/", {"mode": "named", "codenames": ["S1"], "status": "SAFE"}, follow=True
    )
    assert "Not in your teams" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_relayed_entry_page_all_lines_or_none(clients: Any, team: Any) -> None:
    bad = clients["coordinator"].post("/safety/relayed/", {"text": "K12 safe, call\nK99 safe"})
    assert "Line 2" in bad.content.decode() and not CheckIn.objects.exists()
    clients["coordinator"].post("/safety/relayed/", {"text": "K12 K14 safe, call\nK27 injured"})
    assert CheckIn.objects.filter(basis="relayed").count() == 3
    assert fresh(team.k27).state == "INJURED"


def test_relayed_entry_reports_every_bad_line(clients: Any, team: Any) -> None:
    bad = clients["coordinator"].post(
        "/safety/relayed/", {"text": "K99 safe, call\nK12 safe\nK12 maybe\nK98 injured"}
    )
    text = bad.content.decode()
    assert "Line 1" in text and "Line 3" in text and "Line 4" in text
    assert "Line 2" not in text  # the good line is not an error, and nothing was recorded
    assert not CheckIn.objects.exists()


def test_decision_on_a_person_page(clients: Any, team: Any) -> None:
    url = f"/safety/person/{team.k12.pk}/"
    clients["coordinator"].post(
        url + "decision/",
        {"kind": "MISSING", "certainty": "reported", "source": "neighbour", "reason": "not seen"},
    )
    assert fresh(team.k12).decision == "MISSING"
    page = clients["coordinator"].get(url)
    assert "Missing" in page.content.decode()
    clients["coordinator"].post(url + "clear/")
    assert fresh(team.k12).decision == ""
    assert AuditEvent.objects.filter(action__startswith="decision.").count() == 2


def test_coordinator_opens_and_closes_an_event(clients: Any, team: Any) -> None:
    clients["coordinator"].post("/safety/events/", {"label": "Strike", "areas": [team.sukkari.pk]})
    event = Event.objects.get()
    assert event.is_open
    board = clients["coordinator"].get("/safety/board/").content.decode()
    assert 'id="heard-since"' in board and "0 / 6" in board
    clients["coordinator"].post(f"/safety/events/{event.pk}/close/")
    event.refresh_from_db()
    assert not event.is_open


def test_board_live_answers_204_when_unchanged(clients: Any, team: Any) -> None:
    board = clients["coordinator"].get("/safety/board/")
    version = board.context["version"]
    unchanged = clients["coordinator"].get(f"/safety/board/live/?v={version}")
    assert unchanged.status_code == 204 and unchanged.content == b""
    clients["staff"].post("/safety/", {"status": "SAFE"})
    changed = clients["coordinator"].get(f"/safety/board/live/?v={version}")
    assert changed.status_code == 200
    assert "Safe · 0 min · self" in changed.content.decode()


def test_board_filters_by_team(clients: Any, team: Any) -> None:
    page = clients["coordinator"].get(f"/safety/board/?team={team.other_team.pk}")
    content = page.content.decode()
    assert 'id="person-S1"' in content and 'id="person-K12"' not in content


def test_board_never_reads_checkins(
    clients: Any, team: Any, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clients["staff"].post("/safety/", {"status": "SAFE"})
    with CaptureQueriesContext(connection) as queries:
        clients["coordinator"].get("/safety/board/")
    assert not [q for q in queries.captured_queries if "safety_checkin" in q["sql"]]


def test_api_token_created_shown_once_and_revoked(clients: Any, world: Any) -> None:
    page = clients["staff"].post("/safety/tokens/", {"name": "sync"})
    token = page.context["shown"]
    assert len(token) >= 43
    row = ApiToken.objects.get()
    assert row.token_hash != token and len(row.token_hash) == 64
    assert token not in clients["staff"].get("/safety/tokens/").content.decode()
    # Someone else cannot revoke it.
    clients["staff2"].post("/safety/tokens/revoke/", {"token": row.pk})
    assert ApiToken.objects.get().revoked_at is None
    clients["staff"].post("/safety/tokens/revoke/", {"token": row.pk})
    assert ApiToken.objects.get().revoked_at is not None


def test_relayed_entry_is_for_coordinators_only(clients: Any, team: Any) -> None:
    # S3 item 6: a lead of one team could record INJURED for anyone in the organisation.
    assert clients["lead"].get("/safety/relayed/").status_code == 403
    response = clients["lead"].post("/safety/relayed/", {"text": "S1 injured, call"})
    assert response.status_code == 403
    assert not CheckIn.objects.exists() and fresh(team.s1).state == ""
    assert b'id="nav-relayed"' not in clients["lead"].get("/safety/proxy/").content
    assert b'id="nav-proxy"' in clients["lead"].get("/safety/proxy/").content
    lead = Membership.objects.get(user__username="lead", org=team.org)
    with pytest.raises(PermissionDenied):  # the service refuses too, whatever calls it
        record_relayed_lines(org=team.org, lines=["S1 injured, call"], recorded_by=lead)
    assert not CheckIn.objects.exists()
    clients["coordinator"].post("/safety/relayed/", {"text": "S1 injured, call"})
    assert fresh(team.s1).state == "INJURED"
