"""Outbound webhooks: an organisation's endpoints and the queue of deliveries to them."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salama.accounts.models import OrgScoped
from salama.lib import clock
from salama.lib.fields import EncryptedTextField

EVENTS = (
    "alert.opened",
    "alert.acknowledged",
    "alert.closed",
    "rollcall.closed",
    "checkin.recorded",
)


class Endpoint(OrgScoped):
    url = models.URLField(_("URL"), max_length=300)
    secret = EncryptedTextField(_("signing secret"))
    events = models.JSONField(_("events"), default=list)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"endpoint#{self.pk}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("pending")
    DELIVERED = "delivered", _("delivered")
    DEAD = "dead", _("dead")


class WebhookDelivery(OrgScoped):
    """One event to one endpoint: retried with backoff until delivered (2xx) or dead."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    body = (
        models.TextField()
    )  # codenames, numbers of alerts and roll calls, states: no personal data
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default="pending")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=clock.now)
    last_status = models.CharField(max_length=40, blank=True)  # an HTTP status or an error class
    created_at = models.DateTimeField(default=clock.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                name="webhook_due",
                condition=Q(state="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"webhook#{self.pk} {self.event} {self.state}"
