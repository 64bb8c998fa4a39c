"""Logins behind a reverse proxy (S3 item 4): the client address comes from X-Forwarded-For only
when the request arrives from a trusted proxy (SALAMA_TRUSTED_PROXIES), so the per-address limit
counts the real client, not the proxy; a browser with a valid known-device cookie for the account
is not held back by the per-address limit; the per-account back-off still holds."""

from typing import Any

from django.test import Client, RequestFactory

from salama.accounts.audit import client_address
from salama.accounts.models import UserSession
from tests.conftest import PASSWORD

PROXY = "10.0.0.2"


def via_proxy(client: Client, username: str, password: str, forwarded: str) -> Any:
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def refused(response: Any) -> bool:
    return response.status_code == 200 and "Too many attempts" in response.content.decode()


def test_one_attacker_behind_the_proxy_does_not_lock_everyone_out(
    world: Any, settings: Any
) -> None:
    settings.TRUSTED_PROXIES = [PROXY]
    settings.LOGIN_RATE_PER_ADDRESS = 5
    for n in range(5):
        via_proxy(Client(), f"someone{n}", "wrong", "203.0.113.66")
    # The attacker's own address is limited ...
    assert refused(via_proxy(Client(), "staff", PASSWORD, "203.0.113.66"))
    # ... and everyone else behind the same proxy still logs in.
    assert via_proxy(Client(), "staff", PASSWORD, "198.51.100.7").status_code == 302
    session = UserSession.objects.get(user=world.users["staff"])
    assert session.address == "198.51.100.7"


def test_forwarded_for_is_ignored_unless_the_request_comes_from_a_trusted_proxy(
    settings: Any,
) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    factory = RequestFactory()
    direct = factory.get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert client_address(direct) == "203.0.113.9"
    # The rightmost address the trusted proxies did not add is the client; what the client
    # itself wrote further left is not believed.
    chained = factory.get(
        "/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.1, 10.0.0.7"
    )
    assert client_address(chained) == "198.51.100.1"
    garbage = factory.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="not-an-address")
    assert client_address(garbage) == "10.0.0.5"
    settings.TRUSTED_PROXIES = []
    assert client_address(chained) == "10.0.0.5"


def test_a_known_browser_is_not_held_back_by_the_address_limit(world: Any, settings: Any) -> None:
    settings.LOGIN_RATE_PER_ADDRESS = 5
    settings.LOGIN_RATE_PER_ACCOUNT = 3
    laptop = Client()
    assert (
        laptop.post(
            "/accounts/login/", {"username": "staff", "password": PASSWORD}, REMOTE_ADDR=PROXY
        ).status_code
        == 302
    )
    assert "salama_known" in laptop.cookies
    laptop.post("/accounts/logout/")
    # Wrong passwords for other accounts from the same (untrusted, shared) address.
    for n in range(6):
        Client().post(
            "/accounts/login/", {"username": f"x{n}", "password": "no"}, REMOTE_ADDR=PROXY
        )
    stranger = Client().post(
        "/accounts/login/", {"username": "staff2", "password": PASSWORD}, REMOTE_ADDR=PROXY
    )
    assert refused(stranger)
    back = laptop.post(
        "/accounts/login/", {"username": "staff", "password": PASSWORD}, REMOTE_ADDR=PROXY
    )
    assert back.status_code == 302
    laptop.post("/accounts/logout/")
    # The cookie is for "staff" only: it does not lift the address limit for another account.
    other = laptop.post(
        "/accounts/login/", {"username": "staff2", "password": PASSWORD}, REMOTE_ADDR=PROXY
    )
    assert refused(other)


def test_the_account_back_off_still_holds_behind_the_proxy(world: Any, settings: Any) -> None:
    settings.TRUSTED_PROXIES = [PROXY]
    settings.LOGIN_RATE_PER_ACCOUNT = 3
    for n in range(3):
        via_proxy(Client(), "coordinator", "wrong", f"192.0.2.{n}")
    assert refused(via_proxy(Client(), "coordinator", PASSWORD, "192.0.2.50"))
