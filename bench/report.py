"""Renders var/bench/results.json as docs/benchmarks.md: the machine, the date, each figure as the
median of several runs with its spread, its target, met or not, and where missed, why and what
would meet it (NOTES, written by whoever last studied the figures), then every query plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.common import ROOT

DOC = ROOT / "docs" / "benchmarks.md"
MARK_START = "<!-- bench:results:start -->"
MARK_END = "<!-- bench:results:end -->"
QUICK_NOTE = " (QUICK: not a measurement; small sizes, phases side by side)"

# Why a target is missed and what would meet it; shown only for targets the run missed.
NOTES: dict[str, str] = {
    "ingest_rps": (
        "One check-in through the API is 4 SQL statements on PostgreSQL (was 15, 9, 7): BEGIN; "
        "the caller's person found and locked in one statement (FOR UPDATE OF the person only, "
        "so check-ins of one organisation do not queue behind each other) that also checks the "
        "API token this process remembers (revocation counts at the next request) and takes "
        "the check-in's id once the row is locked; ONE statement for the check-in's INSERT, the "
        "person's UPDATE (which decides heightened mode itself) and the Idempotency-Key's "
        "INSERT with its answer (a used key fails it and everything rolls back); COMMIT. "
        "tests/safety/test_checkin_queries.py pins the count. The rest is Django's request "
        "handling, django-ninja and the middleware, which the floor partly pays too. On two "
        "cores shared by wrk, gunicorn and PostgreSQL that CPU is the bound: the web tier "
        "scales with processes up to the core count (see the worker-count line). What would "
        "meet it: a host with more cores, or the batch endpoint for clients that sync a queue "
        "(docs/benchmarks.md, P1)."
    ),
    "ratio": (
        "The floor is one INSERT and one commit; the check-in path is 4 statements and about "
        "twice the floor's CPU (docs/benchmarks.md, P1, for the interleaved measurement)."
    ),
    "paced_p99_ms": (
        "When the server cannot keep up with 300/s (see the achieved rate), every request waits "
        "for a free web process; closed-loop pacing hides part of that wait, so the real tail "
        "is worse still. It falls with the cost per check-in (above) and with more cores."
    ),
    "board_summary": (
        "The summary is one aggregate with about twenty FILTER clauses over every person of "
        "the organisation (a sequential scan of the person table, see its plan): its cost grows "
        "with the roster, not with the history. A summary row per organisation (and team, "
        "area) kept up to date by record_checkin and the sweep, or an index-only scan over a "
        "covering index of the state columns, would meet it."
    ),
    "overdue_list": (
        "The overdue list sorts every overdue person by silence. A partial index on "
        "(org, heard_at) WHERE is_overdue would return the first page directly."
    ),
    "not_heard_since": (
        "The list walks the (org, heard_at) index; with many people silent it reads many rows "
        "before the first page is full."
    ),
    "sweep_tick": (
        "A tick is set-based: one conditional UPDATE … RETURNING flips up to 500 due persons, "
        "their escalations are one INSERT, outage windows, area totals, heightened modes and "
        "phones are read once per tick (tests/alerts/test_sweep_queries.py: the same "
        "statements for 20 or 200 due). What remains per recipient is the digests: each "
        "team lead of a team with someone newly silent costs a look-up of their contact points "
        "(about 290 of the statements at this scale); loading those for all leads in one query "
        "would leave a tick a few dozen statements."
    ),
    "web_peak_mb": "A web process holds Django, the apps and one request at a time.",
    "worker_peak_mb": (
        "The worker loads the due persons of one tick into memory; the sweep flips at most 500 "
        "per pass, which keeps it flat."
    ),
}


def _fmt(value: float, unit: str) -> str:
    if unit == "/s":
        return f"{value:,.0f}/s"
    if unit == "ms":
        return f"{value:,.1f} ms" if value < 1000 else f"{value / 1000:,.2f} s"
    if unit == "MB":
        return f"{value:,.0f} MB"
    return f"{value:.2f}"


def _spread(entry: dict[str, Any], unit: str) -> str:
    n = len(entry.get("runs", []))
    return f"{_fmt(entry['min'], unit)} – {_fmt(entry['max'], unit)} ({n} runs)"


def rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per figure: label, value, spread, target text, met (None: no target)."""
    out: list[dict[str, Any]] = []

    def add(key: str, label: str, entry: Any, unit: str, target: str = "", ok: Any = None) -> None:
        if entry is None:
            return
        if isinstance(entry, dict):
            value, spread = entry["median"], _spread(entry, unit)
        else:
            value, spread = float(entry), "one reading"
        met = None if ok is None else bool(ok(value))
        out.append(
            {
                "key": key,
                "label": label,
                "value": _fmt(value, unit),
                "spread": spread,
                "target": target,
                "met": met,
            }
        )

    ing = results.get("ingest")
    if ing:
        add(
            "ingest_rps",
            "Check-in ingest, sustained (API, token, Idempotency-Key; "
            f"gunicorn {ing['web_workers']} workers)",
            ing["ingest_rps"],
            "/s",
            "≥ 500/s",
            lambda v: v >= 500,
        )
        add(
            "floor_rps",
            "Framework floor: bare Django view inserting one row",
            ing["floor_rps"],
            "/s",
        )
        add("ratio", "Ingest ÷ floor", ing["ratio"], "", "≥ 0.5", lambda v: v >= 0.5)
        add("paced_rate", "Rate achieved when paced at 300/s", ing["paced_rate"], "/s")
        add("paced_p50_ms", "Latency p50 at 300/s (closed-loop)", ing["paced_p50_ms"], "ms")
        add(
            "paced_p99_ms",
            "Latency p99 at 300/s (closed-loop)",
            ing["paced_p99_ms"],
            "ms",
            "< 100 ms",
            lambda v: v < 100,
        )
        add(
            "web_peak_mb",
            "Peak memory of a web process under the ingest load (VmHWM)",
            ing["web_peak_mb"],
            "MB",
            "< 200 MB",
            lambda v: v < 200,
        )
    sc = results.get("scale")
    if sc:
        n = f"{sc['sizes']['persons']:,} persons, {sc['sizes']['checkins']:,} check-ins"
        add(
            "board_summary",
            f"Board summary ({n})",
            sc["board_summary"]["ms"],
            "ms",
            "< 100 ms",
            lambda v: v < 100,
        )
        add(
            "overdue_list",
            f"Overdue list, first page of 100 ({sc['sizes']['overdue_rows']:,} overdue)",
            sc["overdue_list"]["ms"],
            "ms",
            "< 100 ms",
            lambda v: v < 100,
        )
        add(
            "not_heard_since",
            f"Not heard from since an event 2 h ago, first page of 100 "
            f"({sc['sizes']['not_heard_rows']:,} silent)",
            sc["not_heard_since"]["ms"],
            "ms",
            "< 100 ms",
            lambda v: v < 100,
        )
        add(
            "timeline",
            f"A person's timeline ({sc['sizes']['timeline_checkins']} check-ins)",
            sc["timeline"]["ms"],
            "ms",
        )
        t = sc["sweep_tick"]
        add(
            "sweep_tick",
            f"Sweep tick: {t['newly_due']:,} persons fell due in the last "
            f"{t['minutes_after_epoch']} minutes",
            t["ms"],
            "ms",
            "< 1 s",
            lambda v: v < 1000,
        )
        b = sc["sweep_burst"]
        add(
            "sweep_burst",
            f"Sweep after a {b['minutes_after_epoch']}-minute stall: "
            f"{b['newly_due']:,} persons due at once",
            b["ms"],
            "ms",
        )
        add(
            "worker_peak_mb",
            "Peak memory of the worker during the sweep at scale (VmHWM)",
            sc["worker"]["peak_mb"],
            "MB",
            "< 200 MB",
            lambda v: v < 200,
        )
    sq = results.get("sqlite")
    if sq:
        add(
            "sqlite_ingest",
            f"SQLite: check-in ingest, {sq['persons']} persons, {sq['web_workers']} web workers",
            sq["ingest_rps"],
            "/s",
        )
        add(
            "sqlite_p99",
            f"SQLite: latency p99 at {sq['paced_rate']}/s (closed-loop)",
            sq["paced_p99_ms"],
            "ms",
        )
        add(
            "sqlite_board",
            f"SQLite: board summary, {sq['board']['persons']} persons",
            sq["board"]["board_summary"]["ms"],
            "ms",
            "< 100 ms",
            lambda v: v < 100,
        )
    return out


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    v = m["versions"]
    lines = [
        f"Measured {results['date']} by `make bench`"
        + (QUICK_NOTE if results.get("quick") else "")
        + ".",
        "",
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB memory; "
        f"PostgreSQL {v['postgresql']} (private cluster, same host, fsync on), "
        f"Python {v['python']}, Django {v['django']}, django-ninja {v['django-ninja']}, "
        f"gunicorn {v['gunicorn']}, psycopg {v['psycopg']}, wrk {v['wrk']}; {v['os']}.",
        f"Load average before the run {results['load_before']:.2f}, after "
        f"{results.get('load_after', 0):.2f}"
        + (
            " — other work was running on the machine: treat throughput and latency as a lower "
            "bound."
            if max(results["load_before"], results.get("load_after", 0)) > 1.0
            else "."
        ),
        "",
        "| figure | median | spread | target | met |",
        "|---|---|---|---|---|",
    ]
    table = rows(results)
    for r in table:
        met = "—" if r["met"] is None else ("yes" if r["met"] else "**no**")
        if results.get("quick") and r["met"] is not None:
            met = "not a measurement"  # QUICK runs are too short and side by side
        lines.append(
            f"| {r['label']} | {r['value']} | {r['spread']} | {r['target'] or '—'} | {met} |"
        )
    ing = results.get("ingest")
    if ing:
        lines += [
            "",
            f"Ingest errors (non-2xx answers and socket errors): {ing['errors']}; "
            f"check-ins stored: {ing['checkins_stored']:,}.",
        ]
        probe = ing.get("token_post_without_csrf")
        if probe not in (None, 200, 201):
            lines.append(
                f"**Known problem:** a check-in POST with a bearer token and no CSRF cookie, as "
                f"a real API client sends it, got {probe}: the session gate runs first in "
                "`salama.safety.tokens.gated()` and django-ninja's session authentication "
                "refuses a request without a CSRF token before the token gate is tried. The load "
                "generator sends a CSRF cookie and header pair so the figures can be taken; "
                "the fix belongs in the API (token first, or the session gate skipping requests "
                "that carry an Authorization header)."
            )
        if ing.get("workers_scan"):
            scan = ", ".join(f"{w} workers {r:,.0f}/s" for w, r in ing["workers_scan"].items())
            lines.append(
                f"Sustained ingest by gunicorn worker count (one 8-second run each): {scan}."
            )
    missed = [r for r in table if r["met"] is False]
    if missed:
        lines += ["", "### Where a target is missed", ""]
        for r in missed:
            note = NOTES.get(r["key"], "")
            lines.append(f"- **{r['label']}** ({r['value']}, target {r['target']}): {note}")
    sc = results.get("scale")
    if sc:
        lines += [
            "",
            "### Query plans at scale",
            "",
            f"The sweep ran `{sc['sweep_tick']['job']}`. Each case lists the number of "
            "statements it ran and the plans of its slowest distinct statements.",
        ]
        for case in (
            "board_summary",
            "overdue_list",
            "not_heard_since",
            "timeline",
            "sweep_tick",
            "sweep_burst",
        ):
            entry = sc[case]
            lines += [
                "",
                f"<details><summary>{case}: {entry.get('statements', '?')} statements</summary>",
                "",
            ]
            for plan in entry.get("plans", []):
                sql = plan["sql"] if len(plan["sql"]) < 1500 else plan["sql"][:1500] + " …"
                lines += [
                    f"{plan['calls']} call(s), {plan['total_ms']} ms in all:",
                    "",
                    "```sql",
                    sql,
                    "```",
                    "",
                    "```",
                    plan["plan"],
                    "```",
                    "",
                ]
            lines.append("</details>")
    return "\n".join(lines)


def write_section(start: str, end: str, body: str) -> None:
    """Replace the text between two marker comments of docs/benchmarks.md (appended if absent)."""
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    if start not in text:
        text += f"\n{start}\n{end}\n"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    DOC.write_text(f"{head}{start}\n{body}\n{end}{tail}")


def write(results: dict[str, Any]) -> None:
    write_section(MARK_START, MARK_END, render(results))


if __name__ == "__main__":
    import json
    import sys

    from bench.common import VAR

    source = Path(sys.argv[1]) if len(sys.argv) > 1 else VAR / "results.json"
    write(json.loads(source.read_text()))
    print(f"docs/benchmarks.md regenerated from {source}")
