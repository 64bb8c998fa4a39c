"""B2: roll calls through real-world gateway limits, urgent messages first (docs/benchmarks.md).

- field: a 150-person Arabic safety roll call through a simulated Android phone (30 texts a
  minute a SIM): one SIM, three SIMs on three operators, one SIM dropping off for two minutes
  mid-send. Time to the last recipient against the estimate the roll-call page showed, loss.
  `make bench FIELD=1` runs them in real time; `make bench` ten times faster (pacing, drop-off
  and retry back-off all scaled: bench/settings_fast.py).
- urgent: life-safety messages queued while a 100,000-message bulk send drains through the
  JSON gateway at 10/s; their wait from creation to hand-off. Then the same through the Android
  phone gateway: a simulated phone polling the real web server every 10 s (bench.android_phone)
  while a bulk send on the android channel drains through it; the bound is one poll interval.
- fanout: open a roll call to 10,000 and 100,000 recipients (snapshot and queue), the first
  hand-off after the commit, the dispatch rate against the configured one, the worker's memory.
- webhook: signed inbound texts (SAFE) through the JSON gateway's webhook, with wrk.

The gateway is the generic JSON gateway (salama.messaging.channels.http_json) pointed at a
local HTTP server (bench.phone), on a private PostgreSQL cluster, except in the urgent phase's
phone case (the Android gateway's poll protocol, salama.messaging.channels.android).
"""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path
from typing import Any

from bench import common
from bench.common import VAR, log
from bench.pgcluster import Cluster, spare_port
from bench.phone import Phone
from faults.run import Worker

MARK_START = "<!-- bench:rollcalls:start -->"
MARK_END = "<!-- bench:rollcalls:end -->"
FIELD_START = "<!-- bench:field:start -->"
FIELD_END = "<!-- bench:field:end -->"
FIELD_PERSONS = 150
PER_SIM = 0.5  # texts a second: an Android phone's SMS manager, about 30 a minute
DROP_SECONDS = 120.0


def worker_peak(worker: Worker) -> float:
    if worker.proc is None:
        return 0.0
    return common.vm_hwm_mb(worker.proc.pid) or 0.0


def _env(cluster: Cluster, db: str, work: Path, fast: bool = False) -> dict[str, str]:
    extra = {"DJANGO_SETTINGS_MODULE": "bench.settings_fast"} if fast else {}
    return common.salama_env(
        cluster.url(db), work, SALAMA_OUTBOX_LEASE_SECONDS="30", SALAMA_LOG_LEVEL="WARNING", **extra
    )


def _fresh_db(cluster: Cluster, db: str, work: Path, fast: bool = False) -> dict[str, str]:
    cluster.recreate_db(db)
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    env = _env(cluster, db, work, fast)
    common.migrate(env)
    return env


# --- 1. field roll calls ---------------------------------------------------------------------


def field_case(
    env: dict[str, str], work: Path, slug: str, sims: int, scale: float, drop: bool
) -> dict[str, Any]:
    per_sim = PER_SIM * scale
    rate = per_sim * sims
    phone = Phone(spare_port(18600), work / f"{slug}-phone.jsonl", sims, per_sim).start()
    try:
        common.py_json(
            "bench.b2db",
            env,
            "org",
            slug,
            str(FIELD_PERSONS),
            phone.url,
            str(rate),
            # Burst: two seconds of the phone's rate (one text at 30 a minute), scaled with it.
            str(max(1.0, 2 * rate)),
            str(sims),
        )
        worker = Worker(env, work / f"{slug}-worker.log")
        worker.start()
        time.sleep(3)  # the worker is up and idle, as it is when a coordinator opens a call
        opened = common.py_json("bench.b2db", env, "open", slug)
        estimate = opened["estimate_seconds"] or 0.0
        drop_for = DROP_SECONDS / scale
        deadline = time.monotonic() + estimate * 3 + drop_for * 4 + 60
        dropped_at = None
        while phone.sent < FIELD_PERSONS and time.monotonic() < deadline:
            if drop and dropped_at is None and phone.sent >= FIELD_PERSONS * 0.4:
                log(f"field {slug}: the phone drops off for {drop_for:.0f} s")
                dropped_at = time.time()
                phone.down()
                time.sleep(drop_for)
                phone.up()
            time.sleep(0.1)
        # The last transmission is taken from the phone; a few seconds more for stragglers.
        time.sleep(1)
        peak = worker_peak(worker)
        worker.stop()
        out = common.py_json("bench.b2db", env, "outcome", slug, str(opened["number"]))
    finally:
        phone.stop()
    result = {
        "sims": sims,
        "per_sim_per_minute": round(per_sim * 60, 1),
        **_timing(opened, out, estimate, drop_for if drop else 0.0, phone.last_sent_at, scale),
        "transmitted": phone.sent,
        "lost": FIELD_PERSONS - phone.sent,
        "duplicate_handoffs": phone.duplicates(),
        "refused_while_down": phone.refused,
        "retried": out["retried"],
        "max_attempts": out["max_attempts"],
        "states": out["states"],
        "worker_peak_mb": round(peak, 1),
    }
    log(f"field {slug}: {result}")
    return result


