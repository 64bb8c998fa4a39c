"""CSV import of a roster: every row or none.

The file is read twice over in memory, never stored: first every row is checked (bad number,
unknown team, duplicate codename, ...) and each problem is reported with its row (the line
number in the file, the header being row 1) and column; only when no row has a problem are the
persons created, all in one transaction. Imported numbers are provisional until the person is
enrolled (services.record_enrolment).

`run_import` is a generator of Progress events so a page can stream its progress while it
works; `import_roster` runs it to the end.
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salama.accounts.models import Organisation
from salama.people import services
from salama.people.models import Area, ContactState, Facility, Person, PersonRole, Team
from salama.people.services import ContactSpec

MAX_ROWS = 5000
PROGRESS_EVERY = 100
COLUMNS = ("codename", "role", "team", "facility", "area", "language", "phones", "shared")
OPTIONAL = ("real_name",)
# Header spellings accepted for each column, in English and Arabic.
HEADERS = {
    "codename": ("codename", "code", "الاسم الرمزي", "الرمز"),
    "role": ("role", "الدور", "الوظيفة"),
    "team": ("team", "الفريق"),
    "facility": ("facility", "المنشأة", "المرفق"),
    "area": ("area", "المنطقة"),
    "language": ("language", "اللغة"),
    "phones": ("phones", "phone", "phone numbers", "numbers", "الأرقام", "الهاتف", "أرقام الهاتف"),
    "shared": ("shared", "shared flag", "shared phone", "مشترك", "هاتف مشترك"),
    "real_name": ("real_name", "real name", "name", "الاسم الحقيقي", "الاسم"),
}
ROLE_WORDS = {
    "طبيب": "doctor",
    "طبيبة": "doctor",
    "ممرض": "nurse",
    "ممرضة": "nurse",
    "مسعف": "paramedic",
    "سائق": "driver",
    "آخر": "other",
}
LANGUAGE_WORDS = {"": "ar", "ar": "ar", "arabic": "ar", "العربية": "ar", "عربي": "ar"}
LANGUAGE_WORDS |= {"en": "en", "english": "en", "الإنكليزية": "en", "الإنجليزية": "en"}
YES = {"yes", "y", "true", "1", "نعم", "x"}
NO = {"", "no", "n", "false", "0", "لا"}


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class Progress:
    """stage: "checked" or "saved" (done rows of total), then "failed" (errors) or "done"."""

    stage: str
    done: int = 0
    total: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass
class ImportResult:
    created: int
    errors: list[RowError]


def _header_map(header: list[str]) -> tuple[dict[str, int], list[RowError]]:
    spelled = {s.casefold(): name for name, spellings in HEADERS.items() for s in spellings}
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        name = spelled.get(title.strip().casefold())
        if name and name not in found:
            found[name] = index
    errors = [
        RowError(1, column, _("This column is missing."))
        for column in COLUMNS
        if column not in found
    ]
    return found, errors


class _Lookups:
    def __init__(self, org: Organisation) -> None:
        self.teams = Team.objects.for_org(org)
        self.areas = Area.objects.for_org(org)
        self.facilities = Facility.objects.for_org(org)
        self.taken = set(Person.objects.for_org(org).values_list("codename", flat=True))
        self.cache: dict[tuple[str, str], Any] = {}

    def find(self, kind: str, text: str) -> Any:
        key = (kind, text.strip().casefold())
        if key not in self.cache:
            if kind == "team":
                found = services.match_named(self.teams, text, "name")
            elif kind == "area":
                found = services.match_named(self.areas, text, "name_en", "name_ar")
            else:
                found = services.match_named(self.facilities, text, "name", "name_ar")
            self.cache[key] = found
        return self.cache[key]


def _check_row(
    org: Organisation, line: int, cells: dict[str, str], lookups: _Lookups, seen: set[str]
) -> tuple[dict[str, Any], list[RowError]]:
    errors: list[RowError] = []
    fields: dict[str, Any] = {}

    def fail(column: str, message: str) -> None:
        errors.append(RowError(line, column, message))

    try:
        codename = services.clean_codename(cells["codename"])
        if codename in lookups.taken:
            fail("codename", _("A person with this codename is already on the roster."))
        elif codename in seen:
            fail("codename", _("This codename appears twice in the file."))
        seen.add(codename)
        fields["codename"] = codename
    except ValidationError as error:
        fail("codename", error.messages[0])
    role = cells["role"].strip().casefold()
    role = ROLE_WORDS.get(role, role)
    if role not in PersonRole.values:
        fail("role", _("Unknown role: use doctor, nurse, paramedic, driver or other."))
    fields["role"] = role
    for column, attr in (("team", "team"), ("area", "area"), ("facility", "home_facility")):
        text = cells[column].strip()
        fields[attr] = lookups.find(column, text) if text else None
        if text and fields[attr] is None:
            messages = {
                "team": _("Unknown team: %(name)s"),
                "area": _("Unknown area: %(name)s"),
                "facility": _("Unknown facility: %(name)s"),
            }
            fail(column, messages[column] % {"name": text[:40]})
    language = LANGUAGE_WORDS.get(cells["language"].strip().casefold())
    if language is None:
        fail("language", _("Unknown language: use ar or en."))
    fields["language"] = language
    shared = cells["shared"].strip().casefold()
    if shared not in YES | NO:
        fail("shared", _("Write yes or no."))
    numbers = [n.strip() for n in cells["phones"].split(";") if n.strip()]
    if not numbers:
        fail("phones", _("Give at least one phone number."))
    contacts = []
    for position, number in enumerate(numbers, start=1):
        try:
            services.normalise_number(number, services.region_of(org))
            contacts.append(ContactSpec(value=number, is_shared=shared in YES))
        except ValidationError as error:
            # The number itself is never repeated in the report.
            fail(
                "phones",
                _("Number %(n)d: %(problem)s") % {"n": position, "problem": error.messages[0]},
            )
    fields["contacts"] = contacts
    fields["real_name"] = cells.get("real_name", "").strip()[:120]
    return fields, errors


def read_rows(text: str) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    """The data rows (line number, cells by column name), or the header's errors."""
    # PostgreSQL text cannot hold NUL: a stray one (a binary file) must not become a 500 (S2).
    text = text.replace("\x00", "")
    # newline="": the csv module finds the line ends itself, a lone CR (old Mac and some
    # spreadsheet exports) included, and keeps a line end inside a quoted cell as it is.
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    try:
        try:
            header = next(reader)
        except StopIteration:
            return [], [RowError(1, "", _("The file is empty."))]
        columns, errors = _header_map(header)
        if errors:
            return [], errors
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            values = {
                name: (cells[index] if index < len(cells) else "")
                for name, index in columns.items()
            }
            rows.append((reader.line_num, values))
    except csv.Error:
        # A file the csv module cannot read (a quote left open over a huge cell, ...) is a
        # problem to report with its row, not a crash halfway through the page (S2).
        message = _("This row cannot be read as CSV: check its quotes.")
        return [], [RowError(max(reader.line_num, 1), "", message)]
    if len(rows) > MAX_ROWS:
        return [], [RowError(1, "", _("At most %(n)d rows per file.") % {"n": MAX_ROWS})]
    if not rows:
        return [], [RowError(1, "", _("The file has no rows under its header."))]
    return rows, []


def run_import(*, org: Organisation, text: str, every: int = PROGRESS_EVERY) -> Iterator[Progress]:
    rows, errors = read_rows(text)
    if errors:
        yield Progress("failed", errors=errors)
        return
    total = len(rows)
    lookups = _Lookups(org)
    seen: set[str] = set()
    checked = []
    for count, (line, cells) in enumerate(rows, start=1):
        fields, row_errors = _check_row(org, line, cells, lookups, seen)
        errors += row_errors
        checked.append(fields)
        if count % every == 0 or count == total:
            yield Progress("checked", count, total)
    if errors:
        yield Progress("failed", 0, total, errors)
        return
    with transaction.atomic():
        for count, fields in enumerate(checked, start=1):
            services.create_person(org=org, contact_state=ContactState.PROVISIONAL, **fields)
            if count % every == 0 or count == total:
                yield Progress("saved", count, total)
    yield Progress("done", total, total)


def import_roster(*, org: Organisation, text: str) -> ImportResult:
    last = Progress("failed")
    for step in run_import(org=org, text=text):
        last = step
    return ImportResult(created=last.done if last.stage == "done" else 0, errors=last.errors)
