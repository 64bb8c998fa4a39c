"""API parity: every action a page offers (a `<form method="post">` on any page, as a coordinator
and as an org admin) has an API operation, or is excluded below with the reason.

The pages are found by walking the URL configuration (every app, new ones too) and rendering each
GET page with sample objects (tests/access_samples.py); the forms' targets are resolved to URL
names. An operation says which page actions it does with `openapi_extra=pages("app:name", ...)`
(salama/lib/apiaccess.py), which puts `x-salama-pages` into the schema. The test fails with the
list of page actions that have neither.
"""

from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve, reverse

from salama.api import api
from tests.test_role_matrix import fill, pattern_params, url_patterns

# Page actions that must not be in the API, with the reason.
EXCLUDED = {
    # signing in and out, sessions and second factors: a person at a browser, never a program
    "accounts:login": "signing in is the session's door; programs use API tokens",
    "accounts:logout": "ends a browser session",
    "accounts:password_change": "a password is typed by its owner at a browser",
    "accounts:switch_org": "a session's choice; a token is bound to one organisation",
    "accounts:set_language": "a session's choice; API clients send Accept-Language",
    "accounts:second_factor": "second factor: a person at a browser",
    "accounts:fallback": "second factor: a person at a browser",
    "accounts:end_session": "browser sessions",
    "accounts:remove_key": "second-factor keys: a person at a browser, after a fresh factor",
    "accounts:reset_factors": "second factors are reset by an admin at a browser, in person",
    "accounts:key_begin": "WebAuthn enrolment needs the browser's authenticator",
    "accounts:key_complete": "WebAuthn enrolment needs the browser's authenticator",
    "accounts:auth_begin": "WebAuthn needs the browser's authenticator",
    "accounts:auth_complete": "WebAuthn needs the browser's authenticator",
    # membership and keys: who may act at all is decided at a browser with a second factor
    "accounts:add_member": "granting access is done at a browser with a recent second factor",
    "accounts:set_member_role": "granting access is done at a browser with a recent second factor",
    "accounts:remove_member": "membership changes are done at a browser with a second factor",
    "accounts:revoke_token": "a token is not allowed to manage tokens (see safety:tokens)",
    "safety:tokens": "a stolen token must not mint more tokens: made at a browser",
    "safety:token_revoke": "revoked at a browser (or by the token's owner there)",
    # destructive or key-bearing actions that need a person's confirmation at a browser
    "privacy:purge": "a purge is confirmed by typing at a browser with a fresh second factor",
    "privacy:save_settings": "retention settings: an org admin at a browser",
    "privacy:person_phone_lost": "phone-lost ends sessions and numbers: confirmed at a browser",
    "privacy:member_phone_lost": "phone-lost ends sessions and numbers: confirmed at a browser",
    "people:person_reveal": "the API's reveal (POST /persons/{id}/reveal) is session-only too",
    "people:import": "a spreadsheet upload with a preview to confirm; the API creates one by one",
    "messaging:gateway_edit": "gateway credentials are secrets: typed at a browser",
    "messaging:phone_use": "pairing an Android gateway phone shows a QR code at a browser",
    "messaging:phone_revoke": "gateway phones are managed at a browser",
    "messaging:phone_secret": "a gateway phone's secret is shown once at a browser",
    "messaging:text_edit": "outbound wording is reviewed at a browser (it goes on the wire)",
    "messaging:keywords": "the text vocabulary is reviewed at a browser (it goes on the wire)",
    "messaging:simulator": "a training tool that plays a phone at a browser",
    "messaging:personal_code": "a personal code is shown once to a person at a browser",
    "rollcalls:settings": "duress words: set at a browser, never sent over an API",
    "rollcalls:duress_form": "duress words: set at a browser, never sent over an API",
    "rollcalls:link": "a texted link's own page for a person without a login",
    "safety:field_call": "the field page's call button; the API's POST /checkins does this",
    "safety:field": "the field page's check-in; the API's POST /checkins does this",
    "safety:proxy": "a lead's check-in for team members; POST /checkins with a codename",
    "safety:relayed": "a coordinator's relayed check-in; POST /checkins with a codename",
    "accounts:set_member_password": "a password is set by an admin at a browser",
    "messaging:phones": "gateway phones are managed at a browser",
    "facilities:words": "the FAC vocabulary goes on the wire: reviewed at a browser",
    "safety:field_pin": "the field page's PIN lock is this device's session: a person at a phone",
    "reports:tokens": "a partner token is a token: not minted by a token (see safety:tokens)",
}

ACTORS = ("coordinator", "org_admin")


class Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.actions: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form" and (found.get("method") or "").lower() == "post":
            self.actions.append(found.get("action") or "")
        elif tag == "button" and found.get("formaction"):
            self.actions.append(found["formaction"] or "")


def page_actions(world: Any, clients: dict[str, Any]) -> dict[str, str]:
    """URL name of each POST target → the page it was found on."""
    found: dict[str, str] = {}
    for name, pattern in url_patterns():
        if not name or getattr(pattern.callback, "salama_roles", None) in ("public", "webhook"):
            continue
        url = reverse(name, kwargs=fill(pattern_params(pattern), world))
        for actor in ACTORS:
            response = clients[actor].get(url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            parser = Forms()
            parser.feed(response.content.decode())
            for action in parser.actions:
                path = urlsplit(action).path or url
                try:
                    target = resolve(path).view_name
                except Resolver404:
                    target = f"unresolved:{path}"
                found.setdefault(target, name)
    return found


def covered() -> set[str]:
    schema = api.get_openapi_schema()
    names: set[str] = set()
    for operations in schema["paths"].values():
        for operation in operations.values():
            names.update(operation.get("x-salama-pages", []))
    return names


@pytest.mark.django_db
def test_every_page_action_has_an_api_operation(
    world: Any, clients: dict[str, Any], roster: Any
) -> None:
    actions = page_actions(world, clients)
    assert len(actions) > 20, actions  # the walk found the pages' forms
    missing = sorted(
        f"{target} (a form on {page})"
        for target, page in actions.items()
        if target not in covered() and target not in EXCLUDED
    )
    assert not missing, "page actions without an API operation:\n" + "\n".join(missing)


def test_covered_and_excluded_names_are_real_urls() -> None:
    names = {name for name, _ in url_patterns()}
    unknown = sorted((covered() | set(EXCLUDED)) - names)
    assert not unknown, unknown
