"""Safety fixtures: a small team in the test organisation, created directly with the ORM."""

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from salama.accounts.models import Membership
from salama.people.models import Area, Person, Team, TeamLead

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def make_person(org: Any, codename: str, **extra: Any) -> Person:
    extra.setdefault("role", "nurse")
    return Person.objects.create(org=org, codename=codename, **extra)


class Team1:
    def __init__(self, world: Any) -> None:
        org = world.org
        self.org = org
        self.sukkari = Area.objects.create(org=org, name_en="Al-Sukkari", name_ar="السكري")
        self.shaar = Area.objects.create(org=org, name_en="Al-Shaar", name_ar="الشعار")
        self.team = Team.objects.create(org=org, name="North")
        self.other_team = Team.objects.create(org=org, name="South")
        lead_membership = Membership.objects.get(user=world.users["lead"], org=org)
        staff_membership = Membership.objects.get(user=world.users["staff"], org=org)
        self.lead = make_person(
            org, "L1", team=self.team, membership=lead_membership, area=self.sukkari
        )
        TeamLead.objects.create(org=org, team=self.team, person=self.lead)
        self.staff = make_person(
            org, "K10", team=self.team, membership=staff_membership, area=self.sukkari
        )
        self.k12 = make_person(org, "K12", team=self.team, area=self.sukkari)
        self.k14 = make_person(org, "K14", team=self.team, area=self.shaar)
        self.k27 = make_person(org, "K27", team=self.team, area=self.shaar)
        self.s1 = make_person(org, "S1", team=self.other_team, area=self.shaar)


@pytest.fixture
def team(world: Any) -> Team1:
    return Team1(world)
