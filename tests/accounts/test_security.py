from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from salama.accounts.models import AuditEvent, UserSession
from tests.conftest import PASSWORD, ROLES, second_factor_device
from tests.test_role_matrix import fill, pattern_params, role_of, url_patterns

REQUIRED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
}


def parse_csp(header: str) -> dict[str, str]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = " ".join(words[1:])
    return directives


def assert_strict_csp(response: Any, label: str) -> None:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{label}: no Content-Security-Policy"
    csp = parse_csp(header)
    for directive, value in REQUIRED_CSP.items():
        assert csp.get(directive) == value, f"{label}: {directive} is {csp.get(directive)!r}"
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    assert csp["img-src"].startswith("'self' data:")


def test_csp_and_security_headers_on_every_page(world: Any, clients: dict, anon: Any) -> None:
    """Every URL pattern, fetched by a persona allowed to see it, carries the strict CSP."""
    checked = 0
    for name, pattern in url_patterns():
        allowed = pattern.callback.salama_roles
        # Signed gateway webhooks ("webhook") take no login: fetched anonymously, like public.
        without_login = ("public", "webhook")
        persona = next(
            (p for p in ROLES if allowed in (*without_login, "login") or role_of(p) in allowed),
            None,
        )
        caller = anon if allowed in without_login else clients[persona]
        response = caller.get(reverse(name, kwargs=fill(pattern_params(pattern), world)))
        assert_strict_csp(response, name)
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        checked += 1
    for path in ("/api/docs", "/api/openapi.json", "/no-such-page"):
        assert_strict_csp(clients["coordinator"].get(path), path)
    assert checked >= 5


def test_login_page_has_csp_and_no_inline_script(anon: Any, db: None) -> None:
    response = anon.get("/accounts/login/")
    assert_strict_csp(response, "login")
    body = response.content.decode()
    assert "<script>" not in body and " style=" not in body and "hx-on" not in body


def test_login_records_session_address_and_agent(world: Any, anon: Any) -> None:
    response = anon.post(
        "/accounts/login/",
        {"username": "coordinator", "password": PASSWORD},
        HTTP_USER_AGENT="TestBrowser/1.0",
        REMOTE_ADDR="10.9.8.7",
    )
    assert response.status_code == 302
    session = UserSession.objects.get(user=world.users["coordinator"])
    assert session.org_id == world.org.pk
    assert session.address == "10.9.8.7"
    assert session.user_agent == "TestBrowser/1.0"
    assert AuditEvent.objects.filter(action="login", actor_id=world.users["coordinator"].pk)


def test_login_is_rate_limited_per_account_in_the_database(world: Any, anon: Any, settings) -> None:
    settings.LOGIN_RATE_PER_ACCOUNT = 3
    for _ in range(3):
        anon.post("/accounts/login/", {"username": "coordinator", "password": "wrong"})
    response = anon.post("/accounts/login/", {"username": "coordinator", "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many attempts" in response.content.decode()
    # The same answer for a name that does not exist: no account enumeration.
    for _ in range(3):
        anon.post("/accounts/login/", {"username": "nobody-here", "password": "wrong"})
    response = anon.post("/accounts/login/", {"username": "nobody-here", "password": "wrong"})
    assert "Too many attempts" in response.content.decode()


def test_wrong_password_and_unknown_user_get_the_same_answer(world: Any, anon: Any) -> None:
    wrong = anon.post("/accounts/login/", {"username": "coordinator", "password": "nope"})
    unknown = anon.post("/accounts/login/", {"username": "ghost", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 200
    assert wrong.context["form"].errors == unknown.context["form"].errors


def test_logout_needs_post_and_ends_the_session(clients: dict, world: Any) -> None:
    client = clients["coordinator"]
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_password_change_enforces_validators(clients: dict) -> None:
    response = clients["staff"].post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["new_password2"]
    assert any("12 characters" in e for e in errors)
    response = clients["staff"].post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "password1234",
            "new_password2": "password1234",
        },
    )
    assert "too common" in " ".join(response.context["form"].errors["new_password2"])


def test_switch_organisation(world: Any, clients: dict) -> None:
    from salama.accounts.models import Membership

    Membership.objects.create(user=world.users["coordinator"], org=world.other_org, role="liaison")
    second_factor_device(world.users["coordinator"])  # the new organisation approves the app too
    client = clients["coordinator"]
    assert client.get("/api/me").json()["organisation"] == "relief"
    client.post("/accounts/switch/", {"org": world.other_org.pk})
    assert client.get("/api/me").json() == {
        "user_id": world.users["coordinator"].pk,
        "organisation": "elsewhere",
        "role": "liaison",
        "language": "en",
    }
    # A membership the user does not have is not found.
    assert (
        clients["staff"].post("/accounts/switch/", {"org": world.other_org.pk}).status_code == 404
    )


def test_language_choice_is_saved_and_pages_turn_right_to_left(world: Any, clients: dict) -> None:
    client = clients["staff"]
    client.post("/accounts/language/", {"language": "ar", "next": "/"})
    world.users["staff"].refresh_from_db()
    assert world.users["staff"].language == "ar"
    body = client.get("/", follow=True).content.decode()
    assert 'dir="rtl"' in body and 'lang="ar"' in body
    assert "تسجيل الخروج" in body  # "Log out"


def test_language_switch_refuses_foreign_redirects(anon: Any, db: None) -> None:
    response = anon.post("/accounts/language/", {"language": "ar", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_healthz(anon: Any, db: None) -> None:
    assert anon.get("/healthz").json() == {"status": "ok"}


def test_admin_is_for_superusers_only(world: Any, clients: dict, settings: Any) -> None:
    from salama.accounts.models import User
    from tests.conftest import client_for

    settings.DEPLOYMENT_ADMIN = True  # off by default (tests/accounts/test_admin.py)
    assert clients["org_admin"].get("/deployment-admin/").status_code == 403
    root = User.objects.create_superuser("root", password=PASSWORD)
    superuser = client_for(root)  # with its second factor passed
    assert superuser.get("/deployment-admin/").status_code == 200
    page = superuser.get(f"/deployment-admin/accounts/organisation/{world.org.pk}/change/")
    assert page.status_code == 200
    assert "credentials" not in page.content.decode()


def test_server_refuses_to_start_without_a_real_secret(settings) -> None:
    from salama.lib.startup import check_deployment

    settings.DEMO = False
    settings.SECRET_KEY_IS_DEMO = True
    with pytest.raises(ImproperlyConfigured):
        check_deployment()
    settings.SECRET_KEY_IS_DEMO = False
    settings.SECRET_KEY = "short"
    with pytest.raises(ImproperlyConfigured):
        check_deployment()
    settings.SECRET_KEY = "x" * 50
    check_deployment()
    settings.DEMO = True
    settings.SECRET_KEY_IS_DEMO = True
    check_deployment()
