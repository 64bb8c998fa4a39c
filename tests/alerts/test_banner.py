"""The life-safety banner (U1 item 2): on the board's live part and on every coordinator page,
the number of open life-safety alerts and how many nobody has acknowledged, linking to the duty
page; only for coordinators and org admins; the board's version token moves with it, so its poll
redraws the banner when an alert opens or is acknowledged."""

from typing import Any

import pytest

from salama.accounts.models import Membership
from salama.alerts.handling import acknowledge
from salama.alerts.services import raise_life_safety
from salama.safety import selectors

pytestmark = pytest.mark.django_db


def _banner(client: Any, path: str) -> str:
    text = client.get(path).content.decode()
    start = text.find('id="alert-banner"')
    return text[start : text.find("</p>", start)] if start >= 0 else ""


def test_the_banner_counts_open_and_unowned_life_safety_alerts(
    clients: Any, roster: Any, world: Any
) -> None:
    assert _banner(clients["coordinator"], "/safety/board/") == ""  # nothing open: no banner
    first = raise_life_safety(org=world.org, kind="need_help", person=roster.persons["K12"])
    raise_life_safety(org=world.org, kind="injured", person=roster.persons["K20"])
    banner = _banner(clients["coordinator"], "/safety/board/")
    assert '<b id="alert-banner-open">2</b>' in banner
    assert '<b id="alert-banner-unowned">2</b>' in banner
    assert 'href="/alerts/"' in banner
    by = Membership.objects.get(user=world.users["coordinator2"], org=world.org)
    acknowledge(alert=first, by=by)
    for path in ("/safety/board/", "/safety/events/", "/rollcalls/", "/people/"):
        banner = _banner(clients["org_admin"], path)
        assert '<b id="alert-banner-open">2</b>' in banner, path
        assert '<b id="alert-banner-unowned">1</b>' in banner, path
    # Once on the board: in its live part, not again under the top bar.
    assert clients["coordinator"].get("/safety/board/").content.count(b'id="alert-banner"') == 1


def test_the_banner_is_only_for_coordinators_and_org_admins(
    clients: Any, roster: Any, world: Any
) -> None:
    raise_life_safety(org=world.org, kind="need_help", person=roster.persons["K12"])
    for name in ("lead", "staff", "observer", "liaison"):
        response = clients[name].get("/")
        assert b'id="alert-banner"' not in response.content, name
    assert _banner(clients["outsider"], "/safety/board/") == ""  # another organisation's


def test_the_banner_is_in_arabic(clients: Any, roster: Any, world: Any) -> None:
    raise_life_safety(org=world.org, kind="need_help", person=roster.persons["K12"])
    user = world.users["coordinator"]
    user.language = "ar"
    user.save(update_fields=["language"])
    banner = _banner(clients["coordinator"], "/safety/board/")
    assert "تنبيهات سلامة الأرواح المفتوحة" in banner and "دون إقرار" in banner


def test_the_boards_poll_answers_again_when_an_alert_is_acknowledged(
    clients: Any, roster: Any, world: Any
) -> None:
    alert = raise_life_safety(org=world.org, kind="need_help", person=roster.persons["K12"])
    version = selectors.board_version(world.org, selectors.Filters())
    live = f"/safety/board/live/?v={version}"
    assert clients["coordinator"].get(live).status_code == 204  # unchanged: the cheap answer
    by = Membership.objects.get(user=world.users["coordinator2"], org=world.org)
    acknowledge(alert=alert, by=by)
    response = clients["coordinator"].get(live)
    assert response.status_code == 200
    assert b'<b id="alert-banner-unowned">0</b>' in response.content
