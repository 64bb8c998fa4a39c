"""The outbox: what is to be sent, to whom, why, and every attempt to send it.

A Message is written in the same transaction as its cause (an alert, a digest, a reply); each
Delivery is one attempt-chain on one channel:

    queued -> sending -> sent -> delivered
                 \\-> failed -> (backoff) -> sending ... -> dead

The worker claims deliveries with a lease (salama.messaging.outbox.claim); an expired lease puts
a delivery back in the queue. A message that must not go (a compromised number, a detained
person's own phone) is written with a Suppression and no delivery, so coordinators can see it
and release it.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salama.accounts.models import Membership, OrgScoped
from salama.lib import clock
from salama.lib.fields import EncryptedTextField
from salama.people.models import ContactPoint


class Priority(models.IntegerChoices):
    """Claimed in this order: a life-safety text never waits behind a bulk roll call."""

    LIFE_SAFETY = 0, _("life safety")
    NORMAL = 1, _("normal")
    BULK = 2, _("bulk")


class Message(OrgScoped):
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    template = models.CharField(max_length=40)
    language = models.CharField(max_length=8)
    # Rendered text: it can hold codenames and statuses, so it is encrypted like any personal data.
    body = EncryptedTextField()
    contact_point = models.ForeignKey(
        ContactPoint, null=True, on_delete=models.SET_NULL, related_name="messages"
    )
    # A short code for why it was sent: "alert:17", "digest", "reply", "rollcall:4".
    reason = models.CharField(max_length=60)
    cause_ids = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [models.Index(fields=["org", "created_at"], name="message_org_created")]

    def __str__(self) -> str:
        return f"message#{self.pk} {self.reason}"


class DeliveryState(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed, will retry")
    DEAD = "dead", _("dead")


PENDING_STATES = (DeliveryState.QUEUED, DeliveryState.FAILED, DeliveryState.SENDING)


class Delivery(OrgScoped):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=40)
    # A copy of the message's priority, so one index serves the claim's ORDER BY priority, id.
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=clock.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    # Set by a claim that took the row over from an expired lease: the end of that lease. A
    # hand-off may have happened before it (see outbox.claim).
    lapsed_lease_until = models.DateTimeField(null=True, blank=True)
    # Our random reference, given to the provider (a gateway echoes it in status callbacks).
    our_ref = models.CharField(max_length=32, unique=True)
    provider_ref = models.CharField(max_length=120, blank=True)
    # Codes only ("smtp 451", "timeout"): never an address or a body.
    last_error = models.CharField(max_length=120, blank=True)
    # Incremented in the same UPDATE that marks the delivery sent: more than one is a duplicate.
    handoffs = models.PositiveIntegerField(default=0)
    handed_off_at = models.DateTimeField(null=True, blank=True)
    previous_handoff_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # A coordinator released this delivery from a suppression: send it despite the rule.
    is_released = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [
            # The claim: pending rows of one channel in priority order.
            models.Index(
                fields=["channel", "priority", "id"],
                name="delivery_pending",
                condition=Q(state__in=["queued", "failed", "sending"]),
            ),
            # The dead-letter page.
            models.Index(
                fields=["org", "updated_at"],
                name="delivery_dead",
                condition=Q(state__in=["failed", "dead"]),
            ),
        ]

    def __str__(self) -> str:
        return f"delivery#{self.pk} {self.channel} {self.state}"


class SuppressionReason(models.TextChoices):
    COMPROMISED = "compromised", _("the contact point is compromised")
    SUSPENDED = "suspended", _("the contact point is suspended")
    DECISION = "decision", _("the person's own phone, under a decision")


class Suppression(OrgScoped):
    """A message that was not sent, and why. A coordinator may release it (one at a time)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="suppressions")
    # Set when the delivery was stopped at send time (the phone was seized after queueing).
    delivery = models.ForeignKey(
        Delivery, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=12, choices=SuppressionReason.choices)
    decision = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(
                fields=["org", "created_at"],
                name="suppression_open",
                condition=Q(released_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"suppression#{self.pk} {self.reason}"


class RateBucket(models.Model):
    """A token bucket per channel, shared by every worker through the database. Tokens refill at
    `refill_per_second` up to `capacity`; taking them is a conditional update (outbox.take)."""

    channel = models.CharField(max_length=40, unique=True)
    capacity = models.FloatField()
    refill_per_second = models.FloatField()
    tokens = models.FloatField()
    updated_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"bucket {self.channel}"


class MessageTemplate(OrgScoped):
    """An organisation's wording of one outbound text in one language; overrides the default in
    salama.messaging.texts."""

    key = models.CharField(_("template"), max_length=40)
    language = models.CharField(_("language"), max_length=8)
    body = models.TextField(_("text"))
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org", "key", "language"], name="message_template_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key}/{self.language}"
