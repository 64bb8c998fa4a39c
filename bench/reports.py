"""R1: the sitrep. A PDF for a 100-person organisation in < 5 s; the aggregates of a
100,000-person organisation in < 30 s (the internal edition: every section's queries, then its
PDF, whose lists are bounded); the memory of the process that renders (its peak RSS, standing in
for the worker's) < 300 MB.

The datasets go into their own database (kept between runs); the timings call the same service
and renderer as the worker job and the CLI.

    python -m bench.reports build SMALL LARGE   -> JSON on the last line
    python -m bench.reports measure RUNS        -> JSON on the last line
"""

from __future__ import annotations

import random
import resource
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import common

MARK_START = "<!-- bench:reports:start -->"
MARK_END = "<!-- bench:reports:end -->"
TARGET_SMALL_S = 5.0
TARGET_LARGE_S = 30.0
TARGET_RSS_MB = 300.0
AREAS, TEAMS, FACILITIES = 30, 40, 60
MARK = "bench_reports"
NOW = datetime(2026, 12, 1, 18, tzinfo=UTC)
STATES = ["SAFE", "SAFE", "SAFE", "SAFE", "NEED_HELP", "INJURED", ""]


def _org(slug: str, persons: int, rng: random.Random) -> None:
    from salama.accounts.models import Organisation
    from salama.facilities.models import FacilityStatus
    from salama.lib import keyring
    from salama.people.models import Area, Facility, Person, Team
    from salama.safety.models import Event

    old = Organisation.objects.filter(slug=slug).first()
    if old is not None:
        Person.objects.filter(org=old).delete()
        old.delete()
    org = Organisation.objects.create(name=f"Bench {slug}", slug=slug, time_zone="UTC")
    keyring.ensure_org_keys(org.pk)
    areas = Area.objects.bulk_create(
        Area(org=org, name_en=f"Area {i}", name_ar=f"منطقة {i}") for i in range(AREAS)
    )
    teams = Team.objects.bulk_create(Team(org=org, name=f"Team {i}") for i in range(TEAMS))
    facilities = Facility.objects.bulk_create(
        Facility(
            org=org,
            name=f"Facility {i}",
            name_ar=f"منشأة {i}",
            kind="clinic",
            area=areas[i % AREAS],
        )  # fmt: skip
        for i in range(FACILITIES)
    )
    FacilityStatus.objects.bulk_create(
        FacilityStatus(
            org=org,
            facility=f,
            code=f"F{i:04d}",
            functionality=["full", "partial", "none"][i % 3],
            observed_at=NOW - timedelta(hours=i),
            low_stocks=["fuel"] if i % 7 == 0 else [],
            stocks={"fuel": {"days": 1.0}},
        )  # fmt: skip
        for i, f in enumerate(facilities)
    )
    Event(org=org, label="", started_at=NOW - timedelta(hours=6)).save()
    batch = []
    for i in range(persons):
        heard = NOW - timedelta(minutes=rng.randint(0, 60 * 24))
        state = STATES[i % len(STATES)]
        batch.append(
            Person(
                org=org,
                codename=f"B{i:06d}",
                role="nurse",
                team=teams[i % TEAMS],
                area=areas[i % AREAS],
                state=state,
                heard_at=heard if state else None,
                next_due_at=heard + timedelta(hours=12),
                is_overdue=i % 9 == 0,
                decision="MISSING" if i % 97 == 0 else "",
            )  # fmt: skip
        )
        if len(batch) == 5000:
            Person.objects.bulk_create(batch)
            batch = []
    Person.objects.bulk_create(batch)


def build(small: int, large: int) -> dict[str, Any]:
    from django.db import connection, transaction

    started = time.monotonic()
    with connection.cursor() as cur:
        if common.dataset_ready(cur, MARK, small=small, large=large):
            return {"built": False, "seconds": 0}
    from salama.lib import keyring

    keyring.ensure_master_key()
    rng = random.Random(11)  # noqa: S311 - a benchmark's fixed dataset
    with transaction.atomic():
        _org("bench-rep-small", small, rng)
        _org("bench-rep-large", large, rng)
        with connection.cursor() as cur:
            cur.execute("ANALYZE people_person")
            common.mark_dataset(cur, MARK, small=small, large=large)
    return {"built": True, "seconds": round(time.monotonic() - started, 1)}


def measure(runs: int) -> dict[str, Any]:
    import time_machine

    from salama.accounts.models import Organisation
    from salama.people.models import Person
    from salama.reports import render, services
    from salama.reports.models import Report

    out: dict[str, Any] = {}
    # The first PDF of a process imports WeasyPrint and loads the fonts (the CLI's case); the
    # worker renders warm. Both are reported.
    started = time.perf_counter()
    first = services.generate_report(org=Organisation.objects.get(slug="bench-rep-small"),
                                     edition="partner")  # fmt: skip
    render.render_pdf(first, "en")
    out["first_pdf_s"] = round(time.perf_counter() - started, 2)
    with time_machine.travel(NOW + timedelta(minutes=5), tick=True):
        for name in ("small", "large"):
            org = Organisation.objects.get(slug=f"bench-rep-{name}")
            sections_s, pdf_s = [], []
            for _ in range(runs):
                started = time.perf_counter()
                report = services.generate_report(org=org, edition="internal")
                sections_s.append(time.perf_counter() - started)
                started = time.perf_counter()
                body = render.render_pdf(report, "ar")
                pdf_s.append(time.perf_counter() - started)
            Report.objects.for_org(org).delete()
            out[name] = {
                "persons": Person.objects.for_org(org).count(),
                "sections_s": sections_s,
                "pdf_s": pdf_s,
                "total_s": [a + b for a, b in zip(sections_s, pdf_s, strict=True)],
                "pdf_bytes": len(body),
            }
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def run(cluster: Any, cfg: dict[str, Any], quick: bool) -> dict[str, Any]:
    """The phase of `make bench` (bench/run.py): its own database, kept between runs."""
    size = (cfg["report_small"], cfg["report_large"])
    out = common.build_and_measure(cluster, "reports", quick, size, 2 if quick else 3)
    return common.spread_runs(out, ("sections_s", "pdf_s", "total_s"))


def render(results: dict[str, Any]) -> str:
    """The rows for docs/benchmarks.md."""
    rep = results["reports"]
    head = (
        f"Sitrep (R1), internal edition, Arabic PDF ({results['date']}): targets "
        f"{rep['small']['persons']:,} persons < {TARGET_SMALL_S:.0f} s, "
        f"{rep['large']['persons']:,} persons < {TARGET_LARGE_S:.0f} s, "
        f"memory < {TARGET_RSS_MB:.0f} MB (peak {rep['peak_rss_mb']:.0f} MB). The first PDF "
        f"of a process (WeasyPrint imported, fonts loaded): {rep['first_pdf_s']:.1f} s."
    )
    columns = ("persons", "sections s (median)", "PDF s (median)", "total s (median)")
    rows = [
        f"| {r['persons']:,} | {r['sections_s']['median']:.2f} | {r['pdf_s']['median']:.2f} "
        f"| {r['total_s']['median']:.2f} |"
        for r in (rep["small"], rep["large"])
    ]
    return "\n".join(common.table(head, columns, rows))


if __name__ == "__main__":
    common.phase_main(build, measure)
