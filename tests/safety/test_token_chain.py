"""A token-authenticated API request takes a short middleware chain (salama.lib.middleware.
api_dispatch): the same security headers, no session, no CSRF; the pages' own API calls keep the
whole stack. And on PostgreSQL the statements are bound on the server and prepared."""

from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from salama.lib.middleware import TOKEN_API_MIDDLEWARE
from salama.safety.tokens import create_token

pytestmark = pytest.mark.django_db

SECURITY = [
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "X-Frame-Options",
    "Permissions-Policy",
    "Cross-Origin-Resource-Policy",
    "Cache-Control",
    "Content-Security-Policy",
]


@pytest.fixture
def token(world: Any, roster: Any) -> str:
    return create_token(user=world.users["staff"], org=world.org, name="phone")


def _headers(response: Any) -> dict[str, str]:
    return {name: response.get(name) for name in SECURITY}


def test_a_token_request_has_the_security_headers_of_a_session_request(
    token: str, clients: Any
) -> None:
    by_token = Client().get("/api/me", headers={"Authorization": f"Bearer {token}"})
    by_session = clients["staff"].get("/api/me")
    assert by_token.status_code == by_session.status_code == 200
    assert _headers(by_token) == _headers(by_session)
    assert all(_headers(by_token).values()), _headers(by_token)
    assert "sessionid" not in by_token.cookies and "csrftoken" not in by_token.cookies


def test_a_token_request_skips_the_page_middleware(token: str, monkeypatch: Any) -> None:
    from salama.accounts import middleware

    def fail(*args: Any) -> bool:
        raise AssertionError("the session guard ran for a token request")

    monkeypatch.setattr(middleware, "_timed_out", fail)
    response = Client(enforce_csrf_checks=True).post(
        "/api/checkins",
        data='{"status": "SAFE"}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201
    assert not any("session" in name.lower() for name in TOKEN_API_MIDDLEWARE)
    bad = Client().get("/api/me", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json()["detail"]
    missing = Client().get("/api/no-such-thing", headers={"Authorization": f"Bearer {token}"})
    assert missing.status_code == 404


def test_a_session_post_without_csrf_is_still_refused(clients: Any, roster: Any) -> None:
    client = clients["staff"]
    client.handler.enforce_csrf_checks = True
    response = client.post(
        "/api/checkins", data='{"status": "SAFE"}', content_type="application/json"
    )
    assert response.status_code in (401, 403)


@pytest.mark.postgres
def test_statements_are_bound_on_the_server_and_prepared() -> None:
    connection.ensure_connection()
    raw = connection.connection
    assert settings.PREPARE_THRESHOLD > 0
    assert raw.prepare_threshold == settings.PREPARE_THRESHOLD
    with connection.cursor() as cursor:
        assert type(cursor.cursor).__name__ != "ClientCursor"
