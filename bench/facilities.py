"""FA1: the facilities board (table and map) with 2,000 facilities and 1,000,000 status updates.

The board reads one current-status row per facility (salama.facilities.models.FacilityStatus),
never the history, so its cost follows the number of facilities, not of updates. The dataset
is loaded with COPY into its own database (kept between runs, like the scale dataset); the
timings call the real page through Django's test client as a field lead (median of several
runs, with the spread), plus the selector alone and the JSON API.

    python -m bench.facilities build FACILITIES UPDATES   -> JSON on the last line
    python -m bench.facilities measure RUNS               -> JSON on the last line
"""

from __future__ import annotations

import io
import json
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import common

MARK_START = "<!-- bench:facilities:start -->"
MARK_END = "<!-- bench:facilities:end -->"
TARGET_MS = 100.0
EPOCH = datetime(2026, 11, 1, tzinfo=UTC)
AREAS = 40
FUNCS = ["full", "partial", "none", "unknown"]
MARK = "bench_facilities"


def build(facilities: int, updates: int) -> dict[str, Any]:
    from django.db import connection, transaction

    from salama.accounts.models import Membership, Organisation, User
    from salama.facilities.models import FacilityStatus
    from salama.lib import keyring
    from salama.people.models import Area, Facility

    started = time.monotonic()
    with connection.cursor() as cur:
        if common.dataset_ready(cur, MARK, facilities=facilities, updates=updates):
            return {"built": False, "seconds": 0}
    keyring.ensure_master_key()
    rng = random.Random(7)  # noqa: S311 - a benchmark's fixed dataset
    with transaction.atomic():
        old = Organisation.objects.filter(slug="bench-fac").first()
        if old is not None:  # a dataset of another size: its rows go first, by plain SQL
            with connection.cursor() as cur:
                for table in ("facilities_statusupdate", "facilities_facilitystatus",
                              "people_facility", "people_area"):  # fmt: skip
                    cur.execute(f"DELETE FROM {table} WHERE org_id = %s", [old.pk])  # noqa: S608
            old.delete()
        org = Organisation.objects.create(name="Bench FA", slug="bench-fac", time_zone="UTC")
        keyring.ensure_org_keys(org.pk)
        user, _new = User.objects.get_or_create(username="bench-fac-lead")
        Membership.objects.create(user=user, org=org, role="field_lead")
        areas = Area.objects.bulk_create(
            Area(org=org, name_en=f"Area {i}", name_ar=f"منطقة {i}") for i in range(AREAS)
        )
        rows = Facility.objects.bulk_create(
            Facility(
                org=org,
                name=f"Facility {i:05d}",
                name_ar=f"منشأة {i}",
                kind="clinic",
                area=areas[i % AREAS],
                latitude=36.1 + rng.random() / 5,
                longitude=37.05 + rng.random() / 5,
            )  # fmt: skip
            for i in range(facilities)
        )
        FacilityStatus.objects.bulk_create(
            FacilityStatus(
                org=org,
                facility=f,
                code=f"B{i:05d}",
                facility_type="secondary",
                functionality=FUNCS[i % 4],
                observed_at=EPOCH,
                beds_total=50,
                beds_occupied=i % 50,
                takes_trauma=i % 3 == 0,
                services={"trauma": {"level": "full" if i % 3 == 0 else "none", "causes": []}},
                stocks={"fuel": {"days": (i % 10) / 2, "on_hand": None, "daily_use": None}},
                low_stocks=["fuel"] if i % 10 < 4 else [],
                min_days=(i % 10) / 2,
            )  # fmt: skip
            for i, f in enumerate(rows)
        )
    per = updates // facilities
    columns = (
        "org_id, facility_id, observed_at, received_at, channel, is_late, note, functionality,"
        " condition, accessibility, barriers, reasons, services, utilities, stocks, beds_total,"
        " beds_occupied"
    )
    raw = connection.connection
    with transaction.atomic(), raw.cursor() as cur:
        with cur.copy(f"COPY facilities_statusupdate ({columns}) FROM STDIN") as copy:  # noqa: S608
            for i, facility in enumerate(rows):
                buf = io.StringIO()
                for n in range(per):
                    at = EPOCH - timedelta(hours=(per - n) * 6)
                    stocks = json.dumps({"fuel": {"days": (n % 10) / 2}})
                    buf.write(
                        f"{org.pk}\t{facility.pk}\t{at.isoformat()}\t{at.isoformat()}\tsms\tf\t"
                        f"\t{FUNCS[(i + n) % 4]}\t\t\t[]\t[]\t{{}}\t{{}}\t{stocks}\t50\t{n % 50}\n"
                    )
                copy.write(buf.getvalue())
        cur.execute("ANALYZE facilities_statusupdate")
        cur.execute("ANALYZE facilities_facilitystatus")
        common.mark_dataset(cur, MARK, facilities=facilities, updates=updates)
    return {"built": True, "seconds": round(time.monotonic() - started, 1)}


def measure(runs: int) -> dict[str, Any]:
    from salama.accounts.models import Organisation
    from salama.facilities import selectors
    from salama.facilities.models import FacilityStatus, StatusUpdate

    org = Organisation.objects.get(slug="bench-fac")
    page = common.page_getter("bench-fac-lead")

    def selector() -> None:
        rows = selectors.board_values(org)
        json.dumps(selectors.map_points(rows))
        selectors.table_values(org, rows[:100])

    cases = {
        "board_page": lambda: page("/facilities/"),
        "trauma_page": lambda: page("/facilities/?service=trauma"),
        "board_selector": selector,
        "api_list": lambda: page("/api/facilities"),
    }
    return {
        "facilities": FacilityStatus.objects.for_org(org).count(),
        "updates": StatusUpdate.objects.for_org(org).count(),
        **common.time_cases(cases, runs),
    }


def run(cluster: Any, cfg: dict[str, Any], quick: bool) -> dict[str, Any]:
    """The phase of `make bench` (bench/run.py): its own database, kept between runs."""
    size = (cfg["facilities"], cfg["facility_updates"])
    out = common.build_and_measure(cluster, "facilities", quick, size, 3 if quick else 7)
    return common.spread_runs(out)


def render(results: dict[str, Any]) -> str:
    """The rows for docs/benchmarks.md."""
    fa = results["facilities"]
    head = (
        f"Facilities board (FA1): {fa['facilities']:,} facilities, {fa['updates']:,} updates,"
        f" target < {TARGET_MS:.0f} ms ({results['date']})."
    )
    names = ("board_page", "trauma_page", "board_selector", "api_list")
    return "\n".join(common.ms_table(head, fa, names))


if __name__ == "__main__":
    common.phase_main(build, measure)