def _timing(
    opened: dict[str, Any],
    out: dict[str, Any],
    estimate: float,
    drop_s: float,
    last_at: float,
    scale: float,
) -> dict[str, Any]:
    """A field case's times from the commit, against the page's estimate (plus the time off
    the network)."""
    committed = opened["committed_at"]
    expected = estimate + drop_s
    to_last = last_at - committed if last_at else None
    return {
        "scale": scale,
        "recipients": FIELD_PERSONS,
        "segments": opened["segments"],
        "encoding": opened["encoding"],
        "estimate_s": estimate,
        "drop_s": drop_s,
        "expected_s": round(expected, 1),
        "to_last_transmit_s": round(to_last, 1) if to_last is not None else None,
        "to_last_handoff_s": round((out["last_handoff_at"] or committed) - committed, 1),
        "first_handoff_s": round((out["first_handoff_at"] or committed) - committed, 2),
        "error": round((to_last - expected) / expected, 4) if to_last and expected else None,
    }


def field_case_android(
    env: dict[str, str], work: Path, slug: str, sims: int, scale: float, drop: bool
) -> dict[str, Any]:
    """The same roll call through the Android phone gateway's own protocol: one simulated phone
    a SIM (bench.android_phone), each on its operator, polling the real `salama serve` every
    POLL_SECONDS (scaled) with its real secret, paced PHONE_PER_MINUTE (scaled) by its own
    bucket; the phone drops off the network by not polling."""
    from bench.android_phone import PollingPhone
    from bench.b2db import OPERATORS

    interval = POLL_SECONDS / scale
    common.py_json(
        "bench.b2db", env, "org", slug, str(FIELD_PERSONS), "http://127.0.0.1:9/none", "10", "20",
        str(sims),
    )  # fmt: skip
    made = [
        common.py_json(
            "bench.b2db", env, "phone", slug, str(PHONE_PER_MINUTE), OPERATORS[i], str(scale)
        )
        for i in range(sims)
    ]
    server = common.Server(env, spare_port(18620), 2, work / f"{slug}-server.log").start()
    worker = Worker(env, work / f"{slug}-worker.log")
    phones: list[PollingPhone] = []
    drop_for = DROP_SECONDS / scale
    try:
        worker.start()
        phones = [
            PollingPhone(
                server.base, m["key"], m["secret"], interval, work / f"{slug}-{i}.jsonl"
            ).start()
            for i, m in enumerate(made)
        ]
        # Polling, idle, for six polls before the call opens: a phone in the field has been
        # polling all along, so the server knows its interval when the estimate is made.
        time.sleep(max(3.0, 6 * interval + 1))
        opened = common.py_json("bench.b2db", env, "open", slug)
        estimate = opened["estimate_seconds"] or 0.0
        deadline = time.monotonic() + estimate * 3 + drop_for * 4 + 60
        dropped_at = None
        while sum(p.taken for p in phones) < FIELD_PERSONS and time.monotonic() < deadline:
            if drop and dropped_at is None and phones[0].taken >= FIELD_PERSONS * 0.4:
                log(f"field {slug}: the phone drops off for {drop_for:.0f} s")
                dropped_at = time.time()
                phones[0].down()
                time.sleep(drop_for)
                phones[0].up()
            time.sleep(0.1)
        time.sleep(1)
        peak = worker_peak(worker)
        out = common.py_json("bench.b2db", env, "outcome", slug, str(opened["number"]))
    finally:
        for phone in phones:
            phone.stop()
        worker.stop()
        server.stop()
    last = max(p.last_at for p in phones)
    result = {
        "gateway": "android",
        "poll_s": interval,
        "sims": sims,
        "per_sim_per_minute": round(PHONE_PER_MINUTE * scale, 1),
        **_timing(opened, out, estimate, drop_for if drop else 0.0, last, scale),
        "transmitted": sum(p.taken for p in phones),
        "lost": FIELD_PERSONS - len(set().union(*(p.first_at for p in phones))),
        "duplicate_handoffs": sum(p.duplicates() for p in phones),
        "refused_while_down": 0,
        "retried": out["retried"],
        "max_attempts": out["max_attempts"],
        "states": out["states"],
        "per_phone": [p.taken for p in phones],
        "poll_errors": sum(p.errors for p in phones),
        "worker_peak_mb": round(peak, 1),
    }
    log(f"field {slug}: {result}")
    return result


