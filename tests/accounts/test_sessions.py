"""Sessions: idle and absolute timeouts, the page of one's own sessions and API tokens, and
login protection that cannot lock a coordinator out for good."""

import hashlib
from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client

from salama.accounts.models import ApiToken, AuditEvent, LoginBackoff, UserSession
from salama.lib import clock
from tests.conftest import PASSWORD, client_for


def is_logged_in(client: Client) -> bool:
    response = client.get("/accounts/security/")
    return response.status_code == 200


def test_idle_session_ends(world: Any, settings: Any) -> None:
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    with time_machine.travel(clock.now(), tick=False) as traveller:
        client = client_for(world.users["staff"])
        assert is_logged_in(client)
        traveller.shift(timedelta(minutes=29))
        assert is_logged_in(client)
        traveller.shift(timedelta(minutes=31))
        response = client.get("/accounts/security/")
        assert response["Location"].startswith("/accounts/login/")
        assert client.get("/api/me").status_code == 401


def test_busy_session_still_ends_at_the_absolute_limit(world: Any, settings: Any) -> None:
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    settings.SESSION_ABSOLUTE_TIMEOUT = 3 * 3600
    with time_machine.travel(clock.now(), tick=False) as traveller:
        client = client_for(world.users["coordinator"])
        for _ in range(8):  # active every 20 minutes for 2 h 40 min
            assert is_logged_in(client)
            traveller.shift(timedelta(minutes=20))
        assert is_logged_in(client)
        traveller.shift(timedelta(minutes=25))
        assert not is_logged_in(client)


def test_session_keeps_its_start_time_and_records_last_seen(world: Any) -> None:
    with time_machine.travel(clock.now(), tick=False) as traveller:
        client = Client()
        client.post(
            "/accounts/login/",
            {"username": "staff", "password": PASSWORD},
            HTTP_USER_AGENT="Phone/2",
        )
        started = UserSession.objects.get(user=world.users["staff"]).created_at
        traveller.shift(timedelta(minutes=10))
        assert is_logged_in(client)
        row = UserSession.objects.get(user=world.users["staff"])
        assert row.created_at == started
        assert row.last_seen_at - started >= timedelta(minutes=10)


def test_sessions_page_lists_and_ends_sessions_without_showing_keys(world: Any) -> None:
    user = world.users["coordinator"]
    laptop = client_for(user)
    phone = client_for(user)
    assert is_logged_in(phone)
    page = laptop.get("/accounts/security/").content.decode()
    rows = UserSession.objects.filter(user=user)
    assert rows.count() == 2
    for row in rows:
        assert row.session_key not in page
    phone_key = phone.session.session_key
    phone_id = hashlib.sha256(phone_key.encode()).hexdigest()[:20]
    assert phone_id in page
    response = laptop.post("/accounts/security/sessions/end/", {"session": phone_id})
    assert response.status_code == 302
    assert not is_logged_in(phone)
    assert is_logged_in(laptop)
    assert AuditEvent.objects.filter(action="session_ended", actor_id=user.pk).exists()
    # Another user's session id ends nothing.
    other = client_for(world.users["staff"])
    other_id = hashlib.sha256(other.session.session_key.encode()).hexdigest()[:20]
    laptop.post("/accounts/security/sessions/end/", {"session": other_id})
    assert is_logged_in(other)


def test_end_all_other_sessions(world: Any) -> None:
    user = world.users["staff"]
    keep, drop1, drop2 = (client_for(user) for _ in range(3))
    keep.post("/accounts/security/sessions/end/", {"session": "others"})
    assert is_logged_in(keep)
    assert not is_logged_in(drop1) and not is_logged_in(drop2)


