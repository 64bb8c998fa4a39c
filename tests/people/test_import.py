import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from salama.people import importer
from salama.people.models import ContactPoint, ContactState, Person

HEADER = "codename,role,team,facility,area,language,phones,shared,real_name\n"


def _upload(client: Any, text: str) -> str:
    upload = SimpleUploadedFile("roster.csv", text.encode(), content_type="text/csv")
    response = client.post("/people/import/", {"file": upload})
    assert response.status_code == 200
    assert response.streaming
    return b"".join(response.streaming_content).decode()


def test_one_bad_row_imports_nothing_and_names_row_and_column(
    coordinator: Any, roster: Any
) -> None:
    text = HEADER + (
        "A1,nurse,North,Test Field Hospital,Al-Sukkari,ar,0944 100 001,no,Fictional One\n"
        "A2,doctor,Nowhere Team,,,en,0944 100 002,no,\n"
        "A3,nurse,South,,شعار,ar,0944 100 003;12,yes,\n"
        "K10,nurse,,,,ar,0944 100 004,no,\n"
    )
    before = Person.objects.count(), ContactPoint.objects.count()
    html = _upload(coordinator, text)
    assert 'id="import-errors" class="stacked"' in html  # a list on a phone
    html = re.sub(r' data-label="[^"]*"', "", html)  # each cell names its column on a phone
    assert (Person.objects.count(), ContactPoint.objects.count()) == before
    assert "Nothing was imported" in html
    assert '<td>3</td><td class="ltr">team</td><td>Unknown team: Nowhere Team</td>' in html
    assert '<td>4</td><td class="ltr">phones</td><td>Number 2: ' in html
    assert '<td>5</td><td class="ltr">codename</td>' in html
    assert "Fictional One" not in html and ">12<" not in html


def test_errors_are_reported_in_the_users_language(
    coordinator: Any, world: Any, roster: Any
) -> None:
    world.users["coordinator"].language = "ar"
    world.users["coordinator"].save()
    html = _upload(coordinator, HEADER + "B1,nurse,Nowhere,,,ar,0944 100 001,no,\n")
    assert "لم يُستورد شيء" in html and "فريق غير معروف" in html


def test_a_good_file_of_a_thousand_rows_imports_with_progress(
    coordinator: Any, roster: Any, world: Any
) -> None:
    rows = [
        f"M{i:04d},{'nurse' if i % 3 else 'doctor'},{'North' if i % 2 else 'South'},,"
        f"{'Sukkari' if i % 2 else 'الشعار'},ar,+963 944 5{i:05d}"
        + (f";0999 5{i:05d}" if i % 10 == 0 else "")
        + f",{'yes' if i % 50 == 0 else 'no'},\n"
        for i in range(1000)
    ]
    html = _upload(coordinator, HEADER + "".join(rows))
    assert "Imported 1000 persons" in html
    for done in range(100, 1001, 100):
        assert f"Checked {done} of 1000 rows" in html
        assert f"Saved {done} of 1000 rows" in html
    people = Person.objects.filter(org=world.org, codename__startswith="M")
    assert people.count() == 1000
    assert not people.filter(verified_at__isnull=False).exists()
    imported = ContactPoint.objects.filter(persons__in=people).distinct()
    assert imported.count() == 1100
    assert set(imported.values_list("state", flat=True)) == {ContactState.PROVISIONAL}
    assert people.get(codename="M0050").contact_points.filter(is_shared=True).count() == 2


def test_a_number_already_on_the_roster_is_shared_not_duplicated(world: Any, roster: Any) -> None:
    result = importer.import_roster(
        org=world.org, text=HEADER + "W1,nurse,North,,,ar,+963944000110,no,\n"
    )
    assert result.created == 1 and not result.errors
    point = roster.persons["K10"].contact_points.get()
    assert point.persons.count() == 2 and point.is_shared
    assert point.state == ContactState.ACTIVE  # an import never lowers an active number


def test_missing_columns_and_empty_files(world: Any) -> None:
    result = importer.import_roster(org=world.org, text="codename,role\nX1,nurse\n")
    assert {e.column for e in result.errors} >= {"team", "phones", "shared"}
    assert importer.import_roster(org=world.org, text="").errors[0].row == 1
    arabic = "الاسم الرمزي,الدور,الفريق,المنشأة,المنطقة,اللغة,الأرقام,مشترك\n"
    result = importer.import_roster(org=world.org, text=arabic + "Z1,ممرضة,,,,ar,0944 300 001,لا\n")
    assert result.created == 1, result.errors


def test_import_page_is_for_coordinators(clients: Any, roster: Any) -> None:
    upload = SimpleUploadedFile("r.csv", (HEADER + "Q1,nurse,,,,ar,0944 100 001,no,\n").encode())
    assert clients["lead"].post("/people/import/", {"file": upload}).status_code == 403
    assert not Person.objects.filter(codename="Q1").exists()


def test_a_file_with_old_mac_line_ends_imports_with_its_row_numbers(world: Any) -> None:
    # Lone CRs end the lines (old Mac, some spreadsheet exports): read as lines, not a crash.
    text = HEADER + "C1,nurse,,,,ar,0944 100 201,no,\nC2,nurse,,,,ar,0944 100 202,no,\n"
    result = importer.import_roster(org=world.org, text=text.replace("\n", "\r"))
    assert result.created == 2, result.errors
    bad = HEADER + "C3,nurse,,,,ar,0944 100 203,no,\nC4,pilot,,,,ar,0944 100 204,no,\n"
    result = importer.import_roster(org=world.org, text=bad.replace("\n", "\r"))
    assert [(e.row, e.column) for e in result.errors] == [(3, "role")]
    assert not Person.objects.filter(codename="C3").exists()


def test_a_file_the_csv_reader_cannot_read_is_reported_not_raised(world: Any) -> None:
    # A quote left open makes the rest of a large file one cell, over the csv module's limit.
    text = HEADER + 'D1,nurse,,,,ar,"0944 100 301,no,\n' + "D2,nurse,,,,ar,0944,no,\n" * 8000
    result = importer.import_roster(org=world.org, text=text)
    assert result.created == 0 and len(result.errors) == 1
    assert result.errors[0].row >= 2 and "quotes" in result.errors[0].message
    assert not Person.objects.filter(codename="D1").exists()