def field_gateways(real_time: bool) -> list[str]:
    """The gateways the field roll calls go through: BENCH_FIELD_GATEWAY=json|android|both;
    `make bench` (ten times faster) both, `make bench FIELD=1` (real time) the JSON gateway
    unless told (the Android cases take about 20 minutes more in real time)."""
    import os

    chosen = os.environ.get("BENCH_FIELD_GATEWAY", "json" if real_time else "both")
    return ["json", "android"] if chosen == "both" else [chosen]


def field(cluster: Cluster, scale: float, quick: bool) -> dict[str, Any]:
    work = VAR / ("field" if scale == 1 else "field-fast")
    env = _fresh_db(cluster, "salama_b2_field", work, fast=scale != 1)
    cases = [("one_sim", 1, False), ("three_sims", 3, False), ("one_sim_drop", 1, True)]
    if quick:
        cases = [("three_sims", 3, False)]
    out = {}
    for gateway in field_gateways(scale == 1):
        for name, sims, drop in cases:
            if gateway == "android":
                out[f"android_{name}"] = field_case_android(
                    env, work, f"android_{name}", sims, scale, drop
                )
            else:
                out[name] = field_case(env, work, name, sims, scale, drop)
    return out


# --- 2. urgent first -------------------------------------------------------------------------

# The phone gateway's case: one Android phone polling every POLL_SECONDS (docs/channels.md
# advises 10-15 s; SMSSync's auto-sync is set in such steps), at the fastest pace the phones
# page allows (Android stops an app at its 30th text in a minute).
POLL_SECONDS = 10.0
PHONE_PER_MINUTE = 29
# A life-safety text created just after a poll's claim is taken by the next poll: its wait is
# at most one interval plus that next poll's own time up to the hand-off (authenticate, take
# tokens, claim, mark sent). One second covers a poll on this machine with room to spare; the
# longest poll measured is reported beside it.
POLL_MARGIN = 1.0


def urgent(cluster: Cluster, quick: bool) -> dict[str, Any]:
    """Life-safety first through the JSON gateway (a worker pushing at 10/s), then through the
    Android phone gateway (a phone polling the web server)."""
    out = urgent_json(cluster, quick)
    out["phone"] = urgent_phone(cluster, quick)
    return out


def urgent_json(cluster: Cluster, quick: bool) -> dict[str, Any]:
    work = VAR / "urgent"
    env = _fresh_db(cluster, "salama_b2_urgent", work)
    bulk = 5000 if quick else 100_000
    count, spread = (3, 5.0) if quick else (20, 60.0)
    sink = Phone(spare_port(18650), work / "sink.jsonl").start()
    try:
        common.py_json("bench.b2db", env, "org", "urgent", "100", sink.url, "10", "20")
        queued = common.py_json("bench.b2db", env, "bulk", "urgent", str(bulk))
        log(f"urgent: {bulk:,} bulk deliveries queued in {queued['seconds']} s")
        worker = Worker(env, work / "worker.log")
        worker.start()
        time.sleep(5)
        before, started = sink.sent, time.monotonic()
        result = common.py_json("bench.b2db", env, "urgent", "urgent", str(count), str(spread))
        drained = (sink.sent - before) / (time.monotonic() - started)
        peak = worker_peak(worker)
        worker.stop()
    finally:
        sink.stop()
    waits = result["waits"]
    return {
        "bulk_queued": bulk,
        "bulk_rate": round(drained, 2),
        "configured_rate": 10,
        "urgent_queued": result["queued"],
        "urgent_handed_off": result["handed_off"],
        "wait_p50_s": round(statistics.median(waits), 3) if waits else None,
        "wait_max_s": round(max(waits), 3) if waits else None,
        "waits": [round(w, 3) for w in waits],
        "worker_peak_mb": round(peak, 1),
    }


