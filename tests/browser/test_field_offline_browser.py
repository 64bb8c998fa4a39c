"""The field page offline (issue 22, O1) in Debian's Chromium: a tap is kept in IndexedDB before
any request and delivered exactly once, in order, with its device time, whatever the network
does; wipe; one user's queue is never shown to another. Offline through the context, failures
through page.route, the SMS through the real inbound webhook."""

import gzip
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import expect

from salama.safety.models import CheckIn, CheckInKey
from tests.conftest import log_in
from tests.safety.conftest import Team1

pytestmark = pytest.mark.browser
WAIT = 20_000  # ms


def wait_until(check: Callable[[], Any], seconds: float = 20) -> Any:
    end = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError("timed out waiting")
        time.sleep(0.2)


def ready(page: Any) -> None:
    """The page's queue is running: session known, service worker in control."""
    page.wait_for_selector("#fq:not([hidden])")
    expect(page.locator("#fq-count")).not_to_have_text("", timeout=WAIT)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=WAIT)


def queued(page: Any, n: int) -> None:
    expect(page.locator("#fq-count")).to_have_attribute("data-count", str(n), timeout=WAIT)


def forget(page: Any, *fragments: str) -> None:
    """Console lines the test caused on purpose (a 500 it injected) are not problems."""
    page.problems[:] = [p for p in page.problems if not any(f in p for f in fragments)]


def tap(page: Any, button: str, note: str = "") -> None:
    page.fill("#id_note", note)
    page.click(button)


@pytest.fixture
def team(live_world: Any) -> Team1:
    return Team1(live_world)


def test_five_taps_offline_arrive_once_in_order_with_their_device_time(
    page: Any, team: Team1
) -> None:
    log_in(page, "staff")
    page.goto("/safety/")
    ready(page)
    page.context.set_offline(True)
    page.reload()  # served by the service worker from its cache
    page.wait_for_selector("#shell #btn-safe")
    for i in range(5):
        tap(page, "#btn-safe", f"tap {i}")
    queued(page, 5)
    expect(page.locator(".fq-item[data-state=waiting]")).to_have_count(5)
    assert not CheckIn.objects.exists()
    page.context.set_offline(False)
    queued(page, 0)
    checkins = list(CheckIn.objects.order_by("id"))
    assert [c.note for c in checkins] == [f"tap {i}" for i in range(5)]
    assert all(c.channel == "field_page" and c.person_id == team.staff.pk for c in checkins)
    device = [c.device_at for c in checkins]
    assert all(d is not None for d in device) and device == sorted(device)
    assert all(c.device_at < c.received_at for c in checkins)
    assert CheckInKey.objects.count() == 5
    expect(page.locator(".fq-item[data-state=delivered]")).to_have_count(5)
