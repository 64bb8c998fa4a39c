"""Exports with HXL hashtags (docs/reports.md): CSV (UTF-8 with a BOM, for spreadsheets) and
XLSX, each in an internal form (coordinators) and a public form (partners: counts only, areas
only when the organisation allows them, no codename, name, number or note).

Row 1 holds the column names, row 2 the HXL hashtags, then the data. Every text cell that a
spreadsheet would read as a formula (it starts with =, +, -, @, a tab or a carriage return) is
neutralised with a leading apostrophe. Rows are produced by generators and CSV is streamed;
XLSX is written by openpyxl's write-only workbook into a spooled temporary file.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from salama.accounts.models import Organisation
from salama.facilities.models import FacilityStatus
from salama.facilities.vocabulary import Functionality
from salama.lib import clock
from salama.people.models import DecisionKind, Person, Status
from salama.reports.options import Options, options_of
from salama.safety.models import CheckIn
from salama.safety.selectors import OUT_OF_SWEEP, overdue_q

FORMS = ("public", "internal")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
CHECKIN_DAYS = 30

Columns = list[tuple[str, str]]


def neutralise(value: Any) -> Any:
    """A cell as a spreadsheet will not run it: text that starts like a formula is prefixed
    with an apostrophe; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@dataclass(frozen=True)
class Export:
    key: str
    rows: Callable[[Organisation, str, Options], tuple[Columns, Iterable[list[Any]]]]


# --- roster counts --------------------------------------------------------------------------

STAFF_COUNTS: Columns = [
    ("total", "#indicator+staff+total+num"),
    ("safe", "#indicator+staff+safe+num"),
    ("need_help", "#indicator+staff+need_help+num"),
    ("injured", "#indicator+staff+injured+num"),
    ("overdue", "#indicator+staff+overdue+num"),
    ("never_heard", "#indicator+staff+never_heard+num"),
    ("missing", "#indicator+staff+missing+num"),
    ("detained", "#indicator+staff+detained+num"),
    ("killed", "#indicator+staff+killed+num"),
    ("evacuated", "#indicator+staff+evacuated+num"),
]


def _staff_aggregates(now: datetime) -> dict[str, Any]:
    undecided = Q(decision="")
    in_sweep = ~OUT_OF_SWEEP
    return {
        "total": Count("pk"),
        "safe": Count("pk", filter=undecided & Q(state=Status.SAFE)),
        "need_help": Count("pk", filter=undecided & Q(state=Status.NEED_HELP)),
        "injured": Count("pk", filter=undecided & Q(state=Status.INJURED)),
        "overdue": Count("pk", filter=in_sweep & Q(heard_at__isnull=False) & overdue_q(now)),
        "never_heard": Count("pk", filter=in_sweep & Q(heard_at__isnull=True)),
        "missing": Count("pk", filter=Q(decision=DecisionKind.MISSING)),
        "detained": Count("pk", filter=Q(decision=DecisionKind.DETAINED)),
        "killed": Count("pk", filter=Q(decision=DecisionKind.KILLED)),
        "evacuated": Count("pk", filter=Q(decision=DecisionKind.EVACUATED)),
    }


def roster_counts(org: Organisation, form: str, options: Options) -> tuple[Columns, Iterator]:
    persons = Person.objects.for_org(org).filter(is_active=True)
    aggregates = _staff_aggregates(clock.now())
    keys = [name for name, _tag in STAFF_COUNTS]
    if form == "internal":
        group = ["area__name_en", "area__name_ar", "team__name", "role"]
        head: Columns = [("area", "#adm3+name"), ("area_ar", "#adm3+name+i_ar"),
                         ("team", "#org+team"), ("role", "#meta+role")]  # fmt: skip
    elif options.by_area:
        group = ["area__name_en", "area__name_ar"]
        head = [("area", "#adm3+name"), ("area_ar", "#adm3+name+i_ar")]
    else:
        group, head = [], []
    data: Iterator[list[Any]]
    if group:
        rows = persons.values(*group).annotate(**aggregates).order_by(*group)
        data = ([row[g] for g in group] + [row[k] for k in keys] for row in rows.iterator())
    else:
        total = persons.aggregate(**aggregates)
        data = iter([[total[k] for k in keys]])
    return head + STAFF_COUNTS, data


# --- check-in aggregates --------------------------------------------------------------------


