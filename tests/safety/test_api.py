"""The safety API: tokens, check-ins with Idempotency-Key, board, events, reveal."""

import json
import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from salama.accounts.models import ApiToken, AuditEvent
from salama.people.models import Person
from salama.safety.models import CheckIn, IdempotencyKey
from salama.safety.tokens import create_token, token_hash
from tests.conftest import client_for


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def post(client: Client, path: str, body: dict, **headers: Any) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


@pytest.fixture
def staff_token(world: Any, team: Any) -> str:
    return create_token(user=world.users["staff"], org=world.org, name="phone")


@pytest.mark.django_db
def test_token_is_stored_as_sha256_only(world: Any, staff_token: str) -> None:
    row = ApiToken.objects.get()
    assert row.token_hash == token_hash(staff_token) and staff_token not in row.token_hash


@pytest.mark.django_db
def test_token_checks_in_for_own_person(world: Any, team: Any, staff_token: str) -> None:
    response = post(Client(), "/api/checkins", {"status": "SAFE"}, **bearer(staff_token))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["codename"] == "K10" and body["basis"] == "self" and body["channel"] == "api"
    assert Person.objects.get(pk=team.staff.pk).state == "SAFE"
    listed = Client().get("/api/checkins", **bearer(staff_token)).json()
    assert [c["id"] for c in listed] == [body["id"]]


@pytest.mark.django_db
def test_revoked_or_unknown_token_is_refused(world: Any, team: Any, staff_token: str) -> None:
    assert Client().get("/api/checkins", **bearer("nope")).status_code == 401
    ApiToken.objects.update(revoked_at="2026-01-01T00:00:00Z")
    assert Client().get("/api/checkins", **bearer(staff_token)).status_code == 401


@pytest.mark.django_db
def test_staff_cannot_check_in_for_someone_else(world: Any, team: Any, staff_token: str) -> None:
    response = post(
        Client(), "/api/checkins", {"status": "SAFE", "codename": "K12"}, **bearer(staff_token)
    )
    assert response.status_code == 403 and not CheckIn.objects.exists()


@pytest.mark.django_db
def test_lead_proxy_and_coordinator_relay_by_api(clients: Any, team: Any) -> None:
    lead = post(clients["lead"], "/api/checkins", {"status": "SAFE", "codename": "k12"})
    assert lead.json()["basis"] == "proxy_seen"
    assert (
        post(clients["lead"], "/api/checkins", {"status": "SAFE", "codename": "S1"}).status_code
        == 403
    )
    coord = post(clients["coordinator"], "/api/checkins", {"status": "INJURED", "codename": "S1"})
    assert coord.json()["basis"] == "relayed"


@pytest.mark.django_db
def test_same_key_same_body_replays(world: Any, team: Any, staff_token: str) -> None:
    headers = {**bearer(staff_token), "HTTP_IDEMPOTENCY_KEY": "abc-1"}
    first = post(Client(), "/api/checkins", {"status": "SAFE"}, **headers)
    again = post(Client(), "/api/checkins", {"status": "SAFE"}, **headers)
    assert first.status_code == again.status_code == 201
    assert first.content == again.content
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert CheckIn.objects.count() == 1
    # The stored answer is encrypted.
    with connection.cursor() as cursor:
        cursor.execute("SELECT response FROM safety_idempotencykey")
        assert '"codename"' not in cursor.fetchone()[0]


@pytest.mark.django_db
def test_same_key_different_body_is_409_and_stores_nothing(
    world: Any, team: Any, staff_token: str
) -> None:
    headers = {**bearer(staff_token), "HTTP_IDEMPOTENCY_KEY": "abc-2"}
    post(Client(), "/api/checkins", {"status": "SAFE"}, **headers)
    other = post(Client(), "/api/checkins", {"status": "INJURED"}, **headers)
    assert other.status_code == 409
    assert CheckIn.objects.count() == 1 and IdempotencyKey.objects.count() == 1
    assert Person.objects.get(pk=team.staff.pk).state == "SAFE"


