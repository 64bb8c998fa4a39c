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
from salama.lib.fields import EncryptedTextField, KeyedHashField
from salama.people.models import ContactPoint, Person


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


# --- Gateways and inbound texts (M1) ---------------------------------------------------------


class GatewayKind(models.TextChoices):
    HTTP_JSON = "http_json", _("JSON over HTTP")
    TWILIO = "twilio", _("Twilio-style")


class Gateway(OrgScoped):
    """An organisation's account with one SMS gateway. The channel adapter of its kind
    (salama.messaging.channels) sends through it and checks its webhooks."""

    kind = models.CharField(_("kind"), max_length=12, choices=GatewayKind.choices)
    # Names the gateway in its webhook URLs. Random, and not a secret: every webhook is signed.
    key = models.CharField(max_length=24, unique=True)
    base_url = models.URLField(_("address to send to"), max_length=300)
    # Where the provider calls us, as it sees it (behind a proxy): the Twilio-style signature
    # covers the full URL. Empty: this server's own address.
    public_url = models.URLField(_("public address of this server"), max_length=300, blank=True)
    # A JSON document: tokens, secrets, the account id and the sending number.
    credentials = EncryptedTextField(_("credentials"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "kind"], name="gateway_one_per_kind")]

    def __str__(self) -> str:
        return f"gateway#{self.pk} {self.kind}"


class InboundState(models.TextChoices):
    RECEIVED = "received", _("received, not yet handled")
    HANDLED = "handled", _("handled")
    FAILED = "failed", _("failed, will retry")
    UNMATCHED = "unmatched", _("waiting for a coordinator")
    RESOLVED = "resolved", _("resolved by a coordinator")


class InboundMessage(OrgScoped):
    """Every text received, stored before anything else is done with it (DESIGN §4). The body
    and the sender are encrypted; the sender's keyed hash and the gateway's id are in clear, so
    a repeated delivery of one text is stored once."""

    channel = models.CharField(max_length=40)  # http_json | twilio | simulator
    gateway = models.ForeignKey(
        Gateway, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    gateway_ref = models.CharField(max_length=120)
    sender = EncryptedTextField()
    sender_hash = KeyedHashField(db_index=True)
    body = EncryptedTextField()
    # The sender-side (SMSC) time, only when the gateway gives it.
    sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=clock.now)
    state = models.CharField(
        max_length=10, choices=InboundState.choices, default=InboundState.RECEIVED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)  # after a failed handling
    last_error = models.CharField(max_length=120, blank=True)  # a code, never the text
    contact_point = models.ForeignKey(
        ContactPoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What handling did (checkin, proxy_checkin, move, status, acknowledge, not_understood,
    # unknown, ignored, ...) and why, as codes.
    action = models.CharField(max_length=20, blank=True)
    reason = models.CharField(max_length=40, blank=True)
    has_danger_word = models.BooleanField(default=False)
    alert_id = models.BigIntegerField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org", "channel", "gateway_ref"], name="inbound_once_per_gateway_ref"
            )
        ]
        indexes = [
            models.Index(
                fields=["state", "id"],
                name="inbound_pending",
                condition=Q(state__in=["received", "failed"]),
            ),
            models.Index(
                fields=["org", "received_at"],
                name="inbound_unmatched",
                condition=Q(state="unmatched"),
            ),
        ]

    def __str__(self) -> str:
        return f"inbound#{self.pk} {self.state}"


