"""Exports with HXL hashtags, parsed back: CSV (UTF-8 with a BOM) and XLSX, public and internal
forms; formula injection neutralised in every cell; the public form holds no codename, name,
number or place finer than allowed (every column scanned)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from salama.accounts.models import AuditEvent
from salama.people.services import save_area
from salama.reports import exports
from tests.reports.helpers import FACILITY, build_scene

NAMES = ("roster", "checkins", "facilities")


@pytest.fixture
def scene(world: Any, roster: Any) -> Any:
    return build_scene(world, roster)


def _csv(client: Any, name: str, form: str) -> list[list[str]]:
    response = client.get(f"/reports/exports/download/?name={name}&format=csv&form={form}")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def _xlsx(client: Any, name: str, form: str) -> list[list[Any]]:
    response = client.get(f"/reports/exports/download/?name={name}&format=xlsx&form={form}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_every_export_has_names_then_hxl_tags(scene: Any, coordinator: Any) -> None:
    for name in NAMES:
        for form in exports.FORMS:
            rows = _csv(coordinator, name, form)
            assert len(rows) >= 3, (name, form)
            assert all(tag.startswith("#") for tag in rows[1]), (name, form, rows[1])
            sheet = _xlsx(coordinator, name, form)
            assert [str(c) for c in sheet[0]] == rows[0] and [str(c) for c in sheet[1]] == rows[1]


def test_roster_counts_add_up(scene: Any, coordinator: Any) -> None:
    rows = _csv(coordinator, "roster", "public")
    data = dict(zip(rows[0], rows[2], strict=True))
    assert data["total"] == "6" and data["injured"] == "1" and data["missing"] == "1"
    internal = _csv(coordinator, "roster", "internal")
    total = internal[0].index("total")
    assert sum(int(r[total]) for r in internal[2:]) == 6


def _forbidden(scene: Any) -> list[str]:
    roster = scene.roster
    words = ["K10", "K11", "K12", "K13", "K20", "K21", *roster.names.values()]
    words += [n for numbers in roster.numbers.values() for n in numbers]
    words += ["Al-Sukkari", "السكري", "Al-Shaar", "الشعار", "North", "South"]
    return words + [FACILITY["name"], FACILITY["name_ar"], FACILITY["code"]]


def test_public_form_holds_nothing_personal_in_any_column(
    scene: Any, clients: dict[str, Any]
) -> None:
    observer = clients["observer"]
    for name in NAMES:
        # An observer asking for the internal form still gets the public one.
        for rows in (_csv(observer, name, "internal"), _xlsx(observer, name, "public")):
            cells = [str(c) for row in rows for c in row if c is not None]
            found = [w for w in _forbidden(scene) if any(w in c for c in cells)]
            assert not found, f"{name}: {found}"
    assert AuditEvent.objects.filter(action="reports.exported").count() == 6


def test_formula_injection_is_neutralised_in_every_cell(
    world: Any, scene: Any, coordinator: Any
) -> None:
    person = scene.roster.persons["K12"]
    person.area = save_area(org=world.org, name_en="=HYPERLINK(1)", name_ar="@SUM(1)")
    person.save(update_fields=["area"])
    internal = _csv(coordinator, "roster", "internal")
    cells = [c for row in internal[2:] for c in row]
    assert "'=HYPERLINK(1)" in cells and "'@SUM(1)" in cells
    sheet = _xlsx(coordinator, "roster", "internal")
    values = [c for row in sheet[2:] for c in row if isinstance(c, str)]
    assert "'=HYPERLINK(1)" in values
    for cell in cells + values:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\tx", "'\tx"),
     ("\rx", "'\rx"), ("plain", "plain"), (-3, -3), (2.5, 2.5), (None, "")],
)  # fmt: skip
def test_neutralise(value: Any, expected: Any) -> None:
    assert exports.neutralise(value) == expected
