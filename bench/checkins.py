"""P1: the framework floor, the API check-in, the inbound text and the batch in ONE interleaved
run on one server and one database (A, B, C, D, then again), so that every ratio compares runs
taken side by side on the same machine under the same load.

For each run: requests per second, latency, the CPU spent per request by the web workers and by
PostgreSQL (from /proc: utime + stime of the gunicorn workers and of every PostgreSQL process,
before and after), the CPU wrk itself used, and the CPU everything ELSE on the machine used
meanwhile (the machine's busy time from /proc/stat minus ours). A run during which other work
took more than DISTURBED of the machine is marked disturbed; the ratios are given over every
round and, when there are any, over the undisturbed rounds only.

QUICK (`make bench QUICK=1`): one short round, only to show the scripts run. It is NOT a
measurement and never says a target is met.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
from pathlib import Path
from typing import Any

from bench import common
from bench.common import VAR, log
from bench.pgcluster import Cluster, spare_port

MARK_START = "<!-- bench:checkins:start -->"
MARK_END = "<!-- bench:checkins:end -->"
BATCH = 20  # check-ins per batch request
DISTURBED = 0.15  # share of the machine's CPU used by others during a run
TICK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1
CASES = ("floor", "api", "text", "batch")
TARGETS = {
    "api_over_floor": 0.5,
    "text_over_api": 0.5,
    "batch_over_api": 3.0,
}
P99_TARGET_MS = 50.0


def _ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)


def _machine_busy() -> tuple[int, int]:
    """(busy, total) clock ticks of all cores since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    total = sum(values[:8])
    return total - idle, total


def _postgres_pids(cluster: Cluster) -> list[int]:
    master = int((cluster.data / "postmaster.pid").read_text().split()[0])
    return [master, *common.children(master)]


class Meter:
    """CPU of the web workers, PostgreSQL, wrk and everything else, across one run."""

    def __init__(self, server: common.Server, cluster: Cluster) -> None:
        self.server, self.cluster = server, cluster

    def _sample(self) -> dict[str, Any]:
        busy, total = _machine_busy()
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {
            "web": {p: _ticks(p) / TICK for p in self.server.worker_pids()},
            "pg": {p: _ticks(p) / TICK for p in _postgres_pids(self.cluster)},
            "wrk": kids.ru_utime + kids.ru_stime,
            "busy": busy / TICK,
            "total": total / TICK,
        }

    def __enter__(self) -> Meter:
        self.before = self._sample()
        self.load = common_loadavg()
        return self

    def __exit__(self, *exc: Any) -> None:
        after = self._sample()
        # Per process: one that ended during the run (an autovacuum worker) takes its ticks
        # with it, one that started counts from zero; a sum over processes would go negative.
        self.delta = {
            k: (
                sum(t - self.before[k].get(p, 0.0) for p, t in v.items())
                if isinstance(v, dict)
                else v - self.before[k]
            )
            for k, v in after.items()
        }

    def result(self, done: int) -> dict[str, Any]:
        d = self.delta
        others = max(0.0, d["busy"] - d["web"] - d["pg"] - d["wrk"])
        share = others / d["total"] if d["total"] else 0.0
        return {
            "load_before": self.load,
            "web_ms": round(1000 * d["web"] / done, 3) if done else None,
            "pg_ms": round(1000 * d["pg"] / done, 3) if done else None,
            "wrk_ms": round(1000 * d["wrk"] / done, 3) if done else None,
            "others_share": round(share, 3),
            "disturbed": share > DISTURBED,
        }


