from typing import Any

import pytest

from salama.people.models import Person
from salama.safety.models import CheckIn, Event


@pytest.mark.django_db
def test_demo_history_is_idempotent_and_covers_every_basis(world: Any) -> None:
    from salama.demo import history, orgs, roster

    history.load()  # no demo organisation yet: nothing, no error
    orgs.load()
    history.load()  # no persons yet: nothing
    assert not CheckIn.objects.exists()
    roster.load()
    history.load()
    count = CheckIn.objects.count()
    history.load()
    assert CheckIn.objects.count() == count > 0
    bases = set(CheckIn.objects.values_list("basis", flat=True))
    assert bases == {"self", "proxy_seen", "proxy_heard", "relayed", "provisional"}
    people = Person.objects.filter(org__slug="demo")
    assert people.filter(is_overdue=True).exists()
    assert people.filter(state="INJURED").exists()
    assert people.filter(decision="MISSING", decision_certainty="reported").count() == 1
    assert people.filter(decision="DETAINED").count() == 1
    event = Event.objects.get(org__slug="demo", closed_at=None)
    assert [a.name_en for a in event.areas.all()] == ["Al-Sukkari"]
