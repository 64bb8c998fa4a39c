"""The exports read back with libhxl: every column of the public form is on the published list
(the SSA's Category A), no rumour and nothing unverified is published, no place finer than the
country unless the organisation's setting allows the first-level area; over generated data and
over the demo."""

import csv
import io
import json
from typing import Any

import hxl
import pytest
from django.db.models import Count

from salama.incidents import export, selectors, services
from salama.incidents.models import Incident
from salama.incidents.vocabulary import ATTACK_TYPES, CERTAINTY, STATES
from tests.incidents.helpers import Place, make_place, report, verified

pytestmark = pytest.mark.django_db

# The published list, stated here from the SSA's Category A: country, date and time, attack
# types, resources affected, facility type, aggregate deaths, injuries and detentions, certainty
# (and the incident's own number, so partners can cite it).
PUBLISHED_TAGS = {
    "#event+id", "#country+code", "#date+occurred", "#date+occurred+time",
    *(f"#event+type+{c}" for c in ATTACK_TYPES),
    *(f"#indicator+resource_affected+{c}" for c in
      ("facility", "transport", "personnel", "patients", "supplies", "warehouse", "other")),
    "#loc+facility+type", "#affected+killed", "#affected+injured", "#affected+detained",
    "#status+certainty",
}  # fmt: skip
FIRST_LEVEL_AREA = "#adm1+name"
SECRETS = ("Two nurses", "armed group", "east gate", "36.1805")


def _read(lines: Any) -> tuple[str, Any]:
    text = "".join(lines)
    return text, hxl.data(list(csv.reader(io.StringIO(text))))


def _public(org: Any) -> tuple[str, Any]:
    return _read(
        export.csv_lines(export.public_columns(org), export.public_records(org), tagged=True)
    )


def _tags(dataset: Any) -> set[str]:
    return {c.get_display_tag(sort_attributes=True) for c in dataset.columns}


def _sorted(tags: set[str]) -> set[str]:
    return {"#" + "+".join([t.split("+")[0][1:], *sorted(t.split("+")[1:])]) for t in tags}


def generate(place: Place) -> None:
    """Incidents in every state and at every certainty (with its sources)."""
    kinds = {"rumour": ["social_media"], "possible": ["local_media"],
             "probable": ["eyewitness_told"], "confirmed": ["eyewitness_own_staff"]}  # fmt: skip
    for certainty in CERTAINTY:
        verified(place, kinds[certainty])
    for state in ("draft", "under_review", "unverifiable", "withdrawn"):
        incident = services.consolidate_reports(reports=[report(place)], by=place.coordinator)
        for to in {"draft": [], "under_review": ["under_review"], "withdrawn": ["withdrawn"],
                   "unverifiable": ["under_review", "unverifiable"]}[state]:  # fmt: skip
            incident = services.move(incident=incident, to=to, by=place.coordinator)


def check_public(org: Any, *, area_allowed: bool) -> int:
    text, dataset = _public(org)
    tags = _tags(dataset)
    allowed = _sorted(PUBLISHED_TAGS) | ({FIRST_LEVEL_AREA} if area_allowed else set())
    assert tags <= allowed, f"unpublished columns: {tags - allowed}"
    assert (FIRST_LEVEL_AREA in tags) == area_allowed
    assert not any(t.startswith(("#geo", "#adm2", "#adm3", "#loc+name", "#meta")) for t in tags)
    rows = list(dataset)
    certainties = {row.get("#status+certainty") for row in rows}
    assert certainties <= {"possible", "probable", "confirmed"}
    published = Incident.objects.filter(
        org=org, state="verified", certainty__in=["possible", "probable", "confirmed"]
    ).count()
    assert len(rows) == published
    for secret in SECRETS:
        assert secret not in text
    for row in rows:  # one yes/no column per attack type, never a joined cell
        assert {row.get(f"#event+type+{c}") for c in ATTACK_TYPES} <= {"yes", "no"}
    return len(rows)


@pytest.fixture
def place(world: Any) -> Place:
    return make_place(world)


def test_public_export_over_generated_data(place: Place) -> None:
    generate(place)
    assert Incident.objects.filter(org=place.org).values("state").distinct().count() == 5
    assert check_public(place.org, area_allowed=False) == 3  # possible, probable, confirmed
    services.set_publish_area(org=place.org, on=True, by=place.coordinator)
    assert check_public(place.org, area_allowed=True) == 3
    from salama.accounts.models import AuditEvent

    assert AuditEvent.objects.filter(action="incidents.publish_area").exists()


def test_the_public_query_selects_only_published_columns(place: Place) -> None:
    verified(place, ["eyewitness_told"])
    rows = list(selectors.public_rows(place.org))
    assert rows and all(set(row) == set(selectors.PUBLIC_COLUMNS) for row in rows)


def test_internal_export_reads_back_with_one_column_per_type_and_source(place: Place) -> None:
    verified(place, ["eyewitness_told", "photo"])
    columns = export.internal_columns()
    records = export.internal_records(place.org, selectors.Filters())
    text, dataset = _read(export.csv_lines(columns, records, tagged=True))
    rows = list(dataset)
    assert len(rows) == 1
    assert rows[0].get("#event+type+heavy_weapons") == "yes"
    assert rows[0].get("#event+type+setting_fire") == "no"
    assert rows[0].get("#meta+source+photo") == "yes"
    assert rows[0].get("#affected+healthworker+killed") == "2"
    assert "Two nurses" not in text  # free text stays out of every export
    untagged = "".join(export.csv_lines(columns, export.internal_records(
        place.org, selectors.Filters()), tagged=False))  # fmt: skip
    assert "#event" not in untagged and len(untagged.splitlines()) == 2


def test_geojson_is_longitude_first_and_internal(place: Place) -> None:
    verified(place, ["eyewitness_told"])
    data = json.loads(export.geojson_text(place.org, selectors.Filters()))
    point = data["features"][0]["geometry"]["coordinates"]
    area = place.areas["Al-Sukkari"]
    assert data["type"] == "FeatureCollection" and point == [area.longitude, area.latitude]


@pytest.mark.postgres
def test_public_export_over_the_demo() -> None:
    from salama.accounts.models import Organisation
    from salama.demo.load import load_demo

    load_demo()
    org = Organisation.objects.get(slug="demo")
    states = set(Incident.objects.filter(org=org).values_list("state", flat=True))
    assert states == set(STATES)
    from salama.demo.incidents import load

    count = Incident.objects.count()
    load()  # loading again duplicates nothing
    assert Incident.objects.count() == count
    several = Incident.objects.filter(org=org).annotate(n=Count("reports")).filter(n__gte=2)
    assert several.count() >= 2  # some incidents consolidate several reports
    assert check_public(org, area_allowed=False) >= 3
