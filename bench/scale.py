"""In-process timings at scale: the board summary, the overdue and not-heard-since lists, one
person's timeline and one sweep tick, each calling the real selectors and services, timed with
time.perf_counter (median of several runs, with the spread), each with its query plans
(EXPLAIN (ANALYZE, BUFFERS)). The clock is moved to the dataset's EPOCH (bench/dataset.py).

Writes are measured inside a transaction that is rolled back, so every run sees the same data.

    python -m bench.scale measure RUNS       -> JSON on the last line
    python -m bench.scale worker-mem         -> the worker's passes at scale; its peak memory
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import django

PAGE = 100  # rows of a list the board shows at once


def _timed(fn: Callable[[], Any], runs: int, rollback: bool = False) -> list[float]:
    from django.db import transaction

    times = []
    for _ in range(runs):
        started = time.perf_counter()
        if rollback:
            with transaction.atomic():
                fn()
                elapsed = time.perf_counter() - started
                transaction.set_rollback(True)
        else:
            fn()
            elapsed = time.perf_counter() - started
        times.append(elapsed * 1000)
    return times


def _captured(fn: Callable[[], Any], rollback: bool) -> list[tuple[str, Any, float]]:
    from django.db import connection, transaction

    seen: list[tuple[str, Any, float]] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seen.append((sql, params, (time.perf_counter() - started) * 1000))

    with connection.execute_wrapper(wrapper), transaction.atomic():
        fn()
        if rollback:
            transaction.set_rollback(True)
    return seen


def _plans(fn: Callable[[], Any], rollback: bool, limit: int = 4) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS) of each distinct statement the call ran, slowest first."""
    from django.db import connection, transaction

    queries = _captured(fn, rollback)
    distinct: dict[str, tuple[str, Any, float, int]] = {}
    for sql, params, ms in queries:
        head = sql.lstrip().split()[0].upper() if sql.strip() else ""
        if head not in ("SELECT", "UPDATE", "WITH", "INSERT", "DELETE"):
            continue
        if sql in distinct:
            s, p, total, count = distinct[sql]
            distinct[sql] = (s, p, total + ms, count + 1)
        else:
            distinct[sql] = (sql, params, ms, 1)
    out = []
    ranked = sorted(distinct.values(), key=lambda item: -item[2])[:limit]
    for sql, params, total, count in ranked:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = "\n".join(row[0] for row in cur.fetchall())
            transaction.set_rollback(True)
        out.append({"sql": sql, "calls": count, "total_ms": round(total, 2), "plan": plan})
    return {"statements": len(queries), "plans": out}


def _sweep_jobs() -> tuple[list[Callable[[], bool]], str]:
    """The worker's sweep job(s) when registered; else the safety services' find-and-flip."""
    from salama.worker.loop import JOBS

    jobs = [j for j in JOBS if "sweep" in j.__name__ or "overdue" in j.__name__]
    if jobs:
        return jobs, ", ".join(f"{j.__module__}.{j.__name__}" for j in jobs)

    def services_sweep() -> bool:
        from salama.safety.services import mark_overdue, overdue_people

        flipped = [p for p in overdue_people(None) if mark_overdue(person=p)]
        return bool(flipped)

    return [services_sweep], "salama.safety.services.overdue_people + mark_overdue (fallback)"


