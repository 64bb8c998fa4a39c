"""Shared test harness: personas, the keyring, PostgreSQL and browser gating.

Personas (one organisation "relief" plus an outsider in "elsewhere"): org_admin, coordinator,
liaison, lead, staff, staff2, observer, outsider. Each persona fixture is a logged-in
django.test.Client; `users` gives the User objects.

Gating: tests marked `postgres` need DATABASE_URL to point at PostgreSQL; tests marked `browser`
need Debian's chromium. Without them they are skipped and listed at the end of the run. With
SALAMA_TEST_POSTGRES=1 / SALAMA_REQUIRE_BROWSER=1 (set by .ci/run) such a skip is a failure.
"""

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

CHROMIUM = "/usr/bin/chromium"
REQUIRE_POSTGRES = os.environ.get("SALAMA_TEST_POSTGRES") == "1"
REQUIRE_BROWSER = os.environ.get("SALAMA_REQUIRE_BROWSER") == "1"
PASSWORD = "correct horse battery staple 7"

if settings.IS_POSTGRES:
    # Transactional tests end with a TRUNCATE of every table; the audit table refuses TRUNCATE
    # unless the session says so (see accounts migration 0002). Only the tests set this.
    _db_options = settings.DATABASES["default"].setdefault("OPTIONS", {})
    _db_options["options"] = "-c salama.allow_truncate=on"


def _has_postgres() -> bool:
    return bool(settings.IS_POSTGRES)


def _has_browser() -> bool:
    return Path(CHROMIUM).exists()


def pytest_configure(config: pytest.Config) -> None:
    # Under .ci/run a missing PostgreSQL or browser is a failure, never a skip.
    if REQUIRE_POSTGRES and not _has_postgres():
        raise pytest.UsageError(
            "SALAMA_TEST_POSTGRES=1 but DATABASE_URL does not point at PostgreSQL."
        )
    if REQUIRE_BROWSER and not _has_browser():
        raise pytest.UsageError(f"SALAMA_REQUIRE_BROWSER=1 but {CHROMIUM} is missing.")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "postgres" in item.keywords and not _has_postgres():
            reason = "needs PostgreSQL: set DATABASE_URL (and SALAMA_TEST_POSTGRES=1)"
            item.add_marker(pytest.mark.skip(reason=reason))
        if "browser" in item.keywords and not _has_browser():
            reason = f"needs Debian chromium at {CHROMIUM} (make browser)"
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    # Read from the reports: under pytest-xdist collection runs in the workers.
    gated = [
        f"{report.nodeid}: {report.longrepr[2].removeprefix('Skipped: ')}"
        for report in terminalreporter.stats.get("skipped", [])
        if isinstance(report.longrepr, tuple) and "needs " in report.longrepr[2]
    ]
    if gated:
        terminalreporter.section("SKIPPED: needs PostgreSQL or a browser", sep="!", bold=True)
        for line in gated:
            terminalreporter.write_line(line)
        terminalreporter.write_line(
            f"{len(gated)} tests did not run. The full suite: "
            "SALAMA_TEST_POSTGRES=1 SALAMA_REQUIRE_BROWSER=1 "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/test make test"
        )