def test_api_tokens_are_listed_and_revoked_by_their_owner_only(world: Any) -> None:
    mine = ApiToken.objects.create(
        org=world.org, user=world.users["coordinator"], name="laptop script", token_hash="a" * 64
    )
    theirs = ApiToken.objects.create(
        org=world.org, user=world.users["lead"], name="lead phone", token_hash="b" * 64
    )
    client = client_for(world.users["coordinator"])
    page = client.get("/accounts/security/").content.decode()
    assert "laptop script" in page and "lead phone" not in page
    client.post("/accounts/security/tokens/revoke/", {"token": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    client.post("/accounts/security/tokens/revoke/", {"token": mine.pk})
    mine.refresh_from_db()
    assert mine.revoked_at is not None
    assert AuditEvent.objects.filter(action="api_token_revoked").count() == 1


# --- Login protection ---------------------------------------------------------------------------


def attempt(client: Client, username: str, password: str, addr: str = "203.0.113.5") -> Any:
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=addr
    )


def refused(response: Any) -> bool:
    return response.status_code == 200 and "Too many attempts" in response.content.decode()


def test_account_back_off_grows_then_expires(world: Any, settings: Any) -> None:
    settings.LOGIN_RATE_PER_ACCOUNT = 3
    settings.LOGIN_BACKOFF_BASE = 30
    settings.LOGIN_BACKOFF_MAX = 600
    with time_machine.travel(clock.now(), tick=False) as traveller:
        for n in range(3):
            attempt(Client(), "staff", "wrong", addr=f"198.51.100.{n}")
        assert refused(attempt(Client(), "staff", PASSWORD, addr="198.51.100.9"))
        traveller.shift(timedelta(seconds=31))
        attempt(Client(), "staff", "wrong", addr="198.51.100.10")  # 4th failure: 60 s now
        traveller.shift(timedelta(seconds=45))
        assert refused(attempt(Client(), "staff", PASSWORD, addr="198.51.100.11"))
        traveller.shift(timedelta(seconds=20))
        ok = attempt(Client(), "staff", PASSWORD, addr="198.51.100.12")
        assert ok.status_code == 302
        # A success resets the count.
        assert not LoginBackoff.objects.filter(key="acct:staff").exists()


def test_back_off_never_exceeds_its_cap(world: Any, settings: Any) -> None:
    settings.LOGIN_RATE_PER_ACCOUNT = 2
    settings.LOGIN_BACKOFF_MAX = 300
    with time_machine.travel(clock.now(), tick=False) as traveller:
        for n in range(40):
            attempt(Client(), "coordinator", "wrong", addr=f"192.0.2.{n}")
            traveller.shift(timedelta(seconds=1))
        row = LoginBackoff.objects.get(key="acct:coordinator")
        assert row.locked_until - clock.now() <= timedelta(seconds=300)
        traveller.shift(timedelta(seconds=301))
        assert attempt(Client(), "coordinator", PASSWORD, addr="192.0.2.200").status_code == 302


def test_an_attacker_cannot_lock_the_coordinator_out_of_a_known_browser(
    world: Any, settings: Any
) -> None:
    settings.LOGIN_RATE_PER_ACCOUNT = 3
    laptop = Client()
    # The coordinator logged in on this laptop before (password, then the second factor).
    from tests.conftest import current_code, second_factor_device

    device = second_factor_device(world.users["coordinator"])
    attempt(laptop, "coordinator", PASSWORD, addr="10.1.1.1")
    laptop.post("/accounts/verify/", {"code": current_code(device)})
    assert "salama_known" in laptop.cookies
    laptop.post("/accounts/logout/")
    # An attacker hammers the account from many addresses.
    for n in range(12):
        attempt(Client(), "coordinator", "guess", addr=f"192.0.2.{n}")
    assert refused(attempt(Client(), "coordinator", PASSWORD, addr="192.0.2.99"))
    # A forged cookie does not help.
    forged = Client()
    forged.cookies["salama_known"] = "forged"
    assert refused(attempt(forged, "coordinator", PASSWORD, addr="192.0.2.100"))
    # The coordinator's own laptop still gets in.
    assert attempt(laptop, "coordinator", PASSWORD, addr="10.1.1.1").status_code == 302


def test_one_address_is_limited_across_accounts(world: Any, settings: Any) -> None:
    settings.LOGIN_RATE_PER_ADDRESS = 5
    for n in range(5):
        attempt(Client(), f"someone{n}", "wrong", addr="203.0.113.77")
    assert refused(attempt(Client(), "staff", PASSWORD, addr="203.0.113.77"))
    assert attempt(Client(), "staff", PASSWORD, addr="203.0.113.78").status_code == 302


def test_locked_answers_do_not_reveal_which_accounts_exist(world: Any, settings: Any) -> None:
    settings.LOGIN_RATE_PER_ACCOUNT = 2
    answers = {}
    for name in ("coordinator", "no-such-user"):
        first = attempt(Client(), name, "wrong", addr="198.51.100.1")
        for _ in range(2):
            attempt(Client(), name, "wrong", addr="198.51.100.2")
        last = attempt(Client(), name, "wrong", addr="198.51.100.3")
        answers[name] = (first.context["form"].errors, last.context["form"].errors)
    assert answers["coordinator"] == answers["no-such-user"]


def test_a_polling_page_left_open_still_times_out(world: Any, settings: Any) -> None:
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    with time_machine.travel(clock.now(), tick=False) as traveller:
        client = client_for(world.users["coordinator"])
        assert is_logged_in(client)
        for _ in range(5):  # the board polls every few seconds; here every 5 minutes
            traveller.shift(timedelta(minutes=5))
            assert client.get("/accounts/security/", HTTP_HX_REQUEST="true").status_code == 200
        traveller.shift(timedelta(minutes=6))
        response = client.get("/accounts/security/", HTTP_HX_REQUEST="true")
        assert response.status_code == 204
        assert response["HX-Redirect"].startswith("/accounts/login/")
        assert not is_logged_in(client)
