"""U1 item 5: team, area, facility and party names in the reader's language where the
organisation gives them, by one rule (salama/lib/names.py): the Arabic name on Arabic pages,
the English one otherwise and where no Arabic name is given."""

from typing import Any

import pytest
from django.template import Context, Template
from django.utils import translation

from salama.lib.names import local_name, local_value
from salama.people.models import Area, Facility, Person, Team
from tests.conftest import client_for


def test_the_rule_and_its_fallback() -> None:
    area = Area(name_en="Al-Shaar", name_ar="الشعار")
    bare = Facility(name="Field Hospital M1", name_ar="")
    assert local_name(area, "ar") == "الشعار" and local_name(area, "en") == "Al-Shaar"
    assert local_name(bare, "ar") == "Field Hospital M1"  # no Arabic name given
    assert local_value({"area__name_en": "A", "area__name_ar": "ا"}, "area__", "ar") == "ا"
    assert local_value({"facility__name": "F", "facility__name_ar": ""}, "facility__", "ar") == "F"
    assert local_name({"name": "N", "name_ar": "ن"}, "ar") == "ن"
    with translation.override("ar"):
        assert str(area) == "الشعار" and str(Team(name="Alpha", name_ar="ألفا")) == "ألفا"
        # The builtin filter, in every template without a {% load %}.
        assert Template("{{ a|local_name }}").render(Context({"a": area})) == "الشعار"
    with translation.override("en"):
        assert str(area) == "Al-Shaar"


@pytest.mark.django_db
def test_a_person_page_names_their_team_area_and_facility_in_the_readers_language(
    world: Any,
) -> None:
    org = world.org
    area = Area.objects.create(org=org, name_en="Al-Shaar", name_ar="الشعار")
    team = Team.objects.create(org=org, name="Team Alpha", name_ar="فريق ألفا")
    facility = Facility.objects.create(
        org=org, name="Field Hospital M1", name_ar="المشفى الميداني م١", kind="clinic", area=area
    )
    person = Person.objects.create(
        org=org, codename="K7", role="nurse", area=area, team=team, home_facility=facility
    )
    user = world.users["coordinator"]
    for language, shown, hidden in (
        ("ar", ["الشعار", "فريق ألفا", "المشفى الميداني م١"], ["Al-Shaar", "Team Alpha"]),
        ("en", ["Al-Shaar", "Team Alpha", "Field Hospital M1"], ["الشعار", "فريق ألفا"]),
    ):
        user.language = language
        user.save(update_fields=["language"])
        client = client_for(user)
        for url in (f"/people/{person.pk}/", "/people/"):
            html = client.get(url).content.decode()
            for name in shown:
                assert name in html, (language, url, name)
            for name in hidden:
                assert name not in html, (language, url, name)