def common_loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def _fixtures(cluster: Cluster, work: Path, cfg: dict[str, Any]) -> tuple[dict[str, str], dict]:
    url = cluster.recreate_db("salama_checkins")
    shutil.rmtree(work / "keys", ignore_errors=True)
    env = common.salama_env(url, work)
    common.migrate(env)
    persons = cfg["ingest_persons"]
    api = work / "api.txt"
    common.py_json("bench.fixtures", env, str(persons), str(api))
    lines = api.read_text().splitlines()
    floor = work / "floor.txt"
    floor.write_text('/bench-floor/row\n{"status": "SAFE"}\nperson 0\n')
    batch = work / "batch.txt"
    items = ", ".join(f'{{"key": "%KEY%-{i}", "status": "SAFE"}}' for i in range(BATCH))
    batch.write_text("\n".join(["/api/checkins/batch", f'{{"items": [{items}]}}', *lines[2:]]))
    hook = common.py_json(
        "bench.b2db", env, "org", "hook", str(persons), "http://127.0.0.1:9/none", "10", "20"
    )
    from bench.b2db import number

    texts = work / "senders.txt"
    texts.write_text(hook["secret"] + "\n" + "\n".join(number(i) for i in range(persons)) + "\n")
    paths = {
        "floor": str(floor),
        "api": str(api),
        "batch": str(batch),
        "text": str(texts),
        "text_path": f"/messaging/hooks/{hook['gateway_key']}/inbound",
    }
    return env, paths


def _one(case: str, base: str, paths: dict, seconds: int, tag: str, rate: float = 0) -> dict:
    from bench.rollcalls import hook_wrk

    if case == "text":
        return hook_wrk(base + paths["text_path"], Path(paths["text"]), seconds, tag)
    url = {"floor": "/bench-floor/row", "api": "/api/checkins", "batch": "/api/checkins/batch"}
    connections = 8 if rate else 16
    return common.wrk(
        base + url[case],
        Path(paths[case]),
        threads=2,
        connections=connections,
        seconds=seconds,
        rate=rate,
        tag=tag,
    )


def run(cluster: Cluster, cfg: dict[str, Any], quick: bool, workers: int) -> dict[str, Any]:
    work = VAR / "checkins"
    env, paths = _fixtures(cluster, work, cfg)
    rounds = 1 if quick else cfg["checkin_rounds"]
    seconds = cfg["max_seconds"] if not quick else 3
    out: dict[str, Any] = {"quick": quick, "web_workers": workers, "batch": BATCH, "runs": []}
    server = common.Server(env, spare_port(18600), workers, work / "server.log").start()
    try:
        base = server.base
        for case in CASES:  # warm every path (and PostgreSQL's prepared statements)
            _one(case, base, paths, 3 if quick else 5, f"cw-{case}")
        for i in range(rounds):
            for case in CASES:
                with Meter(server, cluster) as meter:
                    r = _one(case, base, paths, seconds, f"c{i}-{case}")
                per = BATCH if case == "batch" else 1
                entry = {
                    "round": i,
                    "case": case,
                    "rate": r["rate"],
                    "checkins_per_s": r["rate"] * per,
                    "p50_ms": r["p50_ms"],
                    "p99_ms": r["p99_ms"],
                    "errors": r["non2xx"] + r["socket_errors"],
                    **meter.result(r["requests"]),
                }
                out["runs"].append(entry)
                log(f"checkins {case} round {i}: {entry['checkins_per_s']:.0f}/s {entry}")
            with Meter(server, cluster) as meter:
                r = _one("api", base, paths, seconds, f"c{i}-paced", rate=300)
            out["runs"].append(
                {
                    "round": i,
                    "case": "api_paced_300",
                    "rate": r["rate"],
                    "p50_ms": r["p50_ms"],
                    "p99_ms": r["p99_ms"],
                    "errors": r["non2xx"] + r["socket_errors"],
                    **meter.result(r["requests"]),
                }
            )
    finally:
        server.stop()
    out["summary"] = summarise(out["runs"], rounds)
    return out


def _ratios(runs: list[dict], rounds: list[int]) -> dict[str, list[float]]:
    by = {(r["round"], r["case"]): r for r in runs}
    ratios: dict[str, list[float]] = {k: [] for k in TARGETS}
    for i in rounds:
        floor, api = by[(i, "floor")]["rate"], by[(i, "api")]["checkins_per_s"]
        text, batch = by[(i, "text")]["checkins_per_s"], by[(i, "batch")]["checkins_per_s"]
        if floor and api:
            ratios["api_over_floor"].append(api / floor)
            ratios["text_over_api"].append(text / api)
            ratios["batch_over_api"].append(batch / api)
    return ratios


