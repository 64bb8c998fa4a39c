"""S2 §5: the roster's CSV import, fed arbitrary bytes or arbitrary rows under a good header,
never raises anything but reports problems as row errors, and writes every row or none."""

import csv
import io
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salama.people.importer import COLUMNS, import_roster
from salama.people.models import ContactPoint, Person

pytestmark = pytest.mark.django_db

CELL = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["doctor", "nurse", "North", "Al-Sukkari", "ar", "en", "yes", "no", "طبيب", "نعم",
         "+963944555001", "0944555002", "+963944555001;+963944555003", "K77", "K12", "", " ",
         "Test Field Hospital", "=cmd|' /C calc'!A0", "\x00", "١٢٣"]
    ),
)  # fmt: skip
GOOD = {
    "codename": st.from_regex(r"K[0-9]{3}", fullmatch=True),
    "role": st.sampled_from(["doctor", "nurse", "ممرضة"]),
    "team": st.sampled_from(["North", "South", ""]),
    "facility": st.sampled_from(["", "Test Field Hospital"]),
    "area": st.sampled_from(["Al-Sukkari", "السكري", ""]),
    "language": st.sampled_from(["ar", "en", ""]),
    "phones": st.integers(100000, 999999).map(lambda n: f"+963944{n}"),
    "shared": st.sampled_from(["yes", "no", ""]),
}
# Mostly good cells with the odd hostile one, or a row of anything.
ROW = st.one_of(
    st.tuples(*(st.one_of(GOOD[c], GOOD[c], GOOD[c], CELL) for c in COLUMNS)).map(list),
    st.lists(CELL, min_size=0, max_size=len(COLUMNS) + 2),
)
FUZZ = settings(
    max_examples=60, deadline=None, database=None, derandomize=True,
    suppress_health_check=list(HealthCheck),
)  # fmt: skip


def counts(org: Any) -> tuple[int, int]:
    return (
        Person.objects.for_org(org).count(),
        ContactPoint.objects.for_org(org).count(),
    )


def check(org: Any, text: str, rows: int | None = None) -> bool:
    with transaction.atomic():
        before = counts(org)
        result = import_roster(org=org, text=text)
        after = counts(org)
        if result.errors:
            assert result.created == 0 and after == before, "a failed import wrote rows"
            assert all(isinstance(e.message, str) and e.message for e in result.errors)
        else:
            assert result.created > 0 and after[0] == before[0] + result.created
            if rows is not None:
                assert result.created == rows
        transaction.set_rollback(True)
    return not result.errors


def test_arbitrary_bytes_never_raise(world: Any, roster: Any) -> None:
    @FUZZ
    @given(data=st.binary(max_size=400))
    def run(data: bytes) -> None:
        check(world.org, data.decode("utf-8", errors="replace"))

    run()


def test_arbitrary_rows_under_a_good_header_are_all_or_nothing(world: Any, roster: Any) -> None:
    imported = []

    @FUZZ
    @given(rows=st.lists(ROW, min_size=1, max_size=6))
    def run(rows: list[list[str]]) -> None:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
        non_blank = sum(1 for r in rows if any(c.strip() for c in r))
        imported.append(check(world.org, out.getvalue(), rows=non_blank))

    run()
    assert any(imported) and not all(imported), "both outcomes should have been tried"
