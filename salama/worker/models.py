from django.db import models

from salama.lib import clock


class Heartbeat(models.Model):
    """When each worker job last finished a pass without raising (one row per job name, across
    all workers: the newest wins). Written at most every HEARTBEAT_EVERY seconds by a running
    worker; read by /metrics."""

    job = models.CharField(max_length=80, unique=True)
    beat_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return self.job
