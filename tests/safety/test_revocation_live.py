"""A seized phone's token stops working at once, in every server process: the token is revoked
(or the phone marked lost) here while a real server in another process (`salama serve`,
gunicorn) keeps serving, and its next request with that token is refused. Nothing about a token
may outlive its revocation in a process's memory: a token the server remembers is checked in
the database with every check-in (salama.safety.tokens)."""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from salama.accounts.models import ApiToken, Membership
from salama.people.models import Person
from salama.privacy.services import report_phone_lost
from salama.safety.tokens import create_token, revoke_token
from tests.conftest import build_world

pytestmark = pytest.mark.postgres


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(transactional_db: None, tmp_path: Path) -> Iterator[str]:
    db = connection.settings_dict
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "SALAMA_SECRET_KEY": "test-" + secrets.token_urlsafe(40),
        "SALAMA_VAR_DIR": str(tmp_path / "var"),
        "SALAMA_KEYRING_DIR": str(settings.KEYRING_DIR),
        "SALAMA_LOG_LEVEL": "WARNING",
    }
    log = (tmp_path / "server.log").open("ab")
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "salama.cli", "serve", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", "1"],
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):  # noqa: S310
                break
        except OSError:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
    try:
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()


def _checkin(base: str, token: str, key: str) -> int:
    request = urllib.request.Request(  # noqa: S310
        base + "/api/checkins",
        data=json.dumps({"status": "SAFE"}).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _linked_world() -> Any:
    world = build_world()
    membership = Membership.objects.get(user=world.users["staff"], org=world.org)
    Person.objects.create(org=world.org, codename="K10", role="nurse", membership=membership)
    return world, membership


def test_a_revoked_token_is_refused_by_a_server_that_kept_serving(server: str) -> None:
    world, _membership = _linked_world()
    token = create_token(user=world.users["staff"], org=world.org, name="phone")
    assert [_checkin(server, token, f"k{i}") for i in range(3)] == [201, 201, 201]
    revoke_token(token=ApiToken.objects.get(user=world.users["staff"]))
    # First a key it used before (the server has the token in its memory: it is checked in
    # the statement that locks the person, before any answer is replayed), then a new one.
    assert _checkin(server, token, "k0") == 401
    assert _checkin(server, token, "after") == 401


def test_a_phone_marked_lost_ends_its_token_in_a_server_that_kept_serving(server: str) -> None:
    world, membership = _linked_world()
    token = create_token(user=world.users["staff"], org=world.org, name="phone")
    assert [_checkin(server, token, f"k{i}") for i in range(3)] == [201, 201, 201]
    by = Membership.objects.get(user=world.users["coordinator"], org=world.org)
    report_phone_lost(by=by, membership=membership)
    assert _checkin(server, token, "after") == 401
