"""Worker jobs (registered in PrivacyConfig.ready): each returns whether it did work."""

from datetime import datetime, timedelta

from salama.lib import clock
from salama.privacy.retention import run_retention
from salama.privacy.watch import watch_reveals

WATCH_EVERY = timedelta(minutes=1)
_last_watch: dict[str, datetime] = {}


def retention_job() -> bool:
    """Daily per organisation; on other passes one query finds nothing due."""
    return run_retention()


def reveal_watch_job() -> bool:
    """At most once a minute per worker process (the loop passes every second when idle)."""
    now = clock.now()
    last = _last_watch.get("at")
    if last is not None and last <= now < last + WATCH_EVERY:
        return False
    _last_watch["at"] = now
    return watch_reveals(now)
