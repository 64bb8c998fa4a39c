"""Worker jobs (registered in PrivacyConfig.ready): each returns whether it did work."""

from salama.privacy.retention import run_retention
from salama.privacy.watch import watch_reveals


def retention_job() -> bool:
    """Daily per organisation; on other passes one query finds nothing due."""
    return run_retention()


def reveal_watch_job() -> bool:
    return watch_reveals()
