"""E1: the evacuation priority queue (page and API) with 10,000 open requests, and assigning 200
evacuees to one movement with every manifest check (row locks, capacity, family, clearance).

The queue reads plain columns only, in the order of the partial index evac_queue (band, score,
waiting), never the encrypted details, and shows the first 200. The dataset is bulk-loaded into
its own database (kept between runs); timings call the real page and API through Django's test
client as a coordinator (median of several runs, with the spread). The assignment runs in a
transaction that is rolled back afterwards, so every run assigns the same 200.

    python -m bench.evacuation build REQUESTS   -> JSON on the last line
    python -m bench.evacuation measure RUNS     -> JSON on the last line
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import common

MARK_START = "<!-- bench:evacuation:start -->"
MARK_END = "<!-- bench:evacuation:end -->"
QUEUE_TARGET_MS = 100.0
ASSIGN_TARGET_MS = 1000.0
ASSIGNED = 200
MARK = "bench_evacuation"
EPOCH = datetime(2026, 11, 1, tzinfo=UTC)


def build(requests: int) -> dict[str, Any]:
    from django.db import connection, transaction

    from salama.accounts.models import Membership, Organisation, User
    from salama.evacuation.models import BAND_RANK, Request
    from salama.lib import keyring
    from salama.people.models import Area, Person, Team, TeamLead

    started = time.monotonic()
    with connection.cursor() as cur:
        if common.dataset_ready(cur, MARK, requests=requests):
            return {"built": False, "seconds": 0}
    keyring.ensure_master_key()
    rng = random.Random(11)  # noqa: S311 - a benchmark's fixed dataset
    with transaction.atomic():
        Organisation.objects.filter(slug="bench-evac").delete()
        org = Organisation.objects.create(name="Bench E1", slug="bench-evac", time_zone="UTC")
        keyring.ensure_org_keys(org.pk)
        # A field lead whose team holds everyone: the page and API as a lead (no second
        # factor to pass), with the team filter a lead's queue always has.
        user, _new = User.objects.get_or_create(username="bench-evac-lead")
        lead = Membership.objects.create(user=user, org=org, role="field_lead")
        area = Area.objects.create(org=org, name_en="Bench area", name_ar="منطقة")
        team = Team.objects.create(org=org, name="Bench team")
        leader = Person.objects.create(
            org=org, codename="LEAD", role="doctor", team=team, membership=lead
        )
        TeamLead.objects.create(org=org, team=team, person=leader)
        persons = Person.objects.bulk_create(
            Person(org=org, codename=f"E{i:05d}", role="nurse", area=area, team=team)
            for i in range(requests)
        )
        bands = list(BAND_RANK)
        rows = []
        for i, person in enumerate(persons):
            band = bands[rng.randrange(3)]
            rows.append(
                Request(
                    org=org,
                    person=person,
                    reason="threat",
                    channel="api",
                    seats=1,
                    requested_at=EPOCH - timedelta(hours=rng.randrange(24 * 60)),
                    band=band,
                    band_rank=BAND_RANK[band],
                    score=rng.randrange(120),
                    explanation=[["threat", 20, None]],
                    dependants=0,
                    journey="approved" if i < ASSIGNED + 50 else "requested",
                    is_cleared=i < ASSIGNED + 50,
                )
            )
        Request.objects.bulk_create(rows, batch_size=2000)
    with connection.cursor() as cur:
        cur.execute("ANALYZE evacuation_request")
        common.mark_dataset(cur, MARK, requests=requests)
    return {"built": True, "seconds": round(time.monotonic() - started, 1)}


def measure(runs: int) -> dict[str, Any]:
    from django.db import transaction

    from salama.accounts.models import Membership, Organisation, User
    from salama.evacuation import services
    from salama.evacuation.models import Request
    from salama.lib import clock

    org = Organisation.objects.get(slug="bench-evac")
    user = User.objects.get(username="bench-evac-lead")
    by = Membership.objects.get(user=user, org=org)
    page = common.page_getter(user.username)

    def assign() -> None:
        with transaction.atomic():
            now = clock.now()
            plan = services.Plan(
                kind="road_convoy",
                window_start=now + timedelta(hours=1),
                window_end=now + timedelta(hours=2),
                expected_arrival_at=now + timedelta(hours=3),
                destination_area=org_area(org),
            )
            movement = services.create_movement(org=org, plan=plan, by=by)
            services.add_vehicle(movement=movement, kind="bus", seats=ASSIGNED)
            ready = Request.objects.for_org(org).filter(journey="approved").order_by("pk")
            seats, skipped = services.assign_many(
                requests=list(ready[:ASSIGNED]), movement=movement, by=by
            )
            assert len(seats) == ASSIGNED and not skipped, skipped[:1]
            transaction.set_rollback(True)

    cases = {
        "queue_page": lambda: page("/evacuation/"),
        "queue_api": lambda: page("/api/evacuation/queue"),
        "assign_200": assign,
    }
    return {
        "requests": Request.objects.for_org(org).filter(outcome="").count(),
        **common.time_cases(cases, runs, fewer={"assign_200": max(1, runs // 2)}),
    }


def org_area(org: Any) -> Any:
    from salama.people.models import Area

    return Area.objects.for_org(org).first()


def run(cluster: Any, cfg: dict[str, Any], quick: bool) -> dict[str, Any]:
    """The phase of `make bench` (bench/run.py): its own database, kept between runs."""
    size = [cfg["evacuation_requests"]]
    out = common.build_and_measure(cluster, "evacuation", quick, size, 3 if quick else 7)
    return common.spread_runs(out)


def render(results: dict[str, Any]) -> str:
    """The rows for docs/benchmarks.md."""
    ev = results["evacuation"]
    head = (
        f"Evacuation (E1): {ev['requests']:,} open requests;"
        f" queue target < {QUEUE_TARGET_MS:.0f} ms, assigning {ASSIGNED} evacuees"
        f" < {ASSIGN_TARGET_MS:.0f} ms ({results['date']})."
    )
    names = ("queue_page", "queue_api", "assign_200")
    return "\n".join(common.ms_table(head, ev, names))


if __name__ == "__main__":
    common.phase_main(build, measure)
