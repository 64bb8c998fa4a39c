"""Records of the data-protection jobs: one RetentionRun per organisation per day (the job's claim
and what it removed), and one RevealWatch per alert about one user's reveals. Counts and ids
only."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from salama.accounts.models import OrgScoped
from salama.lib import clock


class RetentionRun(OrgScoped):
    day = models.DateField(_("day"))
    started_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # {"<rule>": rows changed}; e.g. {"exact_location": 3, "checkin_note": 0}
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "day"], name="retention_run_once_a_day")
        ]
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"retention#{self.org_id}:{self.day}"

    @property
    def other_count(self) -> int:
        built_in = ("exact_location", "checkin_note")
        return sum(int(n) for name, n in self.counts.items() if name not in built_in)


class RevealWatch(OrgScoped):
    """One alert about one user's reveals: the user is not alerted on again until an hour
    after `alerted_at`."""

    user_id = models.BigIntegerField()
    count = models.PositiveIntegerField()
    alerted_at = models.DateTimeField(default=clock.now)
    alert_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["org", "user_id", "alerted_at"], name="reveal_watch_user")]

    def __str__(self) -> str:
        return f"reveal-watch#{self.pk}"