def checkin_aggregates(org: Organisation, form: str, options: Options) -> tuple[Columns, Iterator]:
    since = clock.now() - timedelta(days=CHECKIN_DAYS)
    day = TruncDate("effective_at", tzinfo=ZoneInfo(org.time_zone))
    rows = CheckIn.objects.for_org(org).filter(effective_at__gte=since).annotate(day=day)
    head: Columns = [("date", "#date"), ("status", "#status+checkin")]
    group = ["day", "status"]
    if form == "internal":
        head += [("basis", "#meta+basis"), ("channel", "#meta+channel")]
        group += ["basis", "channel"]
    elif options.by_area:
        head = [("date", "#date"), ("area", "#adm3+name"), ("area_ar", "#adm3+name+i_ar"),
                ("status", "#status+checkin")]  # fmt: skip
        group = ["day", "area__name_en", "area__name_ar", "status"]
    head.append(("checkins", "#indicator+checkins+num"))
    counted = rows.values(*group).annotate(n=Count("pk")).order_by(*group)
    data = (
        [r["day"].isoformat() if g == "day" else r[g] for g in group] + [r["n"]]
        for r in counted.iterator()
    )
    return head, data


# --- facilities -----------------------------------------------------------------------------

FACILITY_INTERNAL: Columns = [
    ("code", "#loc+code"), ("name", "#loc+name"), ("name_ar", "#loc+name+i_ar"),
    ("type", "#loc+type"), ("area", "#adm3+name"), ("latitude", "#geo+lat"),
    ("longitude", "#geo+lon"), ("functionality", "#status+functionality"),
    ("observed_at", "#date+reported"), ("beds_total", "#capacity+beds+total"),
    ("beds_occupied", "#capacity+beds+occupied"), ("min_days", "#stock+days+min"),
    ("low_stocks", "#stock+low"),
]  # fmt: skip


def facilities(org: Organisation, form: str, options: Options) -> tuple[Columns, Iterator]:
    statuses = FacilityStatus.objects.for_org(org)
    if form == "internal":
        rows = statuses.values_list(
            "code", "facility__name", "facility__name_ar", "facility_type",
            "facility__area__name_en", "facility__latitude", "facility__longitude",
            "functionality", "observed_at", "beds_total", "beds_occupied", "min_days",
            "low_stocks",
        ).order_by("facility__name")  # fmt: skip
        data = (
            [*r[:8], r[8].isoformat() if r[8] else "", *r[9:12], " ".join(r[12] or [])]
            for r in rows.iterator()
        )
        return FACILITY_INTERNAL, data
    head: Columns = []
    group: list[str] = []
    if options.facility_names:
        head += [("name", "#loc+name"), ("name_ar", "#loc+name+i_ar")]
        group += ["facility__name", "facility__name_ar"]
    if options.by_area:
        head += [("area", "#adm3+name"), ("area_ar", "#adm3+name+i_ar")]
        group += ["facility__area__name_en", "facility__area__name_ar"]
    head += [("type", "#loc+type")]
    group += ["facility_type"]
    counts = {f: Count("pk", filter=Q(functionality=f)) for f in Functionality.values}
    head += [(f"facilities_{f}", f"#indicator+facilities+{f}+num") for f in Functionality.values]
    counted = statuses.values(*group).annotate(**counts).order_by(*group)
    data = ([r[g] for g in group] + [r[f] for f in Functionality.values] for r in counted)
    return head, data


EXPORTS = {
    e.key: e
    for e in (
        Export("roster", roster_counts),
        Export("checkins", checkin_aggregates),
        Export("facilities", facilities),
    )
}


def table(org: Organisation, key: str, form: str) -> tuple[Columns, Iterable[list[Any]]]:
    if key not in EXPORTS or form not in FORMS:
        raise KeyError(key)
    return EXPORTS[key].rows(org, form, options_of(org))


def csv_chunks(columns: Columns, rows: Iterable[list[Any]]) -> Iterator[str]:
    """The CSV as a stream of chunks: the BOM, the names, the HXL row, then the data."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: list[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([neutralise(v) for v in values])
        return buffer.getvalue()

    yield BOM + line([name for name, _tag in columns])
    yield line([tag for _name, tag in columns])
    for row in rows:
        yield line(row)


def xlsx_file(columns: Columns, rows: Iterable[list[Any]], title: str) -> IO[bytes]:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.append([name for name, _tag in columns])
    sheet.append([tag for _name, tag in columns])
    for row in rows:
        sheet.append([neutralise(v) for v in row])
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    book.save(out)
    out.seek(0)
    return out
