"""Errors a person can act on (U1 item 7): a translated form error instead of a 500, 401 for a
bad token, a translated 500 page that keeps the navigation, every bad relayed line."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import client_for

pytestmark = pytest.mark.django_db

COMPOSER = {
    "question": "Are you safe?",
    "is_safety": "on",
    "minutes": "60",
    "resend_after": "20",
    "resend_max": "1",
}


@pytest.mark.parametrize("action", ["preview", "launch"])
@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_roll_call_with_no_recipients_is_a_form_error(
    world: Any, action: str, language: str
) -> None:
    user = world.users["coordinator"]
    user.language = language
    user.save(update_fields=["language"])
    client = client_for(user)
    client.raise_request_exception = False
    response = client.post(
        "/rollcalls/", {**COMPOSER, "action": action}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200, response.content[:300]
    text = response.content.decode()
    arabic = "لا أحد ضمن هذه الفئة المستهدفة."
    expected = "Nobody is in this target." if language == "en" else arabic
    assert expected in text


def test_a_bad_api_token_is_401_not_a_csrf_refusal(world: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/checkins",
        {"status": "SAFE"},
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer nonsense",
    )
    assert response.status_code == 401, response.content
    assert b"CSRF" not in response.content
    assert b"not valid" in response.content


@pytest.mark.parametrize(("language", "title"), [("en", "Something went wrong"), ("ar", "حدث خطأ")])
def test_the_500_page_is_translated_and_keeps_the_navigation(
    world: Any, settings: Any, language: str, title: str
) -> None:
    settings.ROOT_URLCONF = "tests.errors.urls"
    settings.DEBUG = False
    user = world.users["coordinator"]
    user.language = language
    user.save(update_fields=["language"])
    client = client_for(user)
    client.raise_request_exception = False
    response = client.get("/test-boom/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 500
    text = response.content.decode()
    assert title in text
    assert f'lang="{language}"' in text
    assert 'class="mainnav"' in text  # the navigation is kept
    assert "Server Error (500)" not in text


def test_the_500_page_falls_back_when_it_cannot_be_drawn(
    world: Any, settings: Any, monkeypatch: Any
) -> None:
    from salama import errors

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the template failed too")

    monkeypatch.setattr(errors, "render", broken)
    settings.ROOT_URLCONF = "tests.errors.urls"
    client = Client(raise_request_exception=False)
    response = client.get("/test-boom/", HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 500
    assert "حدث خطأ" in response.content.decode()
