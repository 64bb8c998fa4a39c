"""Facility status: dated updates in the HeRAMS vocabulary, and one current row per facility.

`people.Facility` keeps the facility itself (name, kind, area, location). Here:

- `StatusUpdate`: one row per update, never changed — who, when observed, from which channel,
  what was seen. History is these rows.
- `FacilityStatus`: the facility's status card — its short code (used on the wire), its HeRAMS
  type and affiliation, its stock thresholds — and the *current* status, copied from the update
  with the greatest observation time (ties to the later id) by salama.facilities.services in the
  same transaction, under the facility's row lock. Pages, the map and the exports read only this
  row, never the history, so they stay fast with millions of updates.
- `FacilityAlert`: which alert an update raised and why (a drop in functionality, a stock that
  crossed under its threshold), so that one crossing raises one alert.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salama.accounts.models import Membership, OrgScoped
from salama.alerts.models import Alert
from salama.facilities.vocabulary import (
    Accessibility,
    Affiliation,
    Condition,
    FacilityType,
    Functionality,
)
from salama.lib import clock
from salama.lib.fields import EncryptedTextField
from salama.people.models import Facility, Person


class Channel(models.TextChoices):
    PAGE = "page", _("page")
    API = "api", _("API")
    SMS = "sms", _("text message")
    IMPORT = "import", _("import")


class StatusFields(models.Model):
    """What one update says, and so what the current status holds."""

    functionality = models.CharField(
        _("functionality"),
        max_length=10,
        choices=Functionality.choices,
        default=Functionality.UNKNOWN,
    )
    condition = models.CharField(
        _("condition"), max_length=24, choices=Condition.choices, blank=True
    )
    accessibility = models.CharField(
        _("accessibility"), max_length=10, choices=Accessibility.choices, blank=True
    )
    barriers = models.JSONField(_("barriers"), default=list, blank=True)  # Barrier codes
    reasons = models.JSONField(_("reasons for not functioning"), default=list, blank=True)
    # {service code: {"level": Availability code, "causes": [Cause code, ...] (ranked, <= 3)}}
    services = models.JSONField(_("services"), default=dict, blank=True)
    utilities = models.JSONField(_("utilities"), default=dict, blank=True)  # {code: Availability}
    beds_total = models.PositiveIntegerField(_("beds"), null=True, blank=True)
    beds_occupied = models.PositiveIntegerField(_("beds occupied"), null=True, blank=True)
    # {stock code: {"days": float, "on_hand": float | None, "daily_use": float | None}}
    stocks = models.JSONField(_("critical stocks"), default=dict, blank=True)

    class Meta:
        abstract = True


class FacilityStatus(StatusFields, OrgScoped):
    facility = models.OneToOneField(Facility, on_delete=models.CASCADE, related_name="status")
    code = models.CharField(_("code"), max_length=8)
    facility_type = models.CharField(
        _("type"), max_length=16, choices=FacilityType.choices, default=FacilityType.OTHER
    )
    affiliation = models.CharField(
        _("affiliation"), max_length=12, choices=Affiliation.choices, default=Affiliation.OTHER
    )
    thresholds = models.JSONField(_("stock thresholds (days)"), default=dict, blank=True)
    # The current status: the update with the greatest observed_at (ties: the greater id).
    observed_at = models.DateTimeField(null=True, blank=True)
    update_id = models.BigIntegerField(null=True, blank=True)
    low_stocks = models.JSONField(default=list, blank=True)  # stocks now under their threshold
    takes_trauma = models.BooleanField(default=False)  # trauma fully or partially available
    min_days = models.FloatField(null=True, blank=True)  # the shortest days of stock

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "code"], name="facility_code_unique"),
        ]
        indexes = [
            models.Index(fields=["org", "functionality"], name="facstatus_org_func"),
            models.Index(
                fields=["org"], name="facstatus_org_trauma", condition=Q(takes_trauma=True)
            ),
        ]

    def __str__(self) -> str:
        return self.code


class StatusUpdate(StatusFields, OrgScoped):
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="updates")
    observed_at = models.DateTimeField(_("observed at"))
    received_at = models.DateTimeField(default=clock.now)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    inbound_id = models.BigIntegerField(null=True, blank=True)  # the text it came from
    # Stored while a newer update was current: history only, never the current status.
    is_late = models.BooleanField(default=False)
    # Free text may name people: encrypted.
    note = EncryptedTextField(_("note"))

    class Meta:
        indexes = [
            models.Index(fields=["facility", "observed_at", "id"], name="facupdate_history"),
        ]

    def __str__(self) -> str:
        return f"update#{self.pk}"


class AlertCause(models.TextChoices):
    FUNCTIONALITY = "functionality", _("Functionality dropped")
    LOW_STOCK = "low_stock", _("Stock under its threshold")


class FacilityAlert(OrgScoped):
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="+")
    update = models.ForeignKey(StatusUpdate, on_delete=models.CASCADE, related_name="alerts")
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="+")
    cause = models.CharField(max_length=16, choices=AlertCause.choices)
    stock = models.CharField(max_length=16, blank=True)

    def __str__(self) -> str:
        return f"{self.cause}:{self.stock}"