def urgent_phone(cluster: Cluster, quick: bool) -> dict[str, Any]:
    """A bulk send queued on the android channel and drained by one simulated phone polling the
    real `salama serve` with its real secret (bench.android_phone), a worker running as in a
    deployment (it never sends on this channel); life-safety texts queued through
    queue_message at random moments over several poll intervals. Their wait from creation to
    hand-off (the poll that took each one) against one poll interval."""
    from bench.android_phone import PollingPhone

    db, slug = "salama_b2_urgent_phone", "phoneurgent"
    work = VAR / "urgent-phone"
    env = _fresh_db(cluster, db, work)
    # The phone takes about PHONE_PER_MINUTE texts a minute: a few thousand outlast the run.
    bulk = 300 if quick else 3000
    count, spread = (3, 3 * POLL_SECONDS) if quick else (12, 12 * POLL_SECONDS)
    common.py_json("bench.b2db", env, "org", slug, "100", "http://127.0.0.1:9/none", "10", "20")
    made = common.py_json("bench.b2db", env, "phone", slug, str(PHONE_PER_MINUTE), "93")
    queued = common.py_json("bench.b2db", env, "bulk", slug, str(bulk), "android")
    log(f"urgent (phone): {bulk:,} bulk deliveries queued in {queued['seconds']} s")
    server = common.Server(env, spare_port(18660), 2, work / "server.log").start()
    worker = Worker(env, work / "worker.log")
    phone = None
    try:
        worker.start()
        phone = PollingPhone(
            server.base, made["key"], made["secret"], POLL_SECONDS, work / "phone.jsonl"
        ).start()
        time.sleep(2 * POLL_SECONDS + 1)  # the phone has been draining the bulk send a while
        before, started = phone.taken, time.monotonic()
        result = common.py_json("bench.b2db", env, "urgent", slug, str(count), str(spread))
        elapsed = time.monotonic() - started
        taken = phone.taken - before
    finally:
        if phone is not None:
            phone.stop()
        worker.stop()
        server.stop()
    left = int(
        cluster.psql(
            "SELECT count(*) FROM messaging_delivery d JOIN messaging_message m "
            "ON m.id = d.message_id WHERE m.reason = 'bench-bulk' AND d.handed_off_at IS NULL",
            db,
        )
    )
    assert phone is not None
    waits = result["waits"]
    received = [
        phone.first_at[ref] - created
        for ref, created in result["created"].items()
        if ref in phone.first_at
    ]
    return {
        "poll_s": POLL_SECONDS,
        "margin_s": POLL_MARGIN,
        "bound_s": phone_poll_bound(),
        "per_minute": PHONE_PER_MINUTE,
        "bulk_queued": bulk,
        "bulk_left": left,
        "taken_per_minute": round(taken * 60 / elapsed, 1),
        "channels": result["channels"],
        "urgent_queued": result["queued"],
        "urgent_handed_off": result["handed_off"],
        "wait_p50_s": round(statistics.median(waits), 3) if waits else None,
        "wait_max_s": round(max(waits), 3) if waits else None,
        "waits": [round(w, 3) for w in waits],
        "received_p50_s": round(statistics.median(received), 3) if received else None,
        "received_max_s": round(max(received), 3) if received else None,
        "polls": phone.polls,
        "poll_errors": phone.errors,
        "poll_p50_s": round(statistics.median(phone.durations), 3) if phone.durations else None,
        "poll_max_s": round(max(phone.durations), 3) if phone.durations else None,
        "duplicates": phone.duplicates(),
    }


