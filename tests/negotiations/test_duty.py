"""Next steps falling due on the duty page (alerts.duty_items, registered by negotiations): the
hook's contract, who sees them, the overdue first, never another organisation's, the viewer's
own date, both languages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import translation

from salama.accounts.models import Membership
from salama.alerts import hooks as alerts_hooks
from salama.alerts import selectors as alerts_selectors
from salama.alerts.hooks import DutyItem
from salama.alerts.models import DutyProfile
from salama.negotiations import panels, services
from salama.negotiations.models import Interaction, Party
from tests.conftest import client_for
from tests.negotiations.helpers import member, party

pytestmark = pytest.mark.django_db

# 01:30 on 11 March in Damascus (the organisation's zone), still 10 March in UTC.
T0 = datetime(2026, 3, 10, 22, 30, tzinfo=UTC)
DAMASCUS_TODAY = date(2026, 3, 11)


@pytest.fixture
def frozen() -> Iterator[Any]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def step(p: Party, due: date, words: str = "Secret follow-up words") -> Interaction:
    return services.log_interaction(
        party=p,
        data=services.InteractionInput(
            at=T0 - timedelta(days=3),
            channel="phone",
            participants="Fictional Negotiator Name",
            asked="A window",
            next_step=words,
            next_due=due,
        ),
        by=Membership.objects.filter(org=p.org, role__in=["coordinator", "liaison"]).first(),
    )


def duty_html(client: Any) -> str:
    answer = client.get("/alerts/")
    assert answer.status_code == 200
    return str(answer.content.decode())


def due_list(html: str) -> str:
    found = re.search(r'<ul id="due-items">(.*?)</ul>', html, re.S)
    assert found, "no 'Falling due' list on the duty page"
    return found.group(1)


def test_the_hook_is_registered_and_keeps_its_contract(world: Any, frozen: Any) -> None:
    assert panels.duty_items in alerts_hooks.duty_items.receivers
    agency = party(world, "Contract agency")
    step(agency, DAMASCUS_TODAY - timedelta(days=1))
    step(agency, DAMASCUS_TODAY + timedelta(days=1))
    step(agency, DAMASCUS_TODAY + timedelta(days=9))  # not falling due yet
    coordinator = member(world, "coordinator")
    with translation.override("en"):
        items = panels.duty_items(org_id=world.org.pk, membership=coordinator, today=DAMASCUS_TODAY)
    assert [i.due for i in items] == [
        DAMASCUS_TODAY - timedelta(days=1),
        DAMASCUS_TODAY + timedelta(days=1),
    ]
    assert [i.overdue for i in items] == [True, False]
    for item in items:
        assert isinstance(item, DutyItem)
        assert item.text == "Negotiations: next step" and item.subject == "Contract agency"
        assert item.url == "/negotiations/interactions/" and item.key.startswith("negotiations.")
        assert "Secret" not in repr(item) and "Fictional" not in repr(item)
    # Asked about another organisation (or by a member of another one): nothing.
    assert (
        panels.duty_items(org_id=world.other_org.pk, membership=coordinator, today=DAMASCUS_TODAY)
        == []
    )
    outsider = Membership.objects.get(user=world.users["outsider"])
    assert panels.duty_items(org_id=world.org.pk, membership=outsider, today=DAMASCUS_TODAY) == []
    assert alerts_selectors.duty_items(world.org, outsider) == []


def test_the_duty_page_sorts_every_providers_items_overdue_first(
    world: Any, clients: dict[str, Any], frozen: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second provider's items mix with negotiations': overdue first, then by due time; a
    datetime is shown in the viewer's zone (Damascus, UTC+3)."""
    agency = party(world, "Sorted agency")
    step(agency, DAMASCUS_TODAY + timedelta(days=2))

    def other(*, org_id: int, membership: Membership, today: date) -> list[DutyItem]:
        return [
            DutyItem(
                key="t:late",
                text="Test item long overdue",
                due=today - timedelta(days=5),
                overdue=True,
            ),
            DutyItem(
                key="t:soon", text="Test item at a time", due=T0 + timedelta(hours=2), overdue=False
            ),
        ]

    monkeypatch.setattr(
        alerts_hooks.duty_items, "receivers", [*alerts_hooks.duty_items.receivers, other]
    )
    listed = due_list(duty_html(clients["coordinator"]))
    order = [
        listed.index(s) for s in ("Test item long overdue", "Test item at a time", "Sorted agency")
    ]
    assert order == sorted(order)
    assert '<bdi dir="ltr">2026-03-11 03:30</bdi>' in listed  # 00:30 UTC on the 11th, in Damascus
    assert '<bdi dir="ltr">2026-03-13</bdi>' in listed


