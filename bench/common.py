"""Shared pieces of the benchmarks and fault tests: the environment a Salama process gets, the
web server (the real `salama serve`, gunicorn), wrk, small statistics, and the scaffolding of a
phase with its own database (bench/facilities.py and the like): its database and measuring
process, the timed cases, the pages fetched as a logged-in user, the rows for
docs/benchmarks.md."""

from __future__ import annotations

import json
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
SALAMA = str(ROOT / ".venv" / "bin" / "salama")
LUA = ROOT / "bench" / "lua"


def probe_token_post(base: str, data_file: Path) -> int:
    """The status a bearer-token check-in POST gets WITHOUT a CSRF pair, as a real API client
    sends it (201 expected; 403 is the known problem in docs/benchmarks.md)."""
    lines = data_file.read_text().splitlines()
    token = next(x.split(" ", 1)[1] for x in lines if x.startswith("token "))
    req = urllib.request.Request(  # noqa: S310
        base + lines[0],
        data=lines[1].encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def salama_env(db_url: str, work: Path, **extra: str) -> dict[str, str]:
    """The environment of a Salama process for a benchmark: a real (non-demo) secret, its own
    keyring and var directory, the framework floor installed, logs at WARNING."""
    work.mkdir(parents=True, exist_ok=True)
    secret_file = work / "secret_key"
    if not secret_file.exists():
        secret_file.write_text("bench-" + secrets.token_urlsafe(48))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALAMA_")}
    env.update(
        DJANGO_SETTINGS_MODULE="salama.settings",
        DATABASE_URL=db_url,
        SALAMA_SECRET_KEY=secret_file.read_text(),
        SALAMA_VAR_DIR=str(work),
        SALAMA_KEYRING_DIR=str(work / "keys"),
        SALAMA_BENCH_FLOOR="1",
        SALAMA_LOG_LEVEL="WARNING",
        SALAMA_CONSOLE_SINK=str(work / "console.jsonl"),
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def run(argv: Sequence[str], env: dict[str, str], **kw: Any) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), env=env, cwd=ROOT, check=True, **kw)  # noqa: S603


def migrate(env: dict[str, str]) -> None:
    run([SALAMA, "migrate", "--noinput", "-v", "0"], env)


def py_json(module: str, env: dict[str, str], *args: str) -> Any:
    """Run `python -m module args` in env; its last stdout line is JSON."""
    res = run([PYTHON, "-m", module, *args], env, stdout=subprocess.PIPE, text=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


# --- processes -------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def vm_hwm_mb(pid: int) -> float | None:
    """Peak resident memory (VmHWM) of a live process, in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


class Server:
    """`salama serve` (gunicorn, which it execs) on 127.0.0.1:port with N workers."""

    def __init__(self, env: dict[str, str], port: int, workers: int, log: Path) -> None:
        self.env, self.port, self.workers, self.log = env, port, workers, log
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(  # noqa: S603
            [SALAMA, "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers)],
            env=self.env,
            cwd=ROOT,
            stdout=out,
            stderr=out,
            start_new_session=True,  # its own process group: kill9() takes master and workers
        )
        wait_http(self.base + "/healthz")
        deadline = time.monotonic() + 30
        while len(self.worker_pids()) < self.workers and time.monotonic() < deadline:
            time.sleep(0.1)
        return self

    def worker_pids(self) -> list[int]:
        return children(self.proc.pid) if self.proc else []

    def peak_worker_mb(self) -> float:
        return max((vm_hwm_mb(p) or 0.0) for p in self.worker_pids())

    def kill9(self) -> None:
        """SIGKILL the master and every worker at once (a host losing the service)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


# --- wrk ---------------------------------------------------------------------------------------


def wrk(
    url: str,
    data_file: Path,
    *,
    threads: int,
    connections: int,
    seconds: int,
    rate: float = 0,
    tag: str,
    max_requests: int = 0,
) -> dict[str, Any]:
    """Run wrk with bench/lua/post.lua. rate > 0: paced to `rate` requests/s in all (each thread
    one request per threads/rate seconds, closed-loop). Returns post.lua's summary."""
    out = VAR / f"wrk-{tag}.json"
    out.unlink(missing_ok=True)
    interval = 1000.0 * threads / rate if rate else 0
    per_thread = max_requests // threads if max_requests else 0
    env = dict(os.environ, BENCH_WRK_OUT=str(out))
    argv = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA / "post.lua"),
        url,
        "--",
        str(data_file),
        f"{interval:.3f}",
        tag,
        str(per_thread),
    ]
    subprocess.run(argv, env=env, check=True, capture_output=True, timeout=seconds + 60)  # noqa: S603
    result = json.loads(out.read_text())
    result["rate"] = result["requests"] / result["duration_s"] if result["duration_s"] else 0
    return result


# --- a phase with its own database -----------------------------------------------------------
# A phase module (bench/facilities.py, incidents, evacuation, evidence, reports) has `build`
# (its dataset, kept between runs) and `measure` (timings, JSON), each run as
# `python -m bench.<phase> build SIZE... | measure RUNS` in its own process; its `run` is what
# bench/run.py calls, its `render` the rows written between its marks in docs/benchmarks.md.


def phase_env(cluster: Any, name: str, quick: bool) -> dict[str, str]:
    """The environment of a phase's processes: its own database, salama_<name> (QUICK:
    salama_<name>_quick), created on first use and kept, migrated."""
    db = f"salama_{name}_quick" if quick else f"salama_{name}"
    if not cluster.has_db(db):
        cluster.psql(f'CREATE DATABASE "{db}"')
    env = salama_env(cluster.url(db), VAR / db)
    migrate(env)
    return env


