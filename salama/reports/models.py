"""Generated reports and partner tokens.

A `Report` is one generated edition of the daily situation report: what its sections said at
`as_of`, kept so that it renders again identically in either language (HTML or PDF) and so that
the next report can say what changed. What is stored, and for how long:

- `figures`: counts only (no codename, no name, no free text), the numbers the next report of
  the same edition compares against ("changes since the last report").
- `content`: the sections' data as JSON, encrypted under the organisation's key (the internal
  and lead editions hold codenames and facility names). No rendered file is stored: HTML and
  PDF are drawn from `content` on each download, which is audited.
- Both go at `expires_at` (the organisation's `report_retention_days`, 90 by default): the
  reports job deletes expired rows; the organisation purge deletes all of them.

A `PartnerToken` lets a partner's reader fetch the CAP feed: 32 random bytes shown once, only
their SHA-256 stored, revocable.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salama.accounts.models import Membership, OrgScoped
from salama.lib import clock
from salama.lib.fields import EncryptedTextField


class Edition(models.TextChoices):
    INTERNAL = "internal", _("Internal (coordinators)")
    LEAD = "lead", _("Field lead (own teams)")
    PARTNER = "partner", _("Partner and observer (counts only)")


class Trigger(models.TextChoices):
    SCHEDULED = "scheduled", _("scheduled")
    DEMAND = "demand", _("on demand")


class Report(OrgScoped):
    edition = models.CharField(_("edition"), max_length=10, choices=Edition.choices)
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    # The organisation's local date of a scheduled report: one per edition and day.
    day = models.DateField(null=True, blank=True)
    as_of = models.DateTimeField(_("as of"))
    # as_of of the previous report of this edition (and lead): "changes since".
    since = models.DateTimeField(null=True, blank=True)
    lead = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    requested_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    figures = models.JSONField(default=dict, blank=True)
    content = EncryptedTextField()
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org", "edition", "day"],
                condition=Q(trigger="scheduled", lead=None),
                name="report_one_scheduled_per_day",
            ),
        ]
        indexes = [
            models.Index(fields=["org", "edition", "as_of"], name="report_org_edition"),
            models.Index(fields=["expires_at"], name="report_expires"),
        ]
        ordering = ["-as_of", "-id"]

    def __str__(self) -> str:
        return f"report#{self.pk}"


class PartnerToken(OrgScoped):
    name = models.CharField(_("name"), max_length=60)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"partner-token#{self.pk}"