@pytest.mark.parametrize("who", ["coordinator", "org_admin"])
def test_coordinators_see_due_and_overdue_steps_overdue_first(
    world: Any, clients: dict[str, Any], frozen: Any, who: str
) -> None:
    agency = party(world, "Later agency")
    urgent = party(world, "Overdue agency")
    step(agency, DAMASCUS_TODAY + timedelta(days=1))
    step(urgent, DAMASCUS_TODAY - timedelta(days=2))
    step(agency, DAMASCUS_TODAY + timedelta(days=7), words="Far away")
    html = duty_html(clients[who])
    listed = due_list(html)
    assert listed.index("Overdue agency") < listed.index("Later agency")
    assert listed.count("<li") == 2  # the step due in a week is not falling due yet
    assert re.search(r'class="due-overdue">.*?Overdue.*?2026-03-09.*?Overdue agency', listed, re.S)
    assert "Secret follow-up words" not in html and "Far away" not in html
    assert "Fictional Negotiator Name" not in html  # never who took part
    assert "/negotiations/interactions/" in listed
    # Done: the item goes.
    services.close_next_step(
        interaction=Interaction.objects.get(party=urgent), by=member(world, "liaison")
    )
    assert "Overdue agency" not in duty_html(clients[who])


def test_the_poll_redraws_when_an_item_comes(
    world: Any, clients: dict[str, Any], frozen: Any
) -> None:
    html = duty_html(clients["coordinator"])
    assert 'id="due-items"' not in html  # nothing falling due: no section at all
    version = re.search(r"/alerts/live\?v=([0-9a-f-]+)", html)
    assert version and version.group(1)
    live = f"/alerts/live?v={version.group(1)}"
    assert clients["coordinator"].get(live).status_code == 204
    step(party(world, "New agency"), DAMASCUS_TODAY)
    answer = clients["coordinator"].get(live)
    assert answer.status_code == 200 and "New agency" in answer.content.decode()


def test_the_liaison_is_answered_other_roles_never(
    world: Any, clients: dict[str, Any], frozen: Any
) -> None:
    """The duty page is the coordinators' (alerts' own roles); the provider answers a liaison
    too, for any page that gathers it, and nobody who may not see negotiations."""
    step(party(world, "Role agency"), DAMASCUS_TODAY)
    assert panels.duty_items(
        org_id=world.org.pk, membership=member(world, "liaison"), today=DAMASCUS_TODAY
    )
    for who in ("lead", "staff", "observer"):
        assert (
            panels.duty_items(
                org_id=world.org.pk, membership=member(world, who), today=DAMASCUS_TODAY
            )
            == []
        )
    for who in ("liaison", "lead", "staff", "observer"):
        answer = clients[who].get("/alerts/")
        assert answer.status_code in (302, 403)
        assert b"Role agency" not in answer.content


def test_other_organisations_steps_never_show(
    world: Any, clients: dict[str, Any], frozen: Any
) -> None:
    step(party(world, "Own agency"), DAMASCUS_TODAY - timedelta(days=1))
    theirs = Party.objects.create(org=world.other_org, name="Elsewhere agency", kind="icrc")
    Interaction.objects.create(
        org=world.other_org,
        party=theirs,
        at=T0 - timedelta(days=1),
        channel="phone",
        next_step="Their step",
        next_due=DAMASCUS_TODAY - timedelta(days=1),
    )
    mine = duty_html(clients["coordinator"])
    assert "Own agency" in mine and "Elsewhere agency" not in mine
    outsider = duty_html(client_for(world.users["outsider"]))
    assert "Elsewhere agency" in outsider and "Own agency" not in outsider


def test_the_viewers_own_date_decides_what_is_overdue(
    world: Any, clients: dict[str, Any], frozen: Any
) -> None:
    """Due on 10 March: overdue at 01:30 on the 11th in Damascus, due today at 22:30 in UTC."""
    step(party(world, "Zone agency"), date(2026, 3, 10))
    assert 'class="due-overdue"' in due_list(duty_html(clients["coordinator"]))
    DutyProfile.objects.create(
        org=world.org, membership=member(world, "coordinator2"), time_zone="UTC"
    )
    utc = due_list(duty_html(clients["coordinator2"]))
    assert 'class="due-soon"' in utc and "due-overdue" not in utc


def test_arabic_duty_page_isolates_the_dates(world: Any, frozen: Any) -> None:
    agency = party(world, "Arabic agency")
    Party.objects.filter(pk=agency.pk).update(name_ar="الهلال الأحمر")
    step(agency, DAMASCUS_TODAY - timedelta(days=1))
    step(agency, DAMASCUS_TODAY + timedelta(days=1))
    user = world.users["coordinator"]
    user.language = "ar"
    user.save()
    html = duty_html(client_for(user))
    assert 'dir="rtl"' in html
    listed = due_list(html)
    assert "ما يحين موعده" in html and "المفاوضات: خطوة تالية" in listed
    assert "متأخر" in listed and "مستحق" in listed
    assert (
        '<bdi dir="ltr">2026-03-10</bdi>' in listed and '<bdi dir="ltr">2026-03-12</bdi>' in listed
    )
    assert "<bdi>الهلال الأحمر</bdi>" in listed and "Arabic agency" not in listed
    # Every date on the list is isolated left to right.
    bare = re.sub(r'<bdi dir="ltr">[^<]*</bdi>', "", listed)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", bare)