@pytest.fixture(autouse=True)
def _keyring(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh keyring for every test: database ids are reused after a test's rollback, and
    keys must not leak from one test's organisation into the next one's."""
    from salama.lib import keyring

    directory = tmp_path_factory.mktemp("keys")
    settings.KEYRING_DIR = directory
    settings.MASTER_KEY = ""
    keyring._cache.clear()
    keyring.ensure_master_key()
    yield directory
    keyring._cache.clear()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@dataclass
class World:
    org: Any
    other_org: Any
    users: dict[str, Any]


ROLES = {
    "org_admin": "org_admin",
    "coordinator": "coordinator",
    "coordinator2": "coordinator",
    "liaison": "liaison",
    "lead": "field_lead",
    "staff": "staff",
    "staff2": "staff",
    "observer": "observer",
}


def build_world() -> World:
    from salama.accounts.models import Membership, User
    from salama.accounts.services import create_organisation

    org = create_organisation(name="Relief Union Test", slug="relief", time_zone="Asia/Damascus")
    other = create_organisation(name="Elsewhere Aid", slug="elsewhere", time_zone="UTC")
    users = {}
    for username, role in ROLES.items():
        user = User.objects.create_user(username=username, password=PASSWORD)
        Membership.objects.create(user=user, org=org, role=role)
        users[username] = user
    outsider = User.objects.create_user(username="outsider", password=PASSWORD)
    Membership.objects.create(user=outsider, org=other, role="coordinator")
    users["outsider"] = outsider
    return World(org=org, other_org=other, users=users)


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def second_factor_device(user: Any) -> Any:
    """The persona's second factor for tests: an authenticator app (TOTP) that an org admin has
    approved, made on first use. Real rows, as `make demo` makes them; tests that need a
    security key enrol one with Chromium's virtual authenticator instead."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from salama.accounts.models import FallbackApproval, FallbackFactor
    from salama.lib import clock

    fallback = FallbackFactor.objects.filter(user=user).select_related("totp").first()
    if fallback is None:
        totp = TOTPDevice.objects.create(user=user, name="fallback", confirmed=True)
        recovery = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
        fallback = FallbackFactor.objects.create(
            user=user, totp=totp, recovery=recovery, proven_at=clock.now(), approved_at=clock.now()
        )
    # Approved by each organisation the user belongs to now (an approval counts per org).
    for org_id in user.memberships.values_list("org_id", flat=True):
        FallbackApproval.objects.get_or_create(org_id=org_id, fallback=fallback)
    return fallback.totp


def current_code(device: Any) -> str:
    """The code the persona's authenticator app shows now (the next one, if this one was
    already used: the device accepts one step ahead and never the same step twice)."""
    import time

    from django_otp.oath import TOTP, hotp

    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    counter = max(totp.t(), device.last_t + 1)
    return str(hotp(device.bin_key, counter, device.digits)).zfill(device.digits)


_RANDOM_TOKENS = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"|nonce="[^"]*"')


def without_tokens(html: str | bytes) -> str:
    """A page without its random CSRF tokens and nonces: a check that a codename such as "K3"
    is NOT on a page must not fail because a 64-character random token happens to hold it."""
    text = html.decode() if isinstance(html, bytes) else html
    return _RANDOM_TOKENS.sub("", text)


def client_for(user: Any) -> Client:
    """A test client logged in as `user`. For a user who needs a second factor (org admins,
    coordinators, liaisons) the session is also marked as verified by the persona's approved
    authenticator app, exactly as django_otp.login() marks it after a code is accepted, so
    pages behind the second-factor check answer as they would after a real login. Create
    clients for such users with this function, not with Client.force_login alone."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from salama.accounts import factors
    from salama.lib import clock

    client = Client()
    client.force_login(user)
    if factors.requires_second_factor(user):
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = second_factor_device(user).persistent_id
        session[factors.VERIFIED_AT] = int(clock.now().timestamp())
        session.save()
    return client


@pytest.fixture
def clients(world: World) -> dict[str, Client]:
    return {name: client_for(user) for name, user in world.users.items()}


@pytest.fixture
def coordinator(clients: dict[str, Client]) -> Client:
    return clients["coordinator"]


@pytest.fixture
def anon() -> Client:
    return Client()


@pytest.fixture
def roster(world: World) -> Any:
    """A small roster for world.org (tests/people/factories.py, fictional data):
    teams North (lead K10, deputy K11, members K12 K13) and South (lead K20, member K21); areas
    Al-Sukkari and Al-Shaar (with aliases and points); one facility; every person has an SMS
    number, K11 has two, K12 and K13 share a ward phone (is_shared). The "lead" persona's
    membership is linked to K10, "staff" to K12; the "coordinator" persona's membership has an
    SMS contact point (roster.coordinator_phone). Returns a Roster with .teams, .areas,
    .facility, .persons (by codename), .ward_phone, .coordinator_phone, .names and .numbers."""
    from tests.people.factories import build_roster

    return build_roster(world)


# --- Browser ------------------------------------------------------------------------------------

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    # Playwright's sync API runs an event loop in this thread; Django's ORM, used by the test
    # itself between browser steps, would otherwise refuse to run.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class PageProblems(list):
    """Console errors and CSP violations seen by a page; any one fails the test."""


DOC_SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def screenshot(tab: Any, name: str, tmp_path: Path, **options: Any) -> Path:
    """Take the screenshot `name` (e.g. "board-ar.png"). It goes to docs/screenshots/ only under
    `make screenshots` (SALAMA_SCREENSHOTS=1): tests never rewrite tracked files."""
    folder = DOC_SCREENSHOTS if os.environ.get("SALAMA_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(folder / name), **options)
    return folder / name


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    problems = PageProblems()
    tab = context.new_page()
    tab.on(
        "console",
        lambda msg: (
            problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None
        ),
    )
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    tab.problems = problems
    yield tab
    context.close()
    assert not problems, "the browser reported problems (CSP violations show here):\n" + "\n".join(
        problems
    )


@pytest.fixture
def live_world(transactional_db: None) -> World:
    return build_world()


def log_in(page: Any, username: str, password: str = PASSWORD) -> None:
    """Log a persona in through the real login form. A persona who needs a second factor then
    types the current code of their approved authenticator app (second_factor_device), computed
    here from the device's secret as the app on their phone would: the real second-factor page,
    no test-only way in."""
    from salama.accounts import factors
    from salama.accounts.models import User

    user = User.objects.get(username=username)
    device = second_factor_device(user) if factors.requires_second_factor(user) else None
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit].primary")
    page.wait_for_url(lambda url: "/accounts/login" not in url)
    if device is not None and "/accounts/verify/" in page.url:
        page.fill("#id_code", current_code(device))
        page.click("#code-submit")
        page.wait_for_url(lambda url: "/accounts/verify/" not in url)
