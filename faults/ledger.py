"""Ledger faults (`make faults`, L1): three processes append to one organisation's evidence
ledger (QUICK: 600 entries in all, else 5,000), one of them also signing a checkpoint every 25
appends, while appenders are killed twice (SIGKILL) and restarted and the private database is
restarted once (immediate mode). An appender writes an acknowledgement line only after its
append returned (committed); after a crash or a refused connection it tries the same version
again, and "already in the ledger" means the earlier try committed.

The checker (``python -m faults.ledger check ACKS...``) then holds: `verify` passes (every leaf,
the nodes, the head, every checkpoint), the entries stand at 0..n-1 with no gap and no two at one
place, and every acknowledged version is in.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import common
from bench.pgcluster import Cluster

VAR = common.ROOT / "var" / "faults"
DB = "salama_faults_ledger"
SLUG = "ledgerfault"
APPENDERS = 3


def say(msg: str) -> None:
    print(f"[faults {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Appender:
    def __init__(self, env: dict[str, str], number: int, per: int, acks: Path) -> None:
        self.env, self.number, self.per, self.acks = env, number, per, acks
        self.proc: subprocess.Popen | None = None
        self.errors = acks.with_suffix(".err")

    def acked(self) -> int:
        if not self.acks.exists():
            return 0
        return len(self.acks.read_text().splitlines())

    def start(self) -> None:
        out = open(self.acks, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(  # noqa: S603
            [common.PYTHON, "-m", "faults.ledger", "append", str(self.number), str(self.per),
             str(self.acked())],
            env=self.env, cwd=common.ROOT, stdout=out, stderr=open(self.errors, "ab"),  # noqa: SIM115
            start_new_session=True,
        )  # fmt: skip

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.kill()
            self.proc.wait()


def run(cluster: Cluster, quick: bool) -> dict[str, Any]:
    work = VAR / "ledger"
    shutil.rmtree(work, ignore_errors=True)
    url = cluster.recreate_db(DB)
    env = common.salama_env(url, work)
    common.migrate(env)
    common.py_json("faults.ledger", env, "org")
    per = (600 if quick else 5000) // APPENDERS
    total = per * APPENDERS
    appenders = [Appender(env, i, per, work / f"acks{i}.txt") for i in range(APPENDERS)]
    log: list[str] = []
    for a in appenders:
        a.start()
    deadline = time.monotonic() + (180 if quick else 900)
    events = [(0.2, "kill appender 0"), (0.45, "restart postgres"), (0.7, "kill appender 1")]
    try:
        for at, what in events:
            while sum(a.acked() for a in appenders) < at * total and time.monotonic() < deadline:
                time.sleep(0.05)
            done = sum(a.acked() for a in appenders) / total
            say(f"{what} at {done:.0%}")
            log.append(f"{what} at {done:.0%}")
            if what == "restart postgres":
                cluster.restart_immediate()
            else:
                victim = appenders[int(what[-1])]
                victim.kill9()
                victim.start()
        while time.monotonic() < deadline and sum(a.acked() for a in appenders) < total:
            for a in appenders:
                if not a.alive() and a.acked() < per:
                    a.start()
            time.sleep(0.2)
    finally:
        for a in appenders:
            a.kill9()
    result = common.py_json("faults.ledger", env, "check", *[str(a.acks) for a in appenders])
    if sum(a.acked() for a in appenders) < total:
        result["violations"].append("the appenders did not finish in time")
    result["events"] = log
    return result


# --- in-process parts ------------------------------------------------------------------------


def _setup() -> None:
    import django

    django.setup()


def make_org() -> dict[str, Any]:
    from salama.accounts.models import Organisation
    from salama.accounts.services import create_organisation
    from salama.lib import keyring

    keyring.ensure_master_key()
    org = Organisation.objects.filter(slug=SLUG).first() or create_organisation(
        name="Ledger faults", slug=SLUG, time_zone="UTC"
    )
    return {"org": org.pk}


def append_loop(number: int, per: int, start: int) -> None:
    from django.core.exceptions import ValidationError
    from django.db import DatabaseError, InterfaceError, connection

    from salama.accounts.models import Organisation
    from salama.evidence import services
    from salama.lib import clock

    org = Organisation.objects.get(slug=SLUG)
    for n in range(start, per):
        while True:
            try:
                services.append(
                    org=org, kind="fault", record_id=number * 1_000_000 + n, version=1,
                    fields={"appender": number, "n": n, "note": "x" * 40},
                )  # fmt: skip
            except ValidationError:
                pass  # an earlier try committed before its process or connection died
            except (DatabaseError, InterfaceError):
                connection.close()  # the server restarted: reconnect and try the same version
                time.sleep(0.2)
                continue
            break
        print(f"{number} {n}", flush=True)
        if number == 0 and n % 25 == 24:
            try:
                services.sign_checkpoint(org_id=org.pk, slot_at=clock.now())
            except (DatabaseError, InterfaceError):
                connection.close()


def check(acks: list[str]) -> dict[str, Any]:
    from salama.accounts.models import Organisation
    from salama.evidence.models import Entry
    from salama.evidence.verifying import verify_ledger

    org = Organisation.objects.get(slug=SLUG)
    violations: list[str] = []
    report = verify_ledger(org.pk)
    if not report.ok:
        violations.append(f"verify: first bad entry #{report.first_bad}: {report.problems[:3]}")
    indexes = list(Entry.objects.for_org(org).order_by("index").values_list("index", flat=True))
    if indexes != list(range(len(indexes))):
        violations.append("the entries do not stand at 0..n-1")
    stored = set(Entry.objects.for_org(org).values_list("record_id", flat=True))
    acked = 0
    for path in acks:
        for line in Path(path).read_text().splitlines():
            worker, n = (int(x) for x in line.split())
            acked += 1
            if worker * 1_000_000 + n not in stored:
                violations.append(f"acknowledged version of appender {worker} #{n} is missing")
    return {
        "entries": len(indexes),
        "acknowledged": acked,
        "checkpoints": report.checkpoints,
        "violations": violations[:20],
    }


if __name__ == "__main__":
    _setup()
    verb = sys.argv[1]
    if verb == "org":
        print(json.dumps(make_org()))
    elif verb == "append":
        append_loop(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    elif verb == "check":
        print(json.dumps(check(sys.argv[2:])))
