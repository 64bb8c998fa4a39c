"""The demo roster: a fictional medical relief union in eastern Aleppo (30 doctors, 70 nurses,
4 drivers in 4 teams), the 8 neighbourhoods with their English and Arabic names, other spellings
and approximate centres, 6 fictional facilities, shared ward phones and people with two
numbers; and a small roster for the second organisation. Every name and number is invented
(numbers are +963 94x/99x with made-up digits). Loading twice duplicates nothing."""

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from salama.accounts.models import Membership, Organisation
from salama.people import services
from salama.people.models import Area, Facility, LocalResponder, Person, Team
from salama.people.services import ContactSpec

# name_en, name_ar, other spellings (both scripts), latitude, longitude, risk.
# Centres from shared/data/eastern-aleppo-areas.geojson (approximate, about 300 m).
AREAS = [
    (
        "Al-Shaar",
        "الشعار",
        ["Shaar", "Sha'ar", "al Shaar", "شعار", "الشعّار"],
        36.2075,
        37.1760,
        "high",
    ),
    (
        "Al-Sukkari",
        "السكري",
        ["Sukkari", "Sukari", "al Sukkari", "سكري", "السكّري"],
        36.1805,
        37.1575,
        "extreme",
    ),
    (
        "Masaken Hanano",
        "مساكن هنانو",
        ["Hanano", "Masakin Hanano", "هنانو", "مساكن هنانوا"],
        36.2230,
        37.1790,
        "high",
    ),
    (
        "Bustan al-Qasr",
        "بستان القصر",
        ["Bustan al Qasr", "Bostan al-Qasr", "بستان القصر", "البستان"],
        36.1930,
        37.1385,
        "high",
    ),
    (
        "Al-Kalasa",
        "الكلاسة",
        ["Kalasa", "Kallaseh", "al Kalaseh", "كلاسة", "الكلاسه"],
        36.1895,
        37.1440,
        "medium",
    ),
    (
        "Al-Ansari",
        "الأنصاري",
        ["Ansari", "al Ansari", "انصاري", "الانصاري"],
        36.1775,
        37.1505,
        "medium",
    ),
    (
        "Tariq al-Bab",
        "طريق الباب",
        ["Tareeq al-Bab", "Tariq al Bab", "طريق الباب", "طريق باب"],
        36.2040,
        37.1855,
        "extreme",
    ),
    (
        "Al-Mashhad",
        "المشهد",
        ["Mashhad", "al Mashhad", "مشهد", "المشهد"],
        36.1835,
        37.1515,
        "medium",
    ),
]

# Fictional facilities: name, Arabic name, kind, area, latitude, longitude, functionality.
FACILITIES = [
    (
        "Field Hospital M1",
        "المشفى الميداني م١",
        "field_hospital",
        "Al-Shaar",
        36.2068,
        37.1748,
        "partial",
    ),
    (
        "Field Hospital M2",
        "المشفى الميداني م٢",
        "field_hospital",
        "Al-Sukkari",
        36.1812,
        37.1582,
        "full",
    ),
    ("Hanano Clinic", "عيادة هنانو", "clinic", "Masaken Hanano", 36.2221, 37.1801, "partial"),
    (
        "Kalasa Children's Clinic",
        "عيادة أطفال الكلاسة",
        "clinic",
        "Al-Kalasa",
        36.1901,
        37.1436,
        "none",
    ),
    (
        "Ambulance Point East",
        "نقطة إسعاف الشرق",
        "ambulance_point",
        "Tariq al-Bab",
        36.2046,
        37.1862,
        "full",
    ),
    ("Medical Store 3", "المستودع الطبي ٣", "warehouse", "Al-Ansari", 36.1779, 37.1512, "unknown"),
]