class RejectedWebhook(models.Model):
    """A webhook refused with 403: unsigned, wrongly signed, stale, or for no known gateway. The
    body is not kept, only its length and SHA-256 (to recognise a replay)."""

    org = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    gateway = models.ForeignKey(
        Gateway, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hook = models.CharField(max_length=10)  # inbound | status
    reason = models.CharField(max_length=20)  # unsigned | bad_signature | stale | unknown_gateway
    address = models.GenericIPAddressField(null=True, blank=True)
    body_sha256 = models.CharField(max_length=64)
    body_length = models.PositiveIntegerField(default=0)
    at = models.DateTimeField(default=clock.now, db_index=True)

    def __str__(self) -> str:
        return f"rejected webhook#{self.pk} {self.reason}"


class PersonalCode(OrgScoped):
    """A short code set at enrolment, known to the person only: with their codename it attaches
    a new number (``NEW K12 <code>``). Kept as a keyed hash."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="personal_code")
    code_hash = KeyedHashField()
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"personal code of {self.person_id}"


class CodeTries(OrgScoped):
    """Failed ``NEW <codename> <code>`` tries against one person's code ("person:<id>") or from
    one sending number ("number:<keyed hash>"): past a few, the key is locked for a while
    (salama.messaging.services.try_personal_code). A success or a new code forgets them."""

    key = models.CharField(max_length=100)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(default=clock.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    alert_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "key"], name="code_tries_one_per_key")
        ]

    def __str__(self) -> str:
        return f"code tries#{self.pk}"


class AskedBack(OrgScoped):
    """We asked this number to say it again: a second unclear text goes to a coordinator."""

    contact_point = models.OneToOneField(ContactPoint, on_delete=models.CASCADE, related_name="+")
    asked_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"asked back {self.contact_point_id}"


# --- M2: Android phone gateways, spend, gateway warnings -------------------------------------


class AndroidPhone(OrgScoped):
    """An Android phone with a local SIM that relays texts in the SMSSync style: it posts the
    texts it receives and polls for the ones to send (salama.messaging.channels.android). Its
    shared secret is kept as a SHA-256 hash (it is random: no salt or slow hash is needed);
    revoking empties it at once."""

    label = models.CharField(_("name"), max_length=40)
    # Names the phone in its URLs. Random, and not a secret: the shared secret authenticates.
    key = models.CharField(max_length=24, unique=True)
    secret_hash = models.CharField(max_length=64, blank=True)
    # The SIM's mobile operator: recipients on the same operator are sent through this SIM.
    operator = models.CharField(_("operator"), max_length=40, blank=True)
    # Kept below Android's own limit of 30 texts a minute per app.
    per_minute = models.PositiveSmallIntegerField(_("texts per minute"), default=20)
    # Addresses the phone polls from; a poll from another one raises a gateway warning.
    known_addresses = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_poll_at = models.DateTimeField(null=True, blank=True)
    # How often the phone polls, learned from its polls (seconds; None: not yet known). Its
    # bucket holds enough for one such interval at its pace (channels.android.set_pacing).
    poll_seconds = models.FloatField(null=True, blank=True)
    # The texts handed to it within the last minute: [[unix time, count], ...] one pair per poll
    # that handed any, written in the hand-off's transaction; no poll hands more than Android's
    # limit less one, less these (channels.android.outgoing).
    recent_handoffs = models.JSONField(default=list, blank=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"android phone#{self.pk}"

    @property
    def bucket(self) -> str:
        """The phone's own token bucket (RateBucket.channel)."""
        return f"android:{self.pk}"


class Charge(OrgScoped):
    """What one handed-off delivery cost: segments x price per segment of its channel (x hand-
    offs, when it was handed off more than once). Written once per delivery by the budget job;
    the month's spend is their sum (salama.messaging.budget)."""

    delivery = models.OneToOneField(Delivery, on_delete=models.CASCADE, related_name="charge")
    channel = models.CharField(max_length=40)
    segments = models.PositiveIntegerField(default=1)
    amount = models.DecimalField(max_digits=12, decimal_places=4)
    at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [models.Index(fields=["org", "at"], name="charge_org_at")]

    def __str__(self) -> str:
        return f"charge#{self.pk}"


class BudgetNotice(OrgScoped):
    """The routine alert of a month's budget: at 80% (a warning) and at 100% (bulk and normal
    texts are held), each once a month."""

    month = models.CharField(max_length=7)  # YYYY-MM, in the organisation's time zone
    level = models.PositiveSmallIntegerField()  # 80 | 100
    alert_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "month", "level"], name="budget_notice_once")
        ]

    def __str__(self) -> str:
        return f"budget {self.month} {self.level}%"


class GatewayWarning(OrgScoped):
    """A gateway warning raised by the watchdog (salama.messaging.watchdog): one open per
    gateway and reason; cleared when the gateway recovers, so a later fault warns again."""

    source = models.CharField(max_length=40)  # http_json | twilio | android:<phone id>
    reason = models.CharField(max_length=20)  # silent | failing | unknown_address
    alert_id = models.BigIntegerField(null=True, blank=True)
    raised_at = models.DateTimeField(default=clock.now)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org", "source", "reason"],
                name="gateway_warning_open_once",
                condition=Q(cleared_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"gateway warning {self.source} {self.reason}"


class LoginLink(OrgScoped):
    """A one-time login link sent by text to a field member's registered number (O1): only the
    token's SHA-256 is kept; it works once, for LINK_LIFETIME (salama.messaging.field_login)."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"loginlink#{self.pk}"