def summarise(runs: list[dict], rounds: int) -> dict[str, Any]:
    every = list(range(rounds))
    calm = [
        i
        for i in every
        if not any(r["disturbed"] for r in runs if r["round"] == i and r["case"] in CASES)
    ]
    out: dict[str, Any] = {"rounds": rounds, "undisturbed_rounds": calm}
    for name, values in _ratios(runs, every).items():
        out[name] = common.spread(values) if values else None
    if calm:
        out["undisturbed"] = {
            name: common.spread(values) for name, values in _ratios(runs, calm).items() if values
        }
    for case in (*CASES, "api_paced_300"):
        mine = [r for r in runs if r["case"] == case]
        out[case] = {
            "per_s": common.spread([r.get("checkins_per_s", r["rate"]) for r in mine]),
            "p99_ms": common.spread([r["p99_ms"] for r in mine]),
            "web_ms": _med([r["web_ms"] for r in mine]),
            "pg_ms": _med([r["pg_ms"] for r in mine]),
            "errors": sum(r["errors"] for r in mine),
            "disturbed": sum(1 for r in mine if r["disturbed"]),
        }
    return out


def _med(values: list[float | None]) -> float | None:
    real = [v for v in values if v is not None]
    return round(statistics.median(real), 3) if real else None


LABELS = {
    "floor": "Framework floor (bare view, one INSERT)",
    "api": "API check-in (token, Idempotency-Key)",
    "text": "Inbound text (signed JSON webhook, SAFE)",
    "batch": f"Batch of {BATCH} check-ins (per check-in)",
    "api_paced_300": "API check-in paced at 300/s",
}


def render(results: dict[str, Any]) -> str:
    c = results["checkins"]
    s = c["summary"]
    quick = c["quick"]
    lines = [
        f"Measured {results['date']} by `make bench` ({s['rounds']} interleaved round(s) of "
        f"floor, API, text, batch, then the API paced at 300/s; gunicorn {c['web_workers']} "
        f"workers; load average before {results['load_before']:.2f}).",
    ]
    if quick:
        lines += ["", "**QUICK: not a measurement** (one short round; no target is judged)."]
    lines += [
        "",
        "| path | per second (median) | spread | p99 | CPU web / PostgreSQL per request | "
        "disturbed runs |",
        "|---|---|---|---|---|---|",
    ]
    for case in (*CASES, "api_paced_300"):
        e = s[case]
        per = e["per_s"]
        lines.append(
            f"| {LABELS[case]} | {per['median']:,.0f} | {per['min']:,.0f} – {per['max']:,.0f} | "
            f"{e['p99_ms']['median']:.1f} ms | {e['web_ms']} / {e['pg_ms']} ms | "
            f"{e['disturbed']} of {len(per['runs'])} |"
        )
    lines += ["", "| ratio (same round) | median | spread | target | met |"]
    lines.append("|---|---|---|---|---|")
    names = {
        "api_over_floor": "API ÷ floor",
        "text_over_api": "text ÷ API",
        "batch_over_api": "batch ÷ API (check-ins/s)",
    }
    for key, label in names.items():
        v = s.get(key)
        if not v:
            continue
        met = "not a measurement" if quick else ("yes" if v["median"] >= TARGETS[key] else "no")
        lines.append(
            f"| {label} | {v['median']:.3f} | {v['min']:.3f} – {v['max']:.3f} | "
            f"≥ {TARGETS[key]} | {met} |"
        )
    p99 = s["api_paced_300"]["p99_ms"]["median"]
    met = "not a measurement" if quick else ("yes" if p99 < P99_TARGET_MS else "no")
    lines.append(f"| API p99 at 300/s | {p99:.1f} ms | | < {P99_TARGET_MS:.0f} ms | {met} |")
    calm = s.get("undisturbed")
    if calm:
        parts = ", ".join(f"{names[k]} {v['median']:.3f}" for k, v in calm.items())
        lines += ["", f"Undisturbed rounds only ({s['undisturbed_rounds']}): {parts}."]
    else:
        lines += [
            "",
            "Every round was disturbed (other work on the machine took more than "
            f"{DISTURBED:.0%} of its CPU during a run): the ratios compare runs taken side by "
            "side, but the absolute figures are low.",
        ]
    return "\n".join(lines)