def phone_poll_bound() -> float:
    """The bound of a life-safety text's wait through the Android phone gateway: one poll
    interval of the phone (POLL_SECONDS; android.py leaves the interval to the phone's app)
    plus the margin for the taking poll's own time (POLL_MARGIN)."""
    return POLL_SECONDS + POLL_MARGIN


# --- 3. fan-out ------------------------------------------------------------------------------


def psql_float(cluster: Cluster, db: str, sql: str) -> float | None:
    value = cluster.psql(sql, db)
    return float(value) if value else None


def fanout_case(
    cluster: Cluster, db: str, env: dict[str, str], work: Path, slug: str, window: float
) -> dict[str, Any]:
    common.py_json("bench.b2db", env, "reset", slug)
    common.py_json("bench.b2db", env, "rate", "10", "20")
    worker = Worker(env, work / f"{slug}-worker.log")
    worker.start()
    peak = {"mb": 0.0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak["mb"] = max(peak["mb"], worker_peak(worker))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    time.sleep(3)
    opened = common.py_json("bench.b2db", env, "open", slug)
    reason = f"rollcall:{opened['number']}"
    first = None
    deadline = time.monotonic() + 60
    while first is None and time.monotonic() < deadline:
        first = psql_float(
            cluster,
            db,
            "SELECT extract(epoch FROM min(handed_off_at)) FROM messaging_delivery "  # noqa: S608
            "WHERE handed_off_at IS NOT NULL AND message_id IN (SELECT id FROM "
            f"messaging_message WHERE reason = '{reason}')",
        )
        time.sleep(0.2)
    rates = {}
    for configured in (10.0,) if window < 10 else (10.0, 100.0):
        if configured != 10.0:
            common.py_json("bench.b2db", env, "rate", str(configured), str(configured * 2))
        time.sleep(2)
        count_sql = (
            "SELECT count(*) FROM messaging_delivery "
            "WHERE handed_off_at IS NOT NULL AND channel = 'http_json'"
        )
        before, started = int(cluster.psql(count_sql, db)), time.monotonic()
        time.sleep(window)
        after = int(cluster.psql(count_sql, db))
        rates[str(int(configured))] = round((after - before) / (time.monotonic() - started), 2)
    stop.set()
    sampler.join()
    peak["mb"] = max(peak["mb"], worker_peak(worker))
    worker.stop()
    return {
        "recipients": opened["messages"],
        "open_s": opened["open_seconds"],
        "statements": opened["statements"],
        "open_peak_mb": opened["peak_mb"],
        "first_handoff_s": round(first - opened["committed_at"], 2) if first else None,
        "dispatch_rate": rates,
        "worker_peak_mb": round(peak["mb"], 1),
    }


def fanout(cluster: Cluster, quick: bool) -> dict[str, Any]:
    db = "salama_b2_fanout_quick" if quick else "salama_b2_fanout"
    work = VAR / ("fanout-quick" if quick else "fanout")
    sizes = {"fan1k": 1000} if quick else {"fan10k": 10_000, "fan100k": 100_000}
    sink = Phone(spare_port(18700), work / "sink.jsonl").start()
    try:
        fresh = not cluster.has_db(db)
        if fresh:
            cluster.psql(f'CREATE DATABASE "{db}"')
        env = _env(cluster, db, work)
        common.migrate(env)
        have = cluster.psql("SELECT string_agg(slug, ' ') FROM accounts_organisation", db).split()
        for slug, size in sizes.items():
            if slug not in have:
                started = time.monotonic()
                common.py_json("bench.b2db", env, "org", slug, str(size), sink.url, "10", "20")
                log(f"fanout: {size:,} persons built in {time.monotonic() - started:.0f} s")
            else:  # a kept dataset: point its gateway at this run's sink
                cluster.psql(
                    f"UPDATE messaging_gateway SET base_url = '{sink.url}' WHERE org_id = "  # noqa: S608
                    f"(SELECT id FROM accounts_organisation WHERE slug = '{slug}')",
                    db,
                )
        out = {}
        for slug, size in sizes.items():
            out[str(size)] = fanout_case(cluster, db, env, work, slug, 3.0 if quick else 15.0)
            log(f"fanout {size:,}: {out[str(size)]}")
        return out
    finally:
        sink.stop()


# --- 4. inbound webhook ----------------------------------------------------------------------


def webhook(cluster: Cluster, cfg: dict[str, Any], workers: int) -> dict[str, Any]:
    work = VAR / "webhook"
    env = _fresh_db(cluster, "salama_b2_hook", work)
    persons = 1000 if cfg["runs"] > 1 else 100
    made = common.py_json(
        "bench.b2db", env, "org", "hook", str(persons), "http://127.0.0.1:9/none", "10", "20", "2"
    )
    from bench.b2db import number

    data = work / "senders.txt"
    data.write_text(made["secret"] + "\n" + "\n".join(number(i, 2) for i in range(persons)) + "\n")
    url_path = f"/messaging/hooks/{made['gateway_key']}/inbound"
    server = common.Server(env, spare_port(18750), workers, work / "server.log").start()
    rates, p50, p99, bad = [], [], [], 0
    try:
        for i in range(cfg["runs"]):
            r = hook_wrk(server.base + url_path, data, cfg["max_seconds"], f"hook{i}")
            rates.append(r["rate"])
            p50.append(r["p50_ms"])
            p99.append(r["p99_ms"])
            bad += r["non2xx"] + r["socket_errors"]
        peak = server.peak_worker_mb()
    finally:
        server.stop()
    counts = cluster.psql(
        "SELECT (SELECT count(*) FROM messaging_inboundmessage) || ' ' || "
        "(SELECT count(*) FROM messaging_inboundmessage WHERE state = 'handled') || ' ' || "
        "(SELECT count(*) FROM safety_checkin) || ' ' || "
        "(SELECT count(*) FROM messaging_message WHERE reason = 'reply') || ' ' || "
        "(SELECT count(*) FROM messaging_rejectedwebhook)",
        "salama_b2_hook",
    ).split()
    return {
        "persons": persons,
        "web_workers": workers,
        "rate": common.spread(rates),
        "p50_ms": common.spread(p50),
        "p99_ms": common.spread(p99),
        "errors": bad,
        "stored": int(counts[0]),
        "handled": int(counts[1]),
        "checkins": int(counts[2]),
        "replies_queued": int(counts[3]),
        "rejected": int(counts[4]),
        "web_peak_mb": round(peak, 1),
    }


def hook_wrk(url: str, data: Path, seconds: int, tag: str) -> dict[str, Any]:
    import json
    import os
    import subprocess

    out = VAR / f"wrk-{tag}.json"
    out.unlink(missing_ok=True)
    argv = ["wrk", "-t", "2", "-c", "16", "-d", f"{seconds}s", "--timeout", "10s"]
    argv += ["-s", str(common.LUA / "hook.lua"), url, "--", str(data), tag]
    env = dict(os.environ, BENCH_WRK_OUT=str(out))
    subprocess.run(argv, env=env, check=True, capture_output=True, timeout=seconds + 60)  # noqa: S603
    result = json.loads(out.read_text())
    result["rate"] = result["requests"] / result["duration_s"] if result["duration_s"] else 0
    return result


# --- the phase, and its section of docs/benchmarks.md ----------------------------------------


def run_all(cluster: Cluster, cfg: dict[str, Any], quick: bool, workers: int) -> dict[str, Any]:
    """`make bench`'s B2 phase: the field roll calls ten times faster, urgent first, fan-out,
    the inbound webhook. QUICK: one small case of each, side by side (CI)."""
    parts = {
        "field": lambda: field(cluster, 10.0, quick),
        "urgent": lambda: urgent(cluster, quick),
        "fanout": lambda: fanout(cluster, quick),
        "webhook": lambda: webhook(cluster, cfg, workers),
    }
    out: dict[str, Any] = {}
    if quick:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=len(parts)) as pool:
            futures = {name: pool.submit(part) for name, part in parts.items()}
            out = {name: f.result() for name, f in futures.items()}
    else:
        for name, part in parts.items():
            log(f"rollcalls: {name}")
            out[name] = part()
    return out


