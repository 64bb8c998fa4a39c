from typing import Any

from salama.accounts.models import Organisation
from salama.demo import orgs, roster
from salama.people.models import (
    Area,
    ContactPoint,
    Facility,
    LocalResponder,
    Person,
    Team,
    TeamLead,
)
from salama.people.services import coordinators_to_tell, find_contact_point, leads_for


def _counts() -> tuple[int, ...]:
    models = (Person, ContactPoint, Team, TeamLead, Area, Facility, LocalResponder)
    return tuple(m.objects.count() for m in models)


def test_demo_roster_loads_once_and_twice_duplicates_nothing(db: None) -> None:
    orgs.load()
    roster.load()
    first = _counts()
    roster.load()
    assert _counts() == first
    demo = Organisation.objects.get(slug="demo")
    people = Person.objects.for_org(demo)
    assert people.filter(role="doctor").count() == 30
    assert people.filter(role="nurse").count() == 70
    assert people.filter(role="driver").count() == 4
    assert Team.objects.for_org(demo).count() == 4
    assert Facility.objects.for_org(demo).count() == 6
    areas = Area.objects.for_org(demo)
    assert areas.count() == 8
    sukkari = areas.get(name_en="Al-Sukkari")
    assert sukkari.name_ar == "السكري" and "Sukkari" in sukkari.alias_list()
    assert 36.1 < sukkari.latitude < 36.3 and 37.1 < sukkari.longitude < 37.2
    shared = ContactPoint.objects.for_org(demo).filter(is_shared=True)
    assert shared.exists() and all(p.persons.count() > 1 for p in shared)
    assert people.filter(contact_points__isnull=False).distinct().count() == 104
    two = [p for p in people if p.contact_points.count() == 2]
    assert two
    lead = people.get(membership__user__username="lead")
    assert TeamLead.objects.filter(person=lead, is_deputy=False).exists()
    staff = people.get(membership__user__username="staff")
    assert lead in leads_for(staff) and coordinators_to_tell(staff) == []
    for name in ("coordinator", "coordinator2"):
        assert ContactPoint.objects.filter(membership__user__username=name, kind="sms").exists()
    other = Organisation.objects.get(slug="demo-clinics")
    assert Person.objects.for_org(other).count() == 5
    assert all("(fictional)" in p.real_name for p in people)
    number = roster.demo_number(1001)
    assert find_contact_point(org=demo, kind="sms", value=number) is not None
    # Local responders: a nurse for Al-Shaar, an ambulance point's phone for Al-Sukkari, each
    # reached by that area's life-safety alerts.
    from salama.alerts.routing import responders_of

    shaar = areas.get(name_en="Al-Shaar")
    assert len(responders_of(shaar.pk)) == 1 and len(responders_of(sukkari.pk)) == 1
    assert responders_of(areas.get(name_en="Al-Mashhad").pk) == []


def test_demo_numbers_are_valid(db: Any) -> None:
    from salama.people.services import normalise_number

    for spec in roster.roster_plan():
        for number in spec.numbers:
            assert normalise_number(number) == number
