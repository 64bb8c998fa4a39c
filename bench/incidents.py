"""I1: attacks on health care with 100,000 incidents.

- drafting one report from text (target < 20 ms);
- the verification queue, the list (timeline, map per area, monthly chart) and the incident
  API list, through Django's test client as a coordinator (target < 100 ms);
- the public CSV of every published incident, streamed (target < 10 s, memory < 200 MB: the
  peak of Python allocations while streaming, tracemalloc).

The dataset is loaded with COPY into its own database (kept between runs).

    python -m bench.incidents build INCIDENTS   -> JSON on the last line
    python -m bench.incidents measure RUNS      -> JSON on the last line
"""

from __future__ import annotations

import io
import json
import random
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench import common

MARK_START = "<!-- bench:incidents:start -->"
MARK_END = "<!-- bench:incidents:end -->"
TARGETS = {"draft": 20.0, "page": 100.0, "public_csv_seconds": 10.0, "public_csv_mb": 200.0}
AREAS = 40
MARK = "bench_incidents"
TEXT = (
    "قصف مدفعي على مشفى في حي Area 7 صباح اليوم، استشهاد ممرضتين وإصابة ٧ أشخاص بينهم طبيب، "
    "and an airstrike hit the ambulance point nearby: 3 killed, twelve injured."
)
STATES = ["draft", "under_review", "verified", "verified", "verified", "unverifiable", "withdrawn"]
CERTAINTIES = ["rumour", "possible", "probable", "confirmed"]
TYPES = ["heavy_weapons", "individual_weapons", "obstruction", "armed_search", "setting_fire"]


def build(incidents: int) -> dict[str, Any]:
    from django.db import connection, transaction

    from salama.accounts.models import Membership, Organisation, User
    from salama.lib import keyring
    from salama.people.models import Area

    started = time.monotonic()
    with connection.cursor() as cur:
        if common.dataset_ready(cur, MARK, incidents=incidents):
            return {"built": False, "seconds": 0}
    keyring.ensure_master_key()
    rng = random.Random(11)  # noqa: S311 - a benchmark's fixed dataset
    with transaction.atomic():
        old = Organisation.objects.filter(slug="bench-inc").first()
        if old is not None:
            with connection.cursor() as cur:
                for table in ("incidents_incident", "people_area"):
                    cur.execute(f"DELETE FROM {table} WHERE org_id = %s", [old.pk])  # noqa: S608
            old.delete()
        org = Organisation.objects.create(name="Bench I1", slug="bench-inc", time_zone="UTC")
        keyring.ensure_org_keys(org.pk)
        user, _new = User.objects.get_or_create(username="bench-inc-coordinator")
        Membership.objects.create(user=user, org=org, role="coordinator")
        areas = Area.objects.bulk_create(
            Area(
                org=org,
                name_en=f"Area {i}",
                name_ar=f"منطقة {i}",
                latitude=36.1 + i / 400,
                longitude=37.05 + i / 400,
            )  # fmt: skip
            for i in range(AREAS)
        )
    columns = (
        "org_id, number, ssa_version, state, certainty, certainty_suggested,"
        " is_certainty_overridden, certainty_reason, own_staff_attacked, created_at, updated_at,"
        " version, occurred_on, area_id, location, attack_types, resources, facility_type,"
        " affiliation, damage, functionality, killed_total, injured_total, targeted,"
        " impact_kind, narrative, impact_text, follow_up, perpetrator"
    )
    epoch = datetime(2026, 11, 1, tzinfo=UTC)
    raw = connection.connection
    with transaction.atomic(), raw.cursor() as cur:
        with cur.copy(f"COPY incidents_incident ({columns}) FROM STDIN") as copy:  # noqa: S608
            buf = io.StringIO()
            for n in range(incidents):
                state = STATES[n % len(STATES)]
                suggested = CERTAINTIES[rng.randrange(4)]
                certainty = suggested if state == "verified" else ""
                at = epoch - timedelta(minutes=n * 7)
                day = (at - timedelta(days=rng.randrange(3))).date()
                types = json.dumps([TYPES[n % 5]])
                buf.write(
                    f"{org.pk}\t{n + 1}\t1.0\t{state}\t{certainty}\t{suggested}\tf\t\tf\t"
                    f"{at.isoformat()}\t{at.isoformat()}\t1\t{day.isoformat()}\t"
                    f'{areas[n % AREAS].pk}\t\t{types}\t{{"facility": "yes"}}\tsecondary\t'
                    f"ngo\tpartial\tpartial\t{n % 4}\t{n % 9}\tunknown\tunknown\t\t\t\t\n"
                )
                if n % 5000 == 4999:
                    copy.write(buf.getvalue())
                    buf = io.StringIO()
            copy.write(buf.getvalue())
        cur.execute("ANALYZE incidents_incident")
        common.mark_dataset(cur, MARK, incidents=incidents)
    return {"built": True, "seconds": round(time.monotonic() - started, 1)}


