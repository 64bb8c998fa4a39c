"""Every URL pattern from Django's resolver and every OpenAPI operation, as anonymous, as each role,
and as a user of another organisation. A pattern or operation that declares no roles and is not
exempted here with a written reason fails the test."""

import json
import re
from typing import Any

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from salama.api import api
from tests.access_samples import SAMPLES
from tests.conftest import ROLES

# Namespaces walked elsewhere or exempted, with the reason.
EXEMPT_NAMESPACES = {
    "admin": "Django admin: off unless SALAMA_DEPLOYMENT_ADMIN, then superusers after Salama's "
    "login and second factor; walked by test_deployment_admin_as_every_persona below",
    "api": "the JSON API is walked operation by operation below, from its OpenAPI schema",
}
EXEMPT_NAMES: dict[str, str] = {}

PERSONAS = ["anon", *ROLES, "outsider"]


def walk(patterns: list[Any], namespace: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace else (entry.namespace or "")
            if (entry.namespace or "") in EXEMPT_NAMESPACES:
                continue
            found += walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            found.append((name or "", entry))
    return found


def url_patterns() -> list[tuple[str, URLPattern]]:
    return walk(get_resolver().url_patterns)


def pattern_params(pattern: URLPattern) -> list[str]:
    return list(pattern.pattern.converters) or re.findall(r"\(\?P<(\w+)>", str(pattern.pattern))


def fill(params: list[str], world: Any) -> dict[str, Any]:
    missing = [p for p in params if p not in SAMPLES]
    assert not missing, f"tests/access_samples.py has no sample for {missing}"
    return {p: SAMPLES[p](world) for p in params}


def client(persona: str, clients: dict[str, Any], anon: Any) -> Any:
    return anon if persona == "anon" else clients[persona]


def role_of(persona: str) -> str | None:
    if persona == "anon":
        return None
    if persona == "outsider":
        return "coordinator"  # a coordinator, but of the other organisation
    return ROLES[persona]


def expected(allowed: Any, persona: str, has_object: bool) -> str:
    """'ok', 'login' (sent to the login page), 'denied' (403) or 'missing' (404)."""
    if allowed == "public":
        return "public"
    if allowed == "webhook":
        # Gateway webhooks (salama.messaging.webhooks.signed_webhook) are authenticated by a
        # signature, not a login: an unsigned request is refused with 403 whoever sends it.
        return "webhook"
    if persona == "anon":
        return "login"
    if allowed == "login":
        return "ok"
    if persona == "outsider" and has_object:
        return "missing_or_denied"
    return "ok" if role_of(persona) in allowed else "denied"


def check(response: Any, outcome: str, label: str) -> None:
    status = response.status_code
    assert status < 500, f"{label}: server error {status}"
    if outcome == "public":
        assert status not in (401, 403), f"{label}: public page refused with {status}"
    elif outcome == "webhook":
        assert status == 403, f"{label}: an unsigned webhook got {status}"
    elif outcome == "ok":
        assert status not in (401, 403, 404), f"{label}: expected access, got {status}"
        if status == 302:
            assert "/accounts/login" not in response["Location"], f"{label}: sent to login"
    elif outcome == "login":
        assert status in (302, 401), f"{label}: anonymous got {status}"
        if status == 302:
            assert "/accounts/login" in response["Location"], f"{label}: not sent to login"
    elif outcome == "denied":
        assert status == 403, f"{label}: expected 403, got {status}"
    else:
        assert status in (403, 404), f"{label}: another organisation's object gave {status}"


def test_every_pattern_is_named_and_declares_roles() -> None:
    problems = []
    for name, pattern in url_patterns():
        if name in EXEMPT_NAMES:
            continue
        if not name:
            problems.append(f"unnamed pattern {pattern.pattern}")
        elif not hasattr(pattern.callback, "salama_roles"):
            problems.append(f"{name}: no roles(...), public or login_only, and not exempted")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", [n for n, _ in url_patterns() if n and n not in EXEMPT_NAMES])
def test_url_as_every_persona(name: str, world: Any, clients: dict[str, Any], anon: Any) -> None:
    pattern = dict(url_patterns())[name]
    allowed = pattern.callback.salama_roles
    params = pattern_params(pattern)
    url = reverse(name, kwargs=fill(params, world))
    for persona in PERSONAS:
        outcome = expected(allowed, persona, bool(params))
        response = client(persona, clients, anon).get(url)
        if response.status_code == 405:
            response = client(persona, clients, anon).post(url, {})
        check(response, outcome, f"{name} as {persona}")


def api_operations() -> list[tuple[str, str, Any]]:
    views = {}
    for router in api._get_bound_routers():
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                views[api.get_openapi_operation_id(operation)] = operation.view_func
    schema = api.get_openapi_schema()
    found = []
    for path, methods in schema["paths"].items():
        for method, spec in methods.items():
            found.append((method.upper(), path, views[spec["operationId"]]))
    return found


def test_every_operation_declares_roles() -> None:
    missing = [f"{m} {p}" for m, p, view in api_operations() if not hasattr(view, "salama_roles")]
    assert not missing, f"API operations without api_roles(...): {missing}"


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p, _ in api_operations()])
def test_api_operation_as_every_persona(
    method: str, path: str, world: Any, clients: dict[str, Any], anon: Any
) -> None:
    view = {(m, p): v for m, p, v in api_operations()}[(method, path)]
    params = re.findall(r"{(\w+)}", path)
    url = path
    for key, value in fill(params, world).items():
        url = url.replace("{" + key + "}", str(value))
    for persona in PERSONAS:
        outcome = expected(view.salama_roles, persona, bool(params))
        caller = client(persona, clients, anon)
        # Each persona's request is undone: a DELETE must not take the sample from the next.
        with transaction.atomic():
            if method == "GET":
                response = caller.get(url)
            else:
                body = json.dumps({})
                response = caller.generic(method, url, body, content_type="application/json")
            transaction.set_rollback(True)
        if outcome == "missing_or_denied" and method != "GET" and response.status_code == 422:
            # The empty body is refused before the object is looked up: nothing is read, and
            # the answer is the same for any id (no existence leaks); never a 2xx.
            continue
        check(response, outcome, f"{method} {path} as {persona}")


