"""The Django admin (S3 item 3): off unless SALAMA_DEPLOYMENT_ADMIN turns it on; when on, reached
only through Salama's own login (its limits and back-off) and the second factor, by superusers."""

from typing import Any

from django.test import Client

from salama.accounts import factors
from salama.accounts.models import User
from tests.conftest import PASSWORD, client_for, current_code, second_factor_device

ADMIN_PAGES = ("/deployment-admin/", "/deployment-admin/login/", "/deployment-admin/accounts/user/")


def superuser() -> User:
    return User.objects.create_superuser("root", password=PASSWORD)


def test_the_admin_is_off_by_default(world: Any, clients: dict, anon: Any) -> None:
    root = client_for(superuser())
    for page in ADMIN_PAGES:
        for label, client in [("anon", anon), ("root", root), *clients.items()]:
            assert client.get(page).status_code == 404, f"{page} as {label}"
    # Its own login form takes no password either.
    post = anon.post("/deployment-admin/login/", {"username": "root", "password": PASSWORD})
    assert post.status_code == 404


def test_superusers_must_pass_a_second_factor(world: Any) -> None:
    assert factors.requires_second_factor(superuser())


def test_the_admin_sends_everyone_through_salamas_login(
    world: Any, anon: Any, settings: Any
) -> None:
    settings.DEPLOYMENT_ADMIN = True
    for page in ("/deployment-admin/", "/deployment-admin/login/"):
        response = anon.get(page)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/"), page
    # Django's own login form never checks a password (it has no rate limit).
    root = superuser()
    form = anon.post("/deployment-admin/login/", {"username": "root", "password": PASSWORD})
    assert form["Location"].startswith("/accounts/login/")
    assert anon.get("/deployment-admin/")["Location"].startswith("/accounts/login/")
    # The real login: password, then the second factor, then the admin.
    client = Client()
    login = client.post(
        "/accounts/login/",
        {"username": "root", "password": PASSWORD, "next": "/deployment-admin/"},
    )
    assert login["Location"].startswith("/accounts/verify/")
    assert client.get("/deployment-admin/")["Location"].startswith("/accounts/verify/")
    device = second_factor_device(root)
    passed = client.post(
        "/accounts/verify/", {"code": current_code(device), "next": "/deployment-admin/"}
    )
    assert passed["Location"] == "/deployment-admin/"
    assert client.get("/deployment-admin/").status_code == 200


def test_the_admin_login_is_rate_limited_like_every_login(world: Any, settings: Any) -> None:
    settings.DEPLOYMENT_ADMIN = True
    settings.LOGIN_RATE_PER_ACCOUNT = 3
    superuser()
    for _ in range(3):
        Client().post("/accounts/login/", {"username": "root", "password": "guess"})
    response = Client().post("/accounts/login/", {"username": "root", "password": PASSWORD})
    assert "Too many attempts" in response.content.decode()


def test_org_admins_are_refused_the_deployment_admin(
    world: Any, clients: dict, settings: Any
) -> None:
    settings.DEPLOYMENT_ADMIN = True
    for name, client in clients.items():
        assert client.get("/deployment-admin/").status_code == 403, name
    root = client_for(superuser())
    page = root.get(f"/deployment-admin/accounts/organisation/{world.org.pk}/change/")
    assert page.status_code == 200
    assert "credentials" not in page.content.decode()