FIELD_LABELS = {
    "one_sim": "one SIM",
    "three_sims": "three SIMs on three operators",
    "one_sim_drop": "one SIM, the phone off the network mid-send",
    "android_one_sim": "one phone",
    "android_three_sims": "three phones on three operators",
    "android_one_sim_drop": "one phone, off the network mid-send",
}


def _met(ok: bool | None) -> str:
    return "—" if ok is None else ("yes" if ok else "**no**")


def field_rows(field_results: dict[str, Any], real_time: bool) -> list[str]:
    lines = []
    for name, r in field_results.items():
        drop = f" for {r['drop_s']:.0f} s" if r["drop_s"] else ""
        label = FIELD_LABELS.get(name, name).replace("mid-send", f"mid-send{drop}")
        pace = f"{r['per_sim_per_minute']:.0f}/min a SIM"
        if r.get("gateway") == "android":
            label = f"{label} on the Android gateway"
            pace = f"{r['per_sim_per_minute']:.0f}/min a phone, polling every {r['poll_s']:g} s"
        else:
            label = f"{label} on the JSON gateway"
        expected = f"estimate {r['estimate_s']:.0f} s" + (
            f" + {r['drop_s']:.0f} s off the network" if r["drop_s"] else ""
        )
        err = r["error"]
        ok = err is not None and abs(err) <= 0.10
        error = f"error {err:+.1%}" if err is not None else "error not defined (estimate 0 s)"
        lines.append(
            f"| {r['recipients']} recipients, {label} ({pace}) | time to the last recipient "
            f"{r['to_last_transmit_s']} s (last hand-off {r['to_last_handoff_s']} s); "
            f"{expected}; {error} | within 10% | {_met(ok)} |"
        )
        # A phone reports its texts delivered; the JSON sink sends no reports.
        done = {"delivered"} if r.get("gateway") == "android" else {"sent"}
        lost_ok = r["lost"] == 0 and r["states"] == dict.fromkeys(done, r["recipients"])
        lines.append(
            f"| … the same: loss | {r['lost']} lost, {r['duplicate_handoffs']} duplicate "
            f"hand-offs, {r['retried']} retried (at most {r['max_attempts']} attempts), "
            f"states {r['states']} | 0 lost | {_met(lost_ok)} |"
        )
    del real_time
    return lines


