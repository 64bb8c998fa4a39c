"""Alerts with owners, the duty rota, quiet hours, and the escalation of the silent.

An Alert is something a person must act on: open -> acknowledged (who, when) -> closed (what was
done). Humans see its per-organisation `number` ("reply OK 17"). Each message an alert causes is
an AlertNotification (which recipient, which contact point, which step of the ladder).

An Escalation is one person's silence being escalated: at most one open per person (a partial
unique constraint), closed by a self or proxy-seen check-in. Digests to leads and coordinators
are throttled per recipient by DigestState (one conditional update claims the window).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salama.accounts.models import Membership, OrgScoped
from salama.lib import clock
from salama.lib.fields import EncryptedTextField
from salama.people.models import Area, ContactPoint, Person


class AlertKind(models.TextChoices):
    NEED_HELP = "need_help", _("Needs help")
    INJURED = "injured", _("Injured")
    DURESS = "duress", _("Duress")
    COMPROMISED_CONTACT = "compromised_contact", _("Contact from a compromised number")
    CONTACT_SINCE_DECISION = "contact_since_decision", _("Contact since a decision")
    UNKNOWN_SENDER_HELP = "unknown_sender_help", _("Help word from an unknown number")
    OVERDUE = "overdue", _("Overdue")
    POSSIBLE_OUTAGE = "possible_outage", _("Possible outage")
    GATEWAY_WARNING = "gateway_warning", _("Gateway warning")
    REVEAL_WATCH = "reveal_watch", _("Many reveals by one user")
    FACILITY = "facility", _("Facility status")  # FA1
    DURESS_CHANGED = "duress_changed", _("Duress word changed")
    CODE_LOCKED = "code_locked", _("Personal code tried too often")
    EVACUEE_SILENT = "evacuee_silent", _("Evacuee silent past the expected arrival")  # E1


LIFE_SAFETY_KINDS = frozenset(
    {
        AlertKind.NEED_HELP,
        AlertKind.INJURED,
        AlertKind.DURESS,
        AlertKind.COMPROMISED_CONTACT,
        AlertKind.CONTACT_SINCE_DECISION,
        AlertKind.UNKNOWN_SENDER_HELP,
        AlertKind.EVACUEE_SILENT,
    }
)


class Severity(models.TextChoices):
    LIFE_SAFETY = "life_safety", _("Life safety")
    ROUTINE = "routine", _("Routine")


class AlertState(models.TextChoices):
    OPEN = "open", _("open")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    CLOSED = "closed", _("closed")


class Alert(OrgScoped):
    number = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=24, choices=AlertKind.choices)
    severity = models.CharField(_("severity"), max_length=12, choices=Severity.choices)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checkin_id = models.BigIntegerField(null=True, blank=True)
    # Where the call came from: the sender's replies go back there (unless quiet_to_sender).
    contact_point = models.ForeignKey(
        ContactPoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    quiet_to_sender = models.BooleanField(default=False)
    # The worst report the alert stands for (SAFE < NEED_HELP < INJURED): its texts say this.
    status = models.CharField(max_length=10, blank=True)
    # For outage alerts: how many went silent in the window.
    silent_count = models.PositiveIntegerField(default=0)
    state = models.CharField(
        _("state"), max_length=12, choices=AlertState.choices, default=AlertState.OPEN
    )
    opened_at = models.DateTimeField(default=clock.now)
    owner = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_via = models.CharField(max_length=10, blank=True)
    # Who acknowledged from a roster number (a lead, deputy or responder, with or without login).
    acknowledged_person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    close_note = EncryptedTextField(_("what was done"))
    escalation_step = models.PositiveSmallIntegerField(default=0)
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    last_action = models.CharField(max_length=20, blank=True)
    last_action_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "number"], name="alert_number_unique"),
        ]
        indexes = [
            models.Index(
                fields=["next_escalation_at"],
                name="alert_escalation_due",
                condition=Q(state="open", next_escalation_at__isnull=False),
            ),
            models.Index(
                fields=["org", "opened_at"], name="alert_org_active", condition=~Q(state="closed")
            ),
        ]
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return f"alert#{self.number}"

    @property
    def is_life_safety(self) -> bool:
        return self.severity == Severity.LIFE_SAFETY


class AlertNotification(OrgScoped):
    """One message an alert caused: to whom (a membership or roster person), at which contact
    point, at which step of the ladder. `message` is None when the outbox suppressed it."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    step = models.PositiveSmallIntegerField(default=0)
    role = models.CharField(max_length=12)  # lead | responder | coordinator | sender
    membership = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact_point = models.ForeignKey(
        ContactPoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.ForeignKey(
        "messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    template = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [models.Index(fields=["alert", "step"], name="alert_notification_step")]

    def __str__(self) -> str:
        return f"notification#{self.pk}"


class DutyProfile(OrgScoped):
    """A membership's own time zone (shifts and pages are shown in it) and quiet hours, during
    which routine alerts are not sent to them (life-safety always breaks through)."""

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="duty_profile"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    quiet_from = models.TimeField(_("quiet from"), null=True, blank=True)
    quiet_until = models.TimeField(_("quiet until"), null=True, blank=True)

    def __str__(self) -> str:
        return f"profile#{self.pk}"


class Shift(OrgScoped):
    """A coordinator on duty from `starts_at` to `ends_at`, entered in their own time zone
    (`time_zone`), stored as aware datetimes."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="shifts")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    time_zone = models.CharField(_("time zone"), max_length=64)
    created_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="shift_order"
            )
        ]
        indexes = [models.Index(fields=["org", "starts_at", "ends_at"], name="shift_org_time")]
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return f"shift#{self.pk}"


class OutageWindow(OrgScoped):
    """A large share of one area went silent at once: per-person escalation there is replaced by
    one "possible outage" alert until `until`."""

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(default=clock.now)
    until = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["org", "area", "until"], name="outage_area_until")]

    def __str__(self) -> str:
        return f"outage#{self.pk}"


class Escalation(OrgScoped):
    """One person's silence being escalated. Opened by the sweep, closed by a self or proxy-seen
    check-in (or when the person leaves the sweep)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="escalations")
    opened_at = models.DateTimeField(default=clock.now)
    due_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    outage = models.ForeignKey(
        OutageWindow, null=True, blank=True, on_delete=models.SET_NULL, related_name="escalations"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by_checkin_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(closed_at=None), name="one_open_escalation"
            )
        ]
        indexes = [
            models.Index(
                fields=["org", "opened_at"], name="escalation_open", condition=Q(closed_at=None)
            )
        ]

    def __str__(self) -> str:
        return f"escalation#{self.pk}"


class SilenceAck(OrgScoped):
    """A lead or coordinator vouches for a person's silence ("in surgery until 18:00"): no
    escalation for them until `expires_at`."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="silence_acks")
    by = models.ForeignKey(Membership, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = EncryptedTextField(_("reason"))
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField(_("until"))

    class Meta:
        indexes = [models.Index(fields=["person", "expires_at"], name="silence_ack_person")]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"silence#{self.pk}"


class DigestState(OrgScoped):
    """When a recipient (a membership "m:<id>" or a roster person "p:<id>") last got a routine
    text. The sweep claims the next one with a conditional update on `last_sent_at`, so two
    sweeps never both send within one window."""

    recipient = models.CharField(max_length=24)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "recipient"], name="digest_recipient_unique")
        ]

    def __str__(self) -> str:
        return f"digest {self.recipient}"
