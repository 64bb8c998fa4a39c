"""`make bench`: every benchmark, then var/bench/results.json and the table in
docs/benchmarks.md. `make bench QUICK=1` (or --quick): small sizes, a few seconds each, only to
show the scripts still run (CI).

Everything runs on 127.0.0.1 against a private PostgreSQL cluster in var/bench/pg (created on
first use, kept: the scale dataset lives there and is reused), plus an SQLite file for the
embedded-default figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import checkins, common, field_page, report, rollcalls
from bench import evacuation as e1
from bench import evidence as l1
from bench import facilities as fa1
from bench import incidents as i1
from bench import reports as r1
from bench.common import VAR, log, spread
from bench.pgcluster import Cluster, spare_port

PHASES = {
    "ingest": "API check-ins and the framework floor",
    "scale": "board, lists, timeline, sweep",
    "sqlite": "the embedded default",
    "rollcalls": "roll calls through gateway limits, urgent first, fan-out, webhook (B2)",
    "facilities": "the facilities board and map: 2,000 facilities, 1,000,000 updates (FA1)",
    "evidence": "the evidence ledger: appends and proofs at 1,000,000 entries, verify (L1)",
    "incidents": "attacks on health care: drafts, queue, list and map, public CSV (I1)",
    "reports": "the sitrep: a PDF for 100 persons, aggregates for 100,000, memory (R1)",
    "evacuation": "the evacuation queue with 10,000 open requests; assigning 200 evacuees (E1)",
    "field_page": "the field page's first load against its 50 KB budget, in bytes (O1)",
    "checkins": "floor, API check-in, inbound text and batch, interleaved (P1)",
}


def sizes(quick: bool) -> dict[str, Any]:
    if quick:
        return dict(
            scale_persons=1000,
            per_person=20,
            scale_runs=3,
            ingest_persons=100,
            runs=1,
            max_seconds=3,
            paced_seconds=3,
            warm_seconds=1,
            scan=False,
            sqlite_persons=50,
            facilities=200,
            facility_updates=20_000,
            ledger_large=20_000,
            ledger_small=2_000,
            incidents=2000,
            report_small=100,
            report_large=2000,
            evacuation_requests=1000,
            checkin_rounds=1,
        )
    return dict(
        scale_persons=100_000,
        per_person=100,
        scale_runs=7,
        ingest_persons=1000,
        runs=3,
        max_seconds=15,
        paced_seconds=20,
        warm_seconds=3,
        scan=True,
        sqlite_persons=200,
        facilities=2000,
        facility_updates=1_000_000,
        ledger_large=1_000_000,
        ledger_small=100_000,
        incidents=100_000,
        report_small=100,
        report_large=100_000,
        evacuation_requests=10_000,
        # 5: on a 2-core virtual machine one round's run can dip by a fifth (docs/benchmarks.md).
        checkin_rounds=int(os.environ.get("BENCH_CHECKIN_ROUNDS", "5")),
    )


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def ingest(cluster: Cluster, cfg: dict[str, Any], workers: int) -> dict[str, Any]:
    """Check-ins through the API (token, Idempotency-Key, gunicorn, PostgreSQL) against the
    framework floor on the same server and database."""
    url = cluster.recreate_db("salama_ingest")
    work = VAR / "ingest"
    shutil.rmtree(work / "keys", ignore_errors=True)
    env = common.salama_env(url, work)
    common.migrate(env)
    data = work / "checkins.txt"
    common.py_json("bench.fixtures", env, str(cfg["ingest_persons"]), str(data))
    floor = work / "floor.txt"
    floor.write_text('/bench-floor/row\n{"status": "SAFE"}\nperson 0\n')
    out: dict[str, Any] = {"web_workers": workers, "persons": cfg["ingest_persons"]}
    server = common.Server(env, spare_port(18400), workers, work / "server.log").start()
    try:
        base = server.base
        out["token_post_without_csrf"] = common.probe_token_post(base, data)
        common.wrk(
            base + "/api/checkins",
            data,
            threads=2,
            connections=8,
            seconds=cfg["warm_seconds"],
            tag="warm",
        )
        floor_runs, api_runs, bad = [], [], 0
        for i in range(cfg["runs"]):
            f = common.wrk(
                base + "/bench-floor/row",
                floor,
                threads=2,
                connections=16,
                seconds=cfg["max_seconds"],
                tag=f"floor{i}",
            )
            a = common.wrk(
                base + "/api/checkins",
                data,
                threads=2,
                connections=16,
                seconds=cfg["max_seconds"],
                tag=f"max{i}",
            )
            floor_runs.append(f["rate"])
            api_runs.append(a["rate"])
            bad += f["non2xx"] + a["non2xx"] + f["socket_errors"] + a["socket_errors"]
            out.setdefault("statuses", []).append(a["bad_statuses"].strip())
        out["floor_rps"] = spread(floor_runs)
        out["ingest_rps"] = spread(api_runs)
        out["ratio"] = spread([a / f for a, f in zip(api_runs, floor_runs, strict=True)])
        p50, p99, achieved = [], [], []
        for i in range(cfg["runs"]):
            r = common.wrk(
                base + "/api/checkins",
                data,
                threads=2,
                connections=8,
                seconds=cfg["paced_seconds"],
                rate=300,
                tag=f"paced{i}",
            )
            p50.append(r["p50_ms"])
            p99.append(r["p99_ms"])
            achieved.append(r["rate"])
            bad += r["non2xx"] + r["socket_errors"]
        out["paced_p50_ms"] = spread(p50)
        out["paced_p99_ms"] = spread(p99)
        out["paced_rate"] = spread(achieved)
        out["errors"] = bad
        out["web_peak_mb"] = server.peak_worker_mb()
    finally:
        server.stop()
    out["checkins_stored"] = int(
        cluster.psql("SELECT count(*) FROM safety_checkin", "salama_ingest")
    )
    if cfg["scan"]:
        out["workers_scan"] = scan_workers(env, data, cfg)
    return out


def scan_workers(env: dict[str, str], data: Path, cfg: dict[str, Any]) -> dict[str, float]:
    """Sustained check-ins per second for several gunicorn worker counts (one short run each)."""
    result = {}
    for workers in (2, 3, 4, 6, 8):
        server = common.Server(env, spare_port(18400), workers, VAR / "ingest" / "scan.log")
        server.start()
        try:
            r = common.wrk(
                server.base + "/api/checkins",
                data,
                threads=2,
                connections=16,
                seconds=8,
                tag=f"scan{workers}",
            )
            result[str(workers)] = round(r["rate"], 1)
        finally:
            server.stop()
    return result


def scale(cluster: Cluster, cfg: dict[str, Any], quick: bool) -> dict[str, Any]:
    db = "salama_scale_quick" if quick else "salama_scale"
    if not cluster.has_db(db):
        cluster.psql(f'CREATE DATABASE "{db}"')
    env = common.salama_env(cluster.url(db), VAR / ("scale-quick" if quick else "scale"))
    common.migrate(env)
    started = time.monotonic()
    built = common.py_json("bench.dataset", env, str(cfg["scale_persons"]), str(cfg["per_person"]))
    log(f"dataset: {built} ({time.monotonic() - started:.0f} s)")
    out = common.py_json("bench.scale", env, "measure", str(cfg["scale_runs"]))
    for value in out.values():
        if isinstance(value, dict) and "ms" in value:
            value["ms"] = spread(value["ms"])
    out["dataset"] = built
    out["worker"] = common.py_json("bench.scale", env, "worker-mem")
    return out


def sqlite(cfg: dict[str, Any], workers: int) -> dict[str, Any]:
    """The embedded default: the same API and board on SQLite, for a small organisation."""
    work = VAR / "sqlite"
    shutil.rmtree(work, ignore_errors=True)
    env = common.salama_env("", work)
    common.migrate(env)
    data = work / "checkins.txt"
    common.py_json("bench.fixtures", env, str(cfg["sqlite_persons"]), str(data))
    out: dict[str, Any] = {"persons": cfg["sqlite_persons"], "web_workers": workers}
    server = common.Server(env, spare_port(18450), workers, work / "server.log").start()
    try:
        rates, p99s, p50s, bad = [], [], [], 0
        for i in range(cfg["runs"]):
            r = common.wrk(
                server.base + "/api/checkins",
                data,
                threads=2,
                connections=8,
                seconds=cfg["max_seconds"],
                tag=f"sqlite-max{i}",
            )
            rates.append(r["rate"])
            bad += r["non2xx"] + r["socket_errors"]
            r = common.wrk(
                server.base + "/api/checkins",
                data,
                threads=2,
                connections=4,
                seconds=cfg["paced_seconds"],
                rate=50,
                tag=f"sqlite-paced{i}",
            )
            p50s.append(r["p50_ms"])
            p99s.append(r["p99_ms"])
            bad += r["non2xx"] + r["socket_errors"]
        out["ingest_rps"] = spread(rates)
        out["paced_rate"] = 50
        out["paced_p50_ms"] = spread(p50s)
        out["paced_p99_ms"] = spread(p99s)
        out["errors"] = bad
    finally:
        server.stop()
    board = common.py_json("bench.scale", env, "board-now", "ingest", "7")
    for value in board.values():
        if isinstance(value, dict):
            value["ms"] = spread(value["ms"])
    out["board"] = board
    return out


def run_phases(
    phases: dict[str, Callable[[], dict[str, Any]]],
    chosen: list[str],
    quick: bool,
    results: dict[str, Any],
) -> None:
    if quick:
        # QUICK only shows the scripts run: the phases run side by side to keep CI short.
        with ThreadPoolExecutor(max_workers=len(chosen)) as pool:
            futures = {name: pool.submit(phases[name]) for name in chosen}
            for name, future in futures.items():
                results[name] = future.result()
    else:
        for name in chosen:
            log(f"{name}: {PHASES[name]}")
            results[name] = phases[name]()


def run_field(cluster: Cluster, results: dict[str, Any]) -> None:
    """`make bench FIELD=1`: the field roll calls in real time, once each (about 15 minutes)."""
    started = time.monotonic()
    try:
        results["field"] = rollcalls.field(cluster, 1.0, quick=False)
    finally:
        cluster.stop()
    # A run through one gateway (BENCH_FIELD_GATEWAY) keeps the other gateway's last figures.
    previous = VAR / "results-field.json"
    if previous.exists():
        before = json.loads(previous.read_text())
        for name, case in before.get("field", {}).items():
            if name not in results["field"]:
                kept_from = case.get("kept_from", before["date"])
                results["field"][name] = {**case, "kept_from": kept_from}
    results["load_after"] = loadavg()
    results["seconds"] = round(time.monotonic() - started, 1)
    (VAR / "results-field.json").write_text(json.dumps(results, indent=2))
    report.write_section(
        rollcalls.FIELD_START, rollcalls.FIELD_END, rollcalls.render_field(results)
    )
    log(f"wrote {VAR / 'results-field.json'} and docs/benchmarks.md")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", default=os.environ.get("QUICK") == "1")
    parser.add_argument(
        "--only",
        choices=list(PHASES),
        action="append",
    )
    parser.add_argument(
        "--field",
        action="store_true",
        default=os.environ.get("FIELD") == "1",
        help="only the field roll calls, in real time (B2, bench/rollcalls.py)",
    )
    args = parser.parse_args()
    quick = args.quick
    cfg = sizes(quick)
    workers = int(os.environ.get("BENCH_WEB_WORKERS", "4"))
    VAR.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "machine": common.machine(),
        "load_before": loadavg(),
    }
    # The real-time field runs take their own cluster, so they can run beside `make bench`.
    cluster = Cluster(VAR / ("pg-field" if args.field else "pg"))
    cluster.start()
    if args.field:
        run_field(cluster, results)
        return
    only = set(args.only or PHASES)
    started = time.monotonic()
    phases: dict[str, Callable[[], dict[str, Any]]] = {
        "ingest": lambda: ingest(cluster, cfg, workers),
        "scale": lambda: scale(cluster, cfg, quick),
        "sqlite": lambda: sqlite(cfg, workers),
        "rollcalls": lambda: rollcalls.run_all(cluster, cfg, quick, workers),
        "facilities": lambda: fa1.run(cluster, cfg, quick),
        "evidence": lambda: l1.run(cluster, cfg, quick),
        "incidents": lambda: i1.run(cluster, cfg, quick),
        "reports": lambda: r1.run(cluster, cfg, quick),
        "evacuation": lambda: e1.run(cluster, cfg, quick),
        "field_page": lambda: field_page.run(cluster, cfg, quick),
        "checkins": lambda: checkins.run(cluster, cfg, quick, workers),
    }
    chosen = [name for name in phases if name in only]
    try:
        run_phases(phases, chosen, quick, results)
    finally:
        cluster.stop()  # kept on disk (the scale dataset); started again by the next run
    results["load_after"] = loadavg()
    results["seconds"] = round(time.monotonic() - started, 1)
    name = "results-quick.json" if quick else "results.json"
    core = {"ingest", "scale", "sqlite"}  # the phases of the main Results table
    if not core <= only:  # a partial run (--only X) keeps the last full run's file and table
        name = name.replace("results", "results-" + "-".join(sorted(only)))
    (VAR / name).write_text(json.dumps(results, indent=2))
    log(f"wrote {VAR / name}")
    if not quick:
        if core <= only:
            report.write(results)
        if "checkins" in results:
            report.write_section(checkins.MARK_START, checkins.MARK_END, checkins.render(results))
        if "facilities" in results:
            report.write_section(fa1.MARK_START, fa1.MARK_END, fa1.render(results))
        if "evidence" in results:
            report.write_section(l1.MARK_START, l1.MARK_END, l1.render(results))
        if "incidents" in results:
            report.write_section(i1.MARK_START, i1.MARK_END, i1.render(results))
        if "reports" in results:
            report.write_section(r1.MARK_START, r1.MARK_END, r1.render(results))
        if "evacuation" in results:
            report.write_section(e1.MARK_START, e1.MARK_END, e1.render(results))
        if "field_page" in results:
            report.write_section(
                field_page.MARK_START, field_page.MARK_END, field_page.render(results)
            )
        if "rollcalls" in results:
            report.write_section(
                rollcalls.MARK_START, rollcalls.MARK_END, rollcalls.render(results)
            )
        log("wrote docs/benchmarks.md")
    else:
        print(report.render(results)[:2000])
        if "checkins" in results:
            print(checkins.render(results))


if __name__ == "__main__":
    main()