def phone_rows(p: dict[str, Any]) -> list[str]:
    """The urgent case through the Android phone gateway (urgent_phone)."""
    ok = (
        p["wait_max_s"] is not None
        and p["wait_max_s"] <= p["bound_s"]
        and p["urgent_handed_off"] == p["urgent_queued"]
    )
    return [
        f"| Life-safety message while {p['bulk_queued']:,} bulk messages drain through the "
        f"Android phone gateway (one phone polling the web server every {p['poll_s']:.0f} s, "
        f"paced {p['per_minute']} texts a minute): creation to hand-off at the poll "
        f"({p['urgent_handed_off']} of {p['urgent_queued']}) | median {p['wait_p50_s']} s, "
        f"worst {p['wait_max_s']} s | ≤ one poll interval ({p['poll_s']:.0f} s + "
        f"{p['margin_s']:.0f} s for the poll itself) | {_met(ok)} |",
        f"| … creation to the poll's answer reaching the phone | median {p['received_p50_s']} s, "
        f"worst {p['received_max_s']} s | — | — |",
        f"| … the poll requests meanwhile | {p['polls']} polls, median "
        f"{p['poll_p50_s']} s, longest {p['poll_max_s']} s, {p['poll_errors']} errors, "
        f"{p['duplicates']} duplicate texts | — | — |",
        f"| … the bulk send meanwhile | {p['taken_per_minute']} texts a minute taken by the "
        f"phone (bulk and life-safety), {p['bulk_left']:,} bulk still queued at the end | — | — |",
    ]


def last_ingest_rate(results: dict[str, Any]) -> float | None:
    """The check-in ingest rate of this run, else of the last full `make bench`."""
    ingest = results.get("ingest")
    if not ingest and (VAR / "results.json").exists():
        import json

        ingest = json.loads((VAR / "results.json").read_text()).get("ingest")
    return float(ingest["ingest_rps"]["median"]) if ingest else None