def test_outsider_is_a_real_member_elsewhere(world: Any) -> None:
    # The matrix's "outsider" must be a coordinator of the other organisation, or the 404 checks
    # above would pass for the wrong reason.
    membership = world.users["outsider"].memberships.get()
    assert membership.org_id == world.other_org.pk and membership.role == "coordinator"


def test_anonymous_api_gets_401(anon: Any, db: None) -> None:
    assert anon.get("/api/me").status_code == 401


def test_role_matrix_is_not_empty() -> None:
    assert len(url_patterns()) >= 5 and len(api_operations()) >= 1


@pytest.mark.parametrize("enabled", [False, True])
def test_deployment_admin_as_every_persona(
    enabled: bool, world: Any, clients: dict[str, Any], anon: Any, settings: Any
) -> None:
    """The Django admin's own URLs, as every persona and a deployment superuser: 404 for all
    while SALAMA_DEPLOYMENT_ADMIN is off; when on, anonymous users go to Salama's login, every
    organisation role is refused, and only a superuser past the second factor gets in."""
    from salama.accounts.models import User
    from tests.conftest import PASSWORD, client_for

    settings.DEPLOYMENT_ADMIN = enabled
    root = client_for(User.objects.create_superuser("root", password=PASSWORD))
    pages = [
        reverse("admin:index"),
        reverse("admin:accounts_membership_changelist"),
        reverse("admin:accounts_organisation_change", args=[world.org.pk]),
        reverse("admin:password_change"),
    ]
    for url in pages:
        for persona in PERSONAS:
            response = client(persona, clients, anon).get(url)
            if not enabled:
                assert response.status_code == 404, f"{url} as {persona}"
            elif persona == "anon":
                check(response, "login", f"{url} as anon")
            else:
                check(response, "denied", f"{url} as {persona}")
        assert root.get(url).status_code == (200 if enabled else 404), f"{url} as superuser"


# Pages whose roles are a security decision (S3 items 1 and 6): the walk above checks that each
# page keeps to the roles it declares; these pin the declaration itself, so widening it fails.
PINNED_ROLES = {
    "rollcalls:duress_form": {"org_admin", "coordinator"},  # a change disarms a duress word
    "safety:relayed": {"org_admin", "coordinator"},  # check-ins for anyone, INJURED included
}


@pytest.mark.parametrize("name", sorted(PINNED_ROLES))
def test_sensitive_page_is_for_its_agreed_roles_only(
    name: str, world: Any, clients: dict[str, Any], anon: Any
) -> None:
    pattern = dict(url_patterns())[name]
    assert set(pattern.callback.salama_roles) == PINNED_ROLES[name]
    url = reverse(name, kwargs=fill(pattern_params(pattern), world))
    for persona in PERSONAS:
        outcome = expected(tuple(PINNED_ROLES[name]), persona, bool(pattern_params(pattern)))
        for method in ("get", "post"):
            response = getattr(client(persona, clients, anon), method)(url, {})
            check(response, outcome, f"{method.upper()} {name} as {persona}")
