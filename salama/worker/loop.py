"""The worker: one loop over a list of job functions. Each job does a bounded piece of work and
returns whether it did any; when none did, the loop sleeps (at most a second), so life-safety
messages leave within seconds. A job that knows when it will next have work sooner than that
(the outbox: the next token of a channel with deliveries waiting) says so with ``wake_at``, and
the loop sleeps only until then. SIGTERM finishes the current pass and stops."""

import fcntl
import logging
import signal
import time
from collections.abc import Callable
from datetime import datetime
from typing import IO, Any

from django.conf import settings
from django.db import close_old_connections

from salama.lib import clock

log = logging.getLogger("salama.worker")

Job = Callable[[], bool]
JOBS: list[Job] = []
# The earliest moment a job of the current pass asked to be looked at again (see wake_at).
_wake: list[datetime] = []
# The shortest idle sleep: a wake-up due now or past still yields the processor a moment.
MIN_SLEEP = 0.01
# Each job's last clean finish in this process, flushed to worker.Heartbeat every so often.
_finished: dict[str, datetime] = {}
_flushed: list[datetime] = []
HEARTBEAT_EVERY = 10.0  # seconds


def job(func: Job) -> Job:
    """Register a job function. Apps register theirs in their AppConfig.ready()."""
    if func not in JOBS:
        JOBS.append(func)
    return func


def wake_at(moment: datetime) -> None:
    """Ask the idle loop to run the next pass at `moment` (clock time) if that is sooner than its
    idle sleep. Asked during a pass; forgotten after the sleep that follows it."""
    if not _wake or moment < _wake[0]:
        _wake[:] = [moment]


def idle_seconds(idle: float) -> float:
    """How long the loop sleeps after a pass that did no work: `idle`, or less when a job asked
    to be woken sooner (never less than MIN_SLEEP)."""
    if not _wake:
        return idle
    due = (_wake[0] - clock.now()).total_seconds()
    return max(MIN_SLEEP, min(idle, due))


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def run_once(jobs: list[Job] | None = None) -> bool:
    did_work = False
    _wake.clear()
    for func in jobs if jobs is not None else JOBS:
        try:
            did_work = func() or did_work
        except Exception:
            log.exception("job failed", extra={"job": func.__name__})
        else:
            _finished[func.__name__] = clock.now()
    return did_work


def flush_heartbeats(force: bool = False) -> int:
    """Write each job's last clean finish to the database, at most every HEARTBEAT_EVERY
    seconds (one statement), so a monitor sees a stuck or failing job by its age. Returns the
    number of rows written."""
    from salama.worker.models import Heartbeat

    now = clock.now()
    if not _finished or (
        not force and _flushed and (now - _flushed[0]).total_seconds() < HEARTBEAT_EVERY
    ):
        return 0
    rows = [Heartbeat(job=name, beat_at=at) for name, at in _finished.items()]
    Heartbeat.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["job"], update_fields=["beat_at"]
    )
    _flushed[:] = [now]
    _finished.clear()
    return len(rows)


class SingleWorkerLock:
    """On SQLite only one worker may run: a second one refuses to start."""

    def __init__(self) -> None:
        self.handle: IO[str] | None = None

    def acquire(self) -> None:
        if settings.IS_POSTGRES:
            return
        settings.WORKER_LOCK_FILE.parent.mkdir(parents=True, exist_ok=True)
        self.handle = open(settings.WORKER_LOCK_FILE, "w")  # noqa: SIM115
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.handle.close()
            raise SystemExit(
                "Another worker is already running on this SQLite database; on SQLite only one "
                "worker may run. Use PostgreSQL for several workers."
            ) from None


def run_forever(idle_sleep: float | None = None, max_passes: int | None = None) -> None:
    lock = SingleWorkerLock()
    lock.acquire()
    stopping = {"flag": False}

    def stop(signum: int, frame: Any) -> None:
        stopping["flag"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sleep = min(idle_sleep if idle_sleep is not None else settings.WORKER_IDLE_SLEEP, 1.0)
    log.info("worker started", extra={"job": ",".join(j.__name__ for j in JOBS)})
    passes = 0
    while not stopping["flag"]:
        close_old_connections()
        if not run_once():
            _sleep(idle_seconds(sleep))
        try:
            flush_heartbeats()
        except Exception:
            log.exception("heartbeat failed")
        passes += 1
        if max_passes is not None and passes >= max_passes:
            break
    log.info("worker stopped")