def render(results: dict[str, Any]) -> str:
    rc = results["rollcalls"]
    lines = [
        f"Measured {results['date']} by `make bench`"
        + (" (QUICK: small sizes, not figures)" if results.get("quick") else "")
        + f" on the machine above; load average before {results.get('load_before', 0):.2f}.",
        "",
        "| figure | value | target | met |",
        "|---|---|---|---|",
    ]
    if "field" in rc:
        lines += field_rows(rc["field"], real_time=False)
    u = rc.get("urgent")
    if u:
        ok = (
            u["wait_max_s"] is not None
            and u["wait_max_s"] < 2
            and u["urgent_handed_off"] == u["urgent_queued"]
        )
        lines.append(
            f"| Life-safety message while {u['bulk_queued']:,} bulk messages drain through the "
            f"JSON gateway at {u['configured_rate']}/s: creation to hand-off "
            f"({u['urgent_handed_off']} of {u['urgent_queued']}) | median {u['wait_p50_s']} s, "
            f"worst {u['wait_max_s']} s | < 2 s | {_met(ok)} |"
        )
        lines.append(f"| … the bulk send meanwhile | {u['bulk_rate']}/s handed off | — | — |")
        if u.get("phone"):
            lines += phone_rows(u["phone"])
    f = rc.get("fanout")
    if f:
        for size, r in f.items():
            n = int(size)
            target = 1.0 if n <= 10_000 else 10.0
            lines.append(
                f"| Open a roll call to {n:,} recipients (snapshot and queue, to the commit; "
                f"{r['statements']} statements) | {r['open_s']} s | < {target:.0f} s | "
                f"{_met(r['open_s'] < target)} |"
            )
            lines.append(
                f"| … peak memory of the process opening it (VmHWM) | {r['open_peak_mb']:.0f} MB "
                f"| < 200 MB | {_met(r['open_peak_mb'] < 200)} |"
            )
            first = r["first_handoff_s"]
            lines.append(
                f"| … first hand-off after the commit | {first} s | < 5 s | "
                f"{_met(first is not None and first < 5)} |"
            )
            for configured, achieved in r["dispatch_rate"].items():
                c = float(configured)
                lines.append(
                    f"| … dispatch rate, JSON gateway configured at {c:.0f}/s | {achieved}/s "
                    f"({achieved / c:.0%}) | ≥ 95% | {_met(achieved >= 0.95 * c)} |"
                )
            lines.append(
                f"| … worker peak memory throughout (VmHWM) | {r['worker_peak_mb']:.0f} MB "
                f"| < 200 MB | {_met(r['worker_peak_mb'] < 200)} |"
            )
    w = rc.get("webhook")
    if w:
        ingest = last_ingest_rate(results)
        rate = w["rate"]["median"]
        target = (
            f"≥ {ingest / 2:,.0f}/s (half the check-in ingest, {ingest:,.0f}/s)"
            if ingest
            else "half the check-in ingest"
        )
        lines.append(
            f"| Signed inbound texts (SAFE) through the JSON gateway's webhook, "
            f"{w['web_workers']} web workers: verify, store encrypted, de-duplicate, parse, "
            f"check-in, reply queued | {rate:,.1f}/s ({w['rate']['min']:,.1f} – "
            f"{w['rate']['max']:,.1f}, {len(w['rate']['runs'])} runs) | {target} | "
            f"{_met(rate >= ingest / 2 if ingest else None)} |"
        )
        lines.append(
            f"| … latency p50 / p99 (16 connections, unpaced) | {w['p50_ms']['median']:,.0f} ms "
            f"/ {w['p99_ms']['median']:,.0f} ms | — | — |"
        )
        lines.append(
            f"| … what was stored | {w['stored']:,} texts, {w['handled']:,} handled, "
            f"{w['checkins']:,} check-ins, {w['replies_queued']:,} replies queued, "
            f"{w['errors']} errors, {w['rejected']} refused | every text once | "
            f"{_met(w['stored'] == w['handled'] == w['checkins'] == w['replies_queued'])} |"
        )
    return "\n".join(lines)


def render_field(results: dict[str, Any]) -> str:
    lines = [
        f"Measured {results['date']} by `make bench FIELD=1` (real time, once each); load "
        f"average before {results.get('load_before', 0):.2f}.",
        "",
        "| figure | value | target | met |",
        "|---|---|---|---|",
        *field_rows(results["field"], real_time=True),
    ]
    kept = sorted({c["kept_from"] for c in results["field"].values() if c.get("kept_from")})
    if kept:
        names = ", ".join(n for n, c in results["field"].items() if c.get("kept_from"))
        lines += ["", f"Not run again this time ({names}): the figures of {', '.join(kept)}."]
    return "\n".join(lines)
