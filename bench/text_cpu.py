"""In-process CPU per inbound text (P1 item 2): what `make bench` cannot show on a loaded
machine. Signed SAFE texts through the generic JSON gateway's webhook, in this process
(django.test.Client): `time.process_time` per request and the PostgreSQL backend's own CPU
(/proc), optionally under cProfile (CPU time). Compare two versions of the code by running it
with PYTHONPATH pointing at each (a `git archive` of the other), interleaved.

    DATABASE_URL=postgres://... python -m bench.text_cpu setup          1,000 senders
    DATABASE_URL=postgres://... python -m bench.text_cpu run 2000 [profile]
    DATABASE_URL=postgres://... python -m bench.text_cpu queries        one text's statements

Its files (keyring, fixture, profile) go to $BENCH_TEXT_DIR (default var/text_cpu).
"""

from __future__ import annotations

import cProfile
import hashlib
import hmac
import json
import os
import pstats
import secrets
import sys
import time
from pathlib import Path
from typing import Any

PERSONS = 1000
WORK = Path(os.environ.get("BENCH_TEXT_DIR", "var/text_cpu")).resolve()


def _django() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    secret = WORK / "secret_key"
    if not secret.exists():
        secret.write_text("bench-" + secrets.token_urlsafe(48))
    for name in ("SALAMA_DEBUG", "SALAMA_DEMO"):
        os.environ.pop(name, None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="salama.settings",
        SALAMA_SECRET_KEY=secret.read_text(),
        SALAMA_VAR_DIR=str(WORK),
        SALAMA_KEYRING_DIR=str(WORK / "keys"),
        SALAMA_LOG_LEVEL="WARNING",
        SALAMA_CONSOLE_SINK=str(WORK / "console.jsonl"),
        SALAMA_ALLOWED_HOSTS="testserver,localhost",
    )
    import django

    django.setup()


def setup() -> None:
    from django.core.management import call_command

    from bench.b2db import make_org, number

    call_command("migrate", verbosity=0, interactive=False)
    info = make_org("t" + secrets.token_hex(4), PERSONS, "http://127.0.0.1:9/none", 10, 20)
    info["numbers"] = [number(i) for i in range(PERSONS)]
    (WORK / "fixture.json").write_text(json.dumps(info))
    print(json.dumps({k: v for k, v in info.items() if k != "numbers"}))


def _ticks(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _poster() -> Any:
    from django.test import Client

    info = json.loads((WORK / "fixture.json").read_text())
    url = f"/messaging/hooks/{info['gateway_key']}/inbound"
    key = info["secret"].encode()
    client, tag = Client(), secrets.token_hex(4)

    def post(i: int, sender: int | None = None) -> None:
        number = info["numbers"][(i if sender is None else sender) % PERSONS]
        body = json.dumps({"id": f"{tag}-{i}", "from": number, "text": "SAFE"}).encode()
        stamp = str(int(time.time()))
        mac = hmac.new(key, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        response = client.post(
            url,
            data=body,
            content_type="application/json",
            HTTP_X_SALAMA_TIMESTAMP=stamp,
            HTTP_X_SALAMA_SIGNATURE=mac,
        )
        assert response.status_code == 200, response.status_code

    return post


def run(n: int, profile: bool) -> None:
    from django.db import connection

    post = _poster()
    for i in range(50):  # warm: compiled statements, PostgreSQL's prepared ones
        post(i)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    profiler = cProfile.Profile(time.process_time) if profile else None
    pg0, cpu0, wall0 = _ticks(backend), time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for i in range(50, 50 + n):
        post(i)
    if profiler:
        profiler.disable()
    cpu, wall, pg = time.process_time() - cpu0, time.perf_counter() - wall0, _ticks(backend) - pg0
    load = Path("/proc/loadavg").read_text().split()[0]
    print(
        f"n={n} web_cpu={1000 * cpu / n:.3f} ms/text  pg_backend={1000 * pg / n:.3f} ms/text"
        f"  wall={1000 * wall / n:.3f} ms/text  load={load}"
    )
    if profiler:
        profiler.dump_stats(str(WORK / "profile.out"))
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(60)


def queries() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    post = _poster()
    post(0, sender=7)
    with CaptureQueriesContext(connection) as captured:
        post(1, sender=7)
    for query in captured.captured_queries:
        print("-", query["sql"][:200])
    print(len(captured.captured_queries), "statements")


if __name__ == "__main__":
    _django()
    command = sys.argv[1] if len(sys.argv) > 1 else "run"
    if command == "setup":
        setup()
    elif command == "queries":
        queries()
    else:
        run(int(sys.argv[2]) if len(sys.argv) > 2 else 2000, "profile" in sys.argv[3:])