TEAMS = ["Shaar team", "Sukkari team", "Hanano team", "Mashhad team"]
TEAMS_AR = ["فريق الشعار", "فريق السكري", "فريق هنانو", "فريق المشهد"]
# Each team's facility and usual area.
TEAM_PLACES = [
    ("Field Hospital M1", "Al-Shaar"),
    ("Field Hospital M2", "Al-Sukkari"),
    ("Hanano Clinic", "Masaken Hanano"),
    ("Kalasa Children's Clinic", "Al-Mashhad"),
]

GIVEN = [
    "Amal",
    "Bilal",
    "Dalia",
    "Fadi",
    "Ghada",
    "Hasan",
    "Iman",
    "Jamil",
    "Karim",
    "Lina",
    "Maher",
    "Nour",
    "Rami",
    "Salma",
    "Tarek",
    "Wafa",
    "Yara",
    "Ziad",
    "Hiba",
    "Samer",
]
FAMILY = [
    "Qassab",
    "Halabi",
    "Nahhas",
    "Sabbagh",
    "Khayyat",
    "Jabban",
    "Dabbagh",
    "Tahhan",
    "Rassam",
    "Najjar",
    "Fakhouri",
    "Hajjar",
    "Zayyat",
]
SPECIALTIES = ["surgery", "anaesthesia", "paediatrics", "emergency medicine", "orthopaedics"]


def fictional_name(index: int) -> str:
    return f"{GIVEN[index % len(GIVEN)]} {FAMILY[(index * 7) % len(FAMILY)]} (fictional)"


def demo_number(index: int, second: bool = False) -> str:
    return f"+963{'99' if second else '94'}{index:07d}"[:13]


def ward_number(team: int) -> str:
    return f"+96395{9000000 + team:07d}"


@dataclass
class DemoPerson:
    codename: str
    role: str
    team: int
    real_name: str
    numbers: list[str]
    shared: bool = False
    specialty: str = ""