@pytest.mark.django_db
def test_keys_are_per_user(world: Any, team: Any, staff_token: str, clients: Any) -> None:
    post(
        Client(),
        "/api/checkins",
        {"status": "SAFE"},
        **bearer(staff_token),
        HTTP_IDEMPOTENCY_KEY="k",
    )
    post(
        clients["coordinator"],
        "/api/checkins",
        {"status": "SAFE", "codename": "K12"},
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert CheckIn.objects.count() == 2


@pytest.mark.django_db
def test_board_and_events_api(clients: Any, team: Any) -> None:
    created = post(
        clients["coordinator"], "/api/events", {"label": "Strike", "area_ids": [team.sukkari.pk]}
    )
    assert created.status_code == 201
    post(clients["staff"], "/api/checkins", {"status": "SAFE"})
    board = clients["coordinator"].get("/api/board").json()
    assert board["event_id"] == created.json()["id"]
    assert board["heard_since"] == 1 and board["total"] == 6
    assert board["counts"]["SAFE"] == 1
    assert [e["label"] for e in clients["coordinator"].get("/api/events").json()] == ["Strike"]
    assert post(clients["coordinator"], "/api/events", {"label": " "}).status_code == 422


@pytest.mark.django_db
def test_reveal_needs_a_session_and_is_audited(world: Any, team: Any, clients: Any) -> None:
    person = team.k12
    person.real_name = "Fictional Name"
    person.save()
    token = create_token(user=world.users["coordinator"], org=world.org, name="laptop")
    url = f"/api/persons/{person.pk}/reveal"
    body = {"field": "real_name"}
    assert post(Client(), url, body, **bearer(token)).status_code == 401
    assert clients["coordinator"].get(f"/api/persons/{person.pk}").json()["revealed"] is None
    assert AuditEvent.objects.filter(action="reveal").count() == 0
    answer = post(clients["coordinator"], url, body)
    assert answer.json()["revealed"] == {"real_name": "Fictional Name"}
    assert AuditEvent.objects.filter(action="reveal").count() == 1
    assert post(clients["lead"], url, body).status_code == 403
    assert post(clients["coordinator"], url, {"field": "contact:²"}).status_code == 422


@pytest.mark.django_db
def test_reveal_is_never_a_get_and_a_cross_site_post_is_refused(
    world: Any, team: Any, clients: Any
) -> None:
    # S3 item 10: a link from another site (a GET with the session cookie) revealed a name.
    person = team.k12
    person.real_name = "Fictional Name"
    person.save()
    url = f"/api/persons/{person.pk}"
    answer = clients["coordinator"].get(f"{url}?reveal=true&field=real_name")
    assert "Fictional Name" not in answer.content.decode()
    assert clients["coordinator"].get(f"{url}/reveal?field=real_name").status_code in (404, 405)
    assert AuditEvent.objects.filter(action="reveal").count() == 0
    # A form posted from another site carries the cookie but no CSRF token.
    browser = Client(enforce_csrf_checks=True)
    browser.cookies = clients["coordinator"].cookies
    refused = post(browser, f"{url}/reveal", {"field": "real_name"})
    assert refused.status_code in (401, 403)
    assert "Fictional Name" not in refused.content.decode()
    assert AuditEvent.objects.filter(action="reveal").count() == 0


@pytest.mark.postgres
def test_ten_concurrent_requests_with_one_key_store_one_checkin(
    transactional_db: None, world: Any, team: Any
) -> None:
    token = create_token(user=world.users["staff"], org=world.org, name="phone")
    barrier = threading.Barrier(10)
    answers: list[Any] = []
    lock = threading.Lock()

    def send() -> None:
        try:
            barrier.wait(timeout=30)
            response = post(
                Client(),
                "/api/checkins",
                {"status": "SAFE", "note": "x"},
                **bearer(token),
                HTTP_IDEMPOTENCY_KEY="same",
            )
            with lock:
                answers.append((response.status_code, response.content))
        finally:
            connections.close_all()  # each thread had its own connection

    threads = [threading.Thread(target=send) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(answers) == 10
    assert {status for status, _ in answers} == {201}
    assert len({content for _, content in answers}) == 1
    assert CheckIn.objects.count() == 1 and IdempotencyKey.objects.count() == 1
    different = post(
        Client(),
        "/api/checkins",
        {"status": "INJURED"},
        **bearer(token),
        HTTP_IDEMPOTENCY_KEY="same",
    )
    assert different.status_code == 409 and CheckIn.objects.count() == 1


@pytest.mark.django_db
def test_a_program_with_only_its_token_can_post_despite_csrf(world: Any, team: Any) -> None:
    """Real clients send no CSRF cookie: the bearer token must be tried before the session."""
    token = create_token(user=world.users["staff"], org=world.org, name="phone")
    strict = Client(enforce_csrf_checks=True)
    answer = post(strict, "/api/checkins", {"status": "SAFE"}, **bearer(token))
    assert answer.status_code == 201, answer.content
    # A session without the CSRF token is still refused.
    session = client_for(world.users["staff"])
    session.handler.enforce_csrf_checks = True
    assert post(session, "/api/checkins", {"status": "SAFE"}).status_code == 403


@pytest.mark.django_db
def test_an_api_call_for_help_keeps_a_long_note_whole(
    world: Any, team: Any, staff_token: str
) -> None:
    """Nothing a person sent is silently dropped (H1 item 7, by the API too): a HELP with a note
    of several thousand characters is recorded with all of it."""
    note = "trapped under the east stairwell, " * 100
    response = post(
        Client(), "/api/checkins", {"status": "NEED_HELP", "note": note}, **bearer(staff_token)
    )
    assert response.status_code == 201, response.content
    from salama.safety.models import CheckIn

    assert str(CheckIn.objects.get(pk=response.json()["id"]).note) == note.strip()
