"""After every roster write path (services, pages, CSV import, API, reveal, enrolment, demo),
no table holds a real name, a number (E.164, national or digits only) or the marker written into
every personal free-text field (real name, specialty, exact location, contact label), and no log
line does either. The columns are found by introspecting the database schema; every column is
scanned as text (which covers text, JSON and binary columns and anything else)."""

import json
import logging
from typing import Any

import phonenumbers
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from salama.demo import orgs
from salama.demo import roster as demo_roster
from salama.people import services
from salama.people.services import ContactSpec
from tests.people.test_pages import new_person_post

MARKER = "QX7MARKERZQ"


def number_forms(e164: str) -> set[str]:
    parsed = phonenumbers.parse(e164)
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return {e164, e164[1:], national, national.replace(" ", ""), national.replace(" ", "-")}


def scan_database() -> list[str]:
    """Every (table, column, value) as text."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [
                c.name for c in connection.introspection.get_table_description(cursor, table)
            ]
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    if isinstance(value, memoryview | bytes):
                        text = bytes(value).decode("latin-1")
                    elif isinstance(value, dict | list):
                        text = json.dumps(value, ensure_ascii=False)
                    else:
                        text = str(value)
                    found.append(f"{table}.{column}={text}")
    return found


def test_no_table_or_log_holds_a_name_number_or_marker(
    world: Any, clients: Any, roster: Any, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    org = world.org
    org.settings["collect_exact_location"] = True
    org.save()
    coordinator = clients["coordinator"]
    names = list(roster.names.values())
    numbers = [n for ns in roster.numbers.values() for n in ns] + ["+963944000900"]

    # Services.
    person = services.create_person(
        org=org,
        codename="S1",
        role="doctor",
        real_name=f"Service {MARKER}",
        specialty=MARKER,
        exact_location=f"36.2,37.1 {MARKER}",
        contacts=[ContactSpec(value="+963944777001", label=MARKER, operator="MTN")],
    )
    services.update_person(
        person=person,
        real_name=f"Updated {MARKER}",
        contacts=[ContactSpec(value="0944 777 002", label=MARKER)],
    )
    services.add_contact_point(
        org=org, kind="email", value="someone.fictional@example.org", persons=[person], label=MARKER
    )
    numbers += ["+963944777001", "+963944777002"]
    # Pages: create and edit with every personal free-text field.
    data = new_person_post(
        "P1", real_name=f"Page {MARKER}", specialty=MARKER, exact_location=f"36.1,37.2 {MARKER}"
    )
    data["new-0-label"] = MARKER
    data["new-1-label"] = MARKER
    assert coordinator.post("/people/new/", data).status_code == 302
    numbers += ["+963944321001", "+963944321002"]
    created = type(person).objects.get(org=org, codename="P1")
    assert created.real_name == f"Page {MARKER}"
    edit = {
        "codename": "P1",
        "role": "nurse",
        "language": "ar",
        "dependants": "1",
        "real_name": f"Edited {MARKER}",
        "specialty": MARKER,
        "exact_location": f"36.3,37.3 {MARKER}",
        "cp-TOTAL_FORMS": "1",
        "cp-INITIAL_FORMS": "1",
        "cp-MIN_NUM_FORMS": "0",
        "cp-MAX_NUM_FORMS": "1000",
        "cp-0-id": created.contact_points.order_by("pk").first().pk,
        "cp-0-state": "active",
        "cp-0-label": MARKER,
        "new-TOTAL_FORMS": "1",
        "new-INITIAL_FORMS": "0",
        "new-MIN_NUM_FORMS": "0",
        "new-MAX_NUM_FORMS": "10",
        "new-0-kind": "sms",
        "new-0-value": "0944 321 003",
        "new-0-label": MARKER,
    }
    assert coordinator.post(f"/people/{created.pk}/edit/", edit).status_code == 302
    numbers.append("+963944321003")
    html = coordinator.get(f"/people/{created.pk}/edit/").content.decode()
    assert f"Edited {MARKER}" not in html  # the edit form never shows the real name
    # CSV import page (with real names), a failing import and a good one.
    header = "codename,role,team,facility,area,language,phones,shared,real_name\n"
    bad = header + f"C1,nurse,North,,,ar,0944 888 001;+963 944 888 002,no,Csv {MARKER}\n"
    bad += f"C2,nurse,Nowhere,,,ar,0944 888 003,no,Csv {MARKER}\n"
    upload = SimpleUploadedFile("r.csv", bad.encode())
    b"".join(coordinator.post("/people/import/", {"file": upload}).streaming_content)
    good = bad.replace("Nowhere", "South")
    upload = SimpleUploadedFile("r.csv", good.encode())
    body = b"".join(coordinator.post("/people/import/", {"file": upload}).streaming_content)
    assert b"Imported 2 persons" in body
    numbers += ["+963944888001", "+963944888002", "+963944888003"]
    # API reads, reveal, enrolment.
    assert coordinator.get("/api/persons").status_code == 200
    assert coordinator.get(f"/api/persons/{created.pk}").status_code == 200
    response = coordinator.post(f"/people/{created.pk}/reveal/", {"field": "real_name"})
    assert MARKER in response.content.decode()
    point = created.contact_points.order_by("pk").first()
    coordinator.post(f"/people/{created.pk}/reveal/", {"field": f"contact:{point.pk}"})
    coordinator.post(f"/people/{created.pk}/enrol/", {"how": "voice", "test_message": "on"})
    # Teams, areas, facilities pages.
    coordinator.post("/people/teams/new/", {"name": "East", "leads": [created.pk]})
    coordinator.post(
        "/people/areas/new/", {"name_en": "Al-Kalasa", "name_ar": "الكلاسة", "risk": "low"}
    )
    # The demo roster.
    orgs.load()
    demo_roster.load()
    for spec in demo_roster.roster_plan():
        names.append(spec.real_name.replace(" (fictional)", ""))
        numbers += spec.numbers

    needles = {MARKER, "someone.fictional@example.org", *names}
    for number in numbers:
        needles |= number_forms(number)
    cells = scan_database()
    assert len(cells) > 1000 and any(c.startswith("people_person.real_name=v1:") for c in cells)
    leaks = [(needle, cell[:120]) for cell in cells for needle in needles if needle in cell]
    assert not leaks, leaks[:10]
    logged = "\n".join(r.getMessage() + json.dumps(r.__dict__, default=str) for r in caplog.records)
    assert not [n for n in needles if n in logged]