def measure(runs: int) -> dict[str, Any]:
    from django.conf import settings

    from salama.accounts.models import Organisation
    from salama.incidents import drafting, export
    from salama.incidents.models import Incident
    from salama.people.models import Area

    # The pages are the coordinator's; the second factor they need is a login step, not the
    # page's cost, so this measuring process does not ask for it.
    settings.SECOND_FACTOR_ROLES = ()
    org = Organisation.objects.get(slug="bench-inc")
    page = common.page_getter("bench-inc-coordinator")
    names = drafting.area_names(list(Area.objects.for_org(org)))
    cases = {
        "draft": lambda: drafting.draft(TEXT, names=names, today=date(2026, 11, 1)),
        "queue_page": lambda: page("/incidents/"),
        "list_page": lambda: page("/incidents/list/"),
        "list_filtered": lambda: page("/incidents/list/?type=heavy_weapons&certainty=probable"),
        "api_list": lambda: page("/api/incidents"),
    }
    out: dict[str, Any] = {
        "incidents": Incident.objects.for_org(org).count(),
        **common.time_cases(cases, runs),
    }
    tracemalloc.start()
    started = time.perf_counter()
    lines = rows = 0
    for line in export.csv_lines(
        export.public_columns(org), export.public_records(org), tagged=True
    ):
        lines += 1
        rows += bool(line)
    out["public_csv"] = {
        "seconds": round(time.perf_counter() - started, 2),
        "rows": lines - 2,
        "peak_mb": round(tracemalloc.get_traced_memory()[1] / 1e6, 1),
    }
    tracemalloc.stop()
    return out


def run(cluster: Any, cfg: dict[str, Any], quick: bool) -> dict[str, Any]:
    """The phase of `make bench` (bench/run.py): its own database, kept between runs."""
    out = common.build_and_measure(
        cluster, "incidents", quick, [cfg["incidents"]], 3 if quick else 7
    )
    return common.spread_runs(out)


def render(results: dict[str, Any]) -> str:
    """The rows for docs/benchmarks.md."""
    inc = results["incidents"]
    head = (
        f"Attacks on health care (I1): {inc['incidents']:,} incidents ({results['date']}); "
        f"targets: draft < {TARGETS['draft']:.0f} ms, pages < {TARGETS['page']:.0f} ms, public "
        f"CSV < {TARGETS['public_csv_seconds']:.0f} s and < {TARGETS['public_csv_mb']:.0f} MB."
    )
    names = ("draft", "queue_page", "list_page", "list_filtered", "api_list")
    lines = common.ms_table(head, inc, names)
    csv_run = inc["public_csv"]
    lines.append(
        f"\nPublic CSV: {csv_run['rows']:,} rows in {csv_run['seconds']} s, "
        f"peak Python memory {csv_run['peak_mb']} MB."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    common.phase_main(build, measure)
