"""A small roster for the test organisation, shared by every app's tests through the `roster`
fixture in tests/conftest.py. Fictional names and numbers only."""

from dataclasses import dataclass, field
from typing import Any

from salama.people import services
from salama.people.models import Area, ContactPoint, Facility, Person, Team
from salama.people.services import ContactSpec

# Real names and numbers of the small roster, kept here so privacy tests can look for them.
NAMES = {
    "K10": "Samira Testwoman",
    "K11": "Omar Testman",
    "K12": "Layla Fictional",
    "K13": "Hadi Madeup",
    "K20": "Rania Inventa",
    "K21": "Yusuf Notreal",
}
NUMBERS = {
    "K10": ["+963944000110"],
    "K11": ["+963944000111", "+963999000111"],
    "K12": ["+963944000199"],  # the ward phone, shared with K13
    "K13": ["+963944000199"],
    "K20": ["+963944000120"],
    "K21": ["+963944000121"],
}
COORDINATOR_NUMBER = "+963944000900"


@dataclass
class Roster:
    teams: dict[str, Team]
    areas: dict[str, Area]
    facility: Facility
    persons: dict[str, Person]
    ward_phone: ContactPoint
    coordinator_phone: ContactPoint
    names: dict[str, str] = field(default_factory=lambda: dict(NAMES))
    numbers: dict[str, list[str]] = field(default_factory=lambda: dict(NUMBERS))


def build_roster(world: Any) -> Roster:
    org = world.org
    memberships = {
        name: user.memberships.get(org=org)
        for name, user in world.users.items()
        if name != "outsider"
    }
    areas = {
        "sukkari": services.save_area(
            org=org,
            name_en="Al-Sukkari",
            name_ar="السكري",
            aliases="Sukkari\nسكري",
            latitude=36.1805,
            longitude=37.1575,
        ),
        "shaar": services.save_area(
            org=org,
            name_en="Al-Shaar",
            name_ar="الشعار",
            aliases="Shaar\nشعار",
            latitude=36.2075,
            longitude=37.1760,
        ),
    }
    facility = services.save_facility(
        org=org,
        name="Test Field Hospital",
        kind="field_hospital",
        area=areas["sukkari"],
        functionality="partial",
    )
    teams = {
        "north": services.save_team(org=org, name="North"),
        "south": services.save_team(org=org, name="South"),
    }
    team_of = {
        "K10": "north",
        "K11": "north",
        "K12": "north",
        "K13": "north",
        "K20": "south",
        "K21": "south",
    }
    persons = {}
    for codename, name in NAMES.items():
        persons[codename] = services.create_person(
            org=org,
            codename=codename,
            role="nurse" if codename in ("K12", "K13", "K21") else "doctor",
            team=teams[team_of[codename]],
            area=areas["sukkari" if team_of[codename] == "north" else "shaar"],
            home_facility=facility,
            real_name=name,
            contacts=[
                ContactSpec(value=n, is_shared=n == "+963944000199") for n in NUMBERS[codename]
            ],
        )
    persons["K10"].membership = memberships["lead"]
    persons["K10"].save(update_fields=["membership"])
    persons["K12"].membership = memberships["staff"]
    persons["K12"].save(update_fields=["membership"])
    services.save_team(
        org=org,
        name="North",
        team=teams["north"],
        leads=[persons["K10"]],
        deputies=[persons["K11"]],
    )
    services.save_team(org=org, name="South", team=teams["south"], leads=[persons["K20"]])
    coordinator_phone = services.add_contact_point(
        org=org,
        kind="sms",
        value=COORDINATOR_NUMBER,
        membership=memberships["coordinator"],
        label="on-duty phone",
    )
    ward = services.find_contact_point(org=org, kind="sms", value="+963944000199")
    assert ward is not None
    return Roster(
        teams=teams,
        areas=areas,
        facility=facility,
        persons=persons,
        ward_phone=ward,
        coordinator_phone=coordinator_phone,
    )