def measure(runs: int) -> dict[str, Any]:
    import time_machine
    from django.db import connection

    from bench.dataset import EPOCH
    from salama.accounts.models import Organisation
    from salama.people.models import Person
    from salama.safety import selectors
    from salama.safety.models import CheckIn

    org = Organisation.objects.get(slug="bench")
    filters = selectors.Filters()
    results: dict[str, Any] = {}

    def people() -> Any:
        return selectors.board_people(org, filters)

    since = EPOCH - timedelta(hours=2)  # an event two hours ago
    person = Person.objects.for_org(org).order_by("pk")[PAGE]
    cases: dict[str, tuple[Callable[[], Any], bool]] = {
        "board_summary": (lambda: selectors.board_summary(org, filters, EPOCH), False),
        "overdue_list": (lambda: list(selectors.overdue_list(people(), EPOCH)[:PAGE]), False),
        "not_heard_since": (
            lambda: list(selectors.not_heard_since(people(), since)[:PAGE]),
            False,
        ),
        "timeline": (lambda: selectors.timeline(person), False),
    }
    with time_machine.travel(EPOCH, tick=False):
        for name, (fn, rollback) in cases.items():
            fn()  # warm the cache once, as a board being watched is
            results[name] = {"ms": _timed(fn, runs, rollback), **_plans(fn, rollback)}
        results["sizes"] = {
            "persons": Person.objects.for_org(org).count(),
            "overdue_rows": selectors.overdue_list(people(), EPOCH).count(),
            "not_heard_rows": selectors.not_heard_since(people(), since).count(),
            "timeline_checkins": CheckIn.objects.filter(person=person).count(),
        }
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM safety_checkin")
            results["sizes"]["checkins"] = cur.fetchone()[0]
    jobs, label = _sweep_jobs()

    def tick() -> None:
        for job in jobs:
            job()

    for name, minutes in (("sweep_tick", 5), ("sweep_burst", 60)):
        with time_machine.travel(EPOCH + timedelta(minutes=minutes), tick=False):
            due = Person.objects.filter(
                is_active=True, is_overdue=False, next_due_at__lt=EPOCH + timedelta(minutes=minutes)
            ).count()
            tick_runs = min(runs, 5) if name == "sweep_tick" else 2
            results[name] = {
                "ms": _timed(tick, tick_runs, rollback=True),
                **_plans(tick, rollback=True),
                "newly_due": due,
                "minutes_after_epoch": minutes,
                "job": label,
            }
    return results


def worker_mem() -> dict[str, Any]:
    """The worker's own passes (every registered job, as `salama worker` runs them) one hour
    after EPOCH, when about 4,000 persons have fallen due; rolled back. Returns VmHWM."""
    import os

    import time_machine
    from django.db import transaction

    from bench.common import vm_hwm_mb
    from bench.dataset import EPOCH
    from salama.worker.loop import JOBS, run_once

    with time_machine.travel(EPOCH + timedelta(minutes=60), tick=True), transaction.atomic():
        passes = 0
        started = time.perf_counter()
        while run_once() and passes < 2:  # a pass flips at most one batch (500 persons)
            passes += 1
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return {
        "peak_mb": vm_hwm_mb(os.getpid()),
        "passes": passes + 1,
        "seconds": round(elapsed, 3),
        "jobs": [j.__name__ for j in JOBS],
    }


def board_now(slug: str, runs: int) -> dict[str, Any]:
    """The board summary and both lists of one organisation, now (the SQLite benchmark)."""
    from salama.accounts.models import Organisation
    from salama.lib import clock
    from salama.safety import selectors

    org = Organisation.objects.get(slug=slug)
    filters = selectors.Filters()
    since = clock.now() - timedelta(minutes=10)
    people = selectors.board_people(org, filters)
    cases: dict[str, Callable[[], Any]] = {
        "board_summary": lambda: selectors.board_summary(org, filters),
        "overdue_list": lambda: list(selectors.overdue_list(people, clock.now())[:PAGE]),
        "not_heard_since": lambda: list(selectors.not_heard_since(people, since)[:PAGE]),
    }
    results: dict[str, Any] = {"persons": people.count()}
    for name, fn in cases.items():
        fn()
        results[name] = {"ms": _timed(fn, runs)}
    return results


def main() -> None:
    django.setup()
    if sys.argv[1] == "measure":
        print(json.dumps(measure(int(sys.argv[2]))))
    elif sys.argv[1] == "board-now":
        print(json.dumps(board_now(sys.argv[2], int(sys.argv[3]))))
    else:
        print(json.dumps(worker_mem()))


if __name__ == "__main__":
    main()