def roster_plan() -> list[DemoPerson]:
    """Every demo person of the main organisation."""
    people: list[DemoPerson] = []
    roles = [("D", "doctor", 30), ("N", "nurse", 70), ("V", "driver", 4)]
    index = 0
    for letter, role, count in roles:
        for n in range(1, count + 1):
            index += 1
            team = (n - 1) % 4
            numbers = [demo_number(1000 + index)]
            if index % 6 == 0:
                numbers.append(demo_number(2000 + index, second=True))
            shared = role == "nurse" and n % 9 == 0
            if shared:
                numbers = [ward_number((n // 9) % 3)]
            people.append(
                DemoPerson(
                    codename=f"{letter}{n:02d}",
                    role=role,
                    team=team,
                    real_name=fictional_name(index),
                    specialty=SPECIALTIES[n % len(SPECIALTIES)] if role == "doctor" else "",
                    numbers=numbers,
                    shared=shared,
                )
            )
    return people


def _areas(org: Organisation) -> dict[str, Area]:
    found = {}
    for name_en, name_ar, aliases, lat, lon, risk in AREAS:
        area = Area.objects.for_org(org).filter(name_en=name_en).first()
        found[name_en] = services.save_area(
            org=org,
            area=area,
            name_en=name_en,
            name_ar=name_ar,
            aliases="\n".join(aliases),
            latitude=lat,
            longitude=lon,
            risk=risk,
        )
    return found


def _facilities(org: Organisation, areas: dict[str, Area]) -> dict[str, Facility]:
    found = {}
    for name, name_ar, kind, area, lat, lon, functionality in FACILITIES:
        facility = Facility.objects.for_org(org).filter(name=name).first()
        if facility is None:
            facility = services.save_facility(
                org=org,
                name=name,
                name_ar=name_ar,
                kind=kind,
                area=areas[area],
                latitude=lat,
                longitude=lon,
                functionality=functionality,
            )
        found[name] = facility
    return found


def _person(org: Organisation, spec: DemoPerson, **fields: Any) -> Person:
    person = Person.objects.for_org(org).filter(codename=spec.codename).first()
    label = "ward phone" if spec.shared else ""
    contacts = [ContactSpec(value=n, is_shared=spec.shared, label=label) for n in spec.numbers]
    if person is None:
        return services.create_person(
            org=org,
            codename=spec.codename,
            role=spec.role,
            real_name=spec.real_name,
            specialty=spec.specialty,
            contacts=contacts,
            **fields,
        )
    for contact in contacts:
        services.add_contact_point(
            org=org,
            kind="sms",
            value=contact.value,
            persons=[person],
            is_shared=contact.is_shared,
            label=contact.label,
        )
    return person


def _link(org: Organisation, username: str, person: Person) -> None:
    membership = Membership.objects.for_org(org).filter(user__username=username).first()
    if membership is not None and person.membership_id is None:
        Person.objects.for_org(org).filter(membership=membership).update(membership=None)
        person.membership = membership
        person.save(update_fields=["membership"])


def _main(org: Organisation) -> None:
    areas = _areas(org)
    facilities = _facilities(org, areas)
    teams = [
        Team.objects.for_org(org).filter(name=name).first()
        or services.save_team(org=org, name=name)
        for name in TEAMS
    ]
    persons: dict[str, Person] = {}
    for spec in roster_plan():
        facility, area = TEAM_PLACES[spec.team]
        persons[spec.codename] = _person(
            org,
            spec,
            team=teams[spec.team],
            home_facility=facilities[facility],
            area=areas[area],
            language="ar",
        )
    # Leads: one doctor per team; deputies: one nurse per team (team 0 has two deputies).
    for number, team in enumerate(teams):
        deputies = [persons[f"N{number + 1:02d}"]]
        if number == 0:
            deputies.append(persons["N05"])
        services.save_team(
            org=org,
            name=team.name,
            name_ar=TEAMS_AR[number],
            team=team,
            leads=[persons[f"D{number + 1:02d}"]],
            deputies=deputies,
        )
    _link(org, "lead", persons["D01"])
    _link(org, "staff", persons["N09"])
    _responders(org, areas, persons)
    for index, username in enumerate(("coordinator", "coordinator2")):
        membership = Membership.objects.for_org(org).filter(user__username=username).first()
        if membership is not None:
            services.add_contact_point(
                org=org,
                kind="sms",
                value=f"+96393{8000000 + index:07d}",
                membership=membership,
                label="duty phone",
            )


def _responders(org: Organisation, areas: dict[str, Area], persons: dict[str, Person]) -> None:
    """Local responders (they get their area's life-safety alerts): a nurse of the first team
    for its area, and an ambulance point's phone, nobody's own, for the second team's area."""
    if LocalResponder.objects.for_org(org).exists():
        return
    first, second = TEAM_PLACES[0][1], TEAM_PLACES[1][1]
    services.add_local_responder(org=org, area=areas[first], person=persons["N03"])
    services.add_local_responder(
        org=org, area=areas[second], number="+963938100000", label="ambulance point"
    )


def _second(org: Organisation) -> None:
    area = Area.objects.for_org(org).filter(name_en="Al-Kalasa").first()
    area = services.save_area(
        org=org,
        area=area,
        name_en="Al-Kalasa",
        name_ar="الكلاسة",
        aliases="Kalasa\nكلاسة",
        latitude=36.1895,
        longitude=37.1440,
    )
    team = Team.objects.for_org(org).filter(name="Clinic team").first() or services.save_team(
        org=org, name="Clinic team"
    )
    lead = None
    for n in range(1, 6):
        spec = DemoPerson(
            codename=f"C{n}",
            role="doctor" if n < 3 else "nurse",
            team=0,
            real_name=fictional_name(500 + n),
            numbers=[demo_number(3000 + n)],
        )
        person = _person(org, spec, team=team, area=area, language="en")
        lead = lead or person
    services.save_team(org=org, name=team.name, team=team, leads=[lead] if lead else [])


@transaction.atomic
def load() -> None:
    main = Organisation.objects.filter(slug="demo").first()
    if main is not None:
        _main(main)
    other = Organisation.objects.filter(slug="demo-clinics").first()
    if other is not None:
        _second(other)