def build_and_measure(
    cluster: Any, name: str, quick: bool, sizes: Iterable[int], runs: int
) -> dict[str, Any]:
    """Build the phase's dataset (if not there already) and measure it RUNS times; what
    `measure` printed, plus what `build` did under "dataset"."""
    env = phase_env(cluster, name, quick)
    built = py_json(f"bench.{name}", env, "build", *(str(n) for n in sizes))
    out = py_json(f"bench.{name}", env, "measure", str(runs))
    out["dataset"] = built
    return dict(out)


def spread_runs(out: dict[str, Any], keys: Iterable[str] = ("ms",)) -> dict[str, Any]:
    """In place: each case of `out` (a dict value) has its list of runs under each of `keys`
    replaced by their spread()."""
    keys = tuple(keys)
    for case in out.values():
        if isinstance(case, dict):
            for key in keys:
                if key in case:
                    case[key] = spread(case[key])
    return out


def dataset_ready(cur: Any, mark: str, **sizes: int) -> bool:
    """In a phase's `build`: whether its dataset of these sizes is there already (the one-row
    table `mark` that mark_dataset() wrote last says so)."""
    cur.execute("SELECT to_regclass(%s)", [mark])
    if cur.fetchone()[0] is None:
        return False
    cur.execute(f"SELECT {', '.join(sizes)} FROM {mark}")  # noqa: S608
    return bool(cur.fetchone() == tuple(sizes.values()))


def mark_dataset(cur: Any, mark: str, **sizes: int) -> None:
    """The last step of a phase's `build` (in its transaction): the sizes built, for
    dataset_ready()."""
    cur.execute(f"DROP TABLE IF EXISTS {mark}")
    columns = ", ".join(f"%s AS {name}" for name in sizes)
    cur.execute(f"CREATE TABLE {mark} AS SELECT {columns}", list(sizes.values()))  # noqa: S608


def phase_main(build: Callable[..., Any], measure: Callable[[int], Any]) -> None:
    """The measuring process of a phase: `build SIZE...` or `measure RUNS`, JSON on the last
    line of stdout."""
    import django

    django.setup()
    if sys.argv[1] == "build":
        print(json.dumps(build(*(int(arg) for arg in sys.argv[2:]))))
    else:
        print(json.dumps(measure(int(sys.argv[2]))))


def timed_ms(fn: Callable[[], Any], runs: int) -> list[float]:
    """The wall time of `runs` calls of fn, in ms each."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def time_cases(
    cases: dict[str, Callable[[], Any]], runs: int, fewer: dict[str, int] | None = None
) -> dict[str, dict[str, list[float]]]:
    """Each case called once to warm up (caches, imports, the first query plans), then timed
    `runs` times (`fewer`: a smaller count for a slow case): {case: {"ms": [...]}}."""
    fewer = fewer or {}
    out = {}
    for name, fn in cases.items():
        fn()
        out[name] = {"ms": timed_ms(fn, fewer.get(name, runs))}
    return out


def page_getter(username: str) -> Callable[[str], None]:
    """A GET of a page (or API path) through Django's test client as `username`, logged in,
    over HTTPS; anything but 200 fails the benchmark."""
    from django.test import Client

    from salama.accounts.models import User

    client = Client(SERVER_NAME="localhost")
    client.force_login(User.objects.get(username=username))

    def page(url: str) -> None:
        response = client.get(url, secure=True)
        assert response.status_code == 200, response.status_code

    return page


def table(head: str, columns: Sequence[str], rows: Iterable[str]) -> list[str]:
    """The lines of a section of docs/benchmarks.md: its head line, then a table."""
    return [head, "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns), *rows]


def ms_table(head: str, cases: dict[str, Any], names: Sequence[str]) -> list[str]:
    """table() of timed cases: each one's median and spread in ms."""
    return table(
        head,
        ("case", "median ms", "spread"),
        (
            f"| {name} | {ms['median']:.1f} | {ms['min']:.1f}–{ms['max']:.1f} |"
            for name in names
            for ms in [cases[name]["ms"]]
        ),
    )


# --- statistics and the machine ------------------------------------------------------------


def spread(values: Sequence[float]) -> dict[str, Any]:
    """Median of several runs with the spread (min and max) and the runs themselves."""
    vals = [float(v) for v in values]
    return {
        "median": statistics.median(vals),
        "min": min(vals),
        "max": max(vals),
        "runs": [round(v, 3) for v in vals],
    }


def machine() -> dict[str, Any]:
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)  # noqa: S607
    pg_v = subprocess.run(  # noqa: S603
        ["/usr/lib/postgresql/15/bin/postgres", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    versions = {"python": platform.python_version(), "os": platform.platform()}
    versions["wrk"] = (wrk_v.stdout or wrk_v.stderr).split("[")[0].replace("wrk", "").strip()
    versions["postgresql"] = pg_v.stdout.split()[2] if pg_v.stdout else "?"
    freeze = subprocess.run(  # noqa: S603
        [PYTHON, "-m", "pip", "list", "--format=json"], capture_output=True, text=True, check=False
    )
    pkgs = {p["name"].lower(): p["version"] for p in json.loads(freeze.stdout or "[]")}
    for name in ("django", "django-ninja", "gunicorn", "psycopg"):
        versions[name] = pkgs.get(name, "?")
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "versions": versions,
    }


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)
