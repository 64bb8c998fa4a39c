"""Roll calls and duress forms.

A RollCall asks a target group one question with numbered options; a RollCallRecipient is one
person's row in its snapshot: the contact point used, the message sent, the answer and how it
was credited. A person has at most one *current* safety roll call (a partial unique
constraint); a new one supersedes the old for the people they share.

A DuressForm is a word agreed at enrolment that reads as SAFE but means "I am under duress";
only its keyed hash is kept, and the response plan is encrypted.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salama.accounts.models import Membership, OrgScoped
from salama.lib import clock
from salama.lib.fields import EncryptedTextField, KeyedHashField, SealedLabelsField
from salama.messaging.models import Message
from salama.people.models import ContactPoint, Person
from salama.safety.models import Event


class Effect(models.TextChoices):
    SAFE = "SAFE", _("safe")
    NEED_HELP = "NEED_HELP", _("needs help")
    INJURED = "INJURED", _("injured")
    NONE = "", _("no effect on welfare")


class RollCallState(models.TextChoices):
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")


class RollCall(OrgScoped):
    number = models.PositiveIntegerField(_("number"))
    # The event the roll call was launched under, or none: a roll call never opens an event of
    # its own (a roll call to one team must not take the board over, U1 item 1).
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_safety = models.BooleanField(_("safety roll call"), default=True)
    # Written by a coordinator: encrypted like other free text (at most 160 characters, held by
    # the composer's form).
    question = EncryptedTextField(_("question"))
    # The same question written by the coordinator in each language (U1 item 5): a recipient
    # is asked in their own language where it is given, else `question` as it was written.
    question_ar = EncryptedTextField(_("question in Arabic"))
    question_en = EncryptedTextField(_("question in English"))
    # [{"number": 1, "label": "...", "effect": "SAFE"}, ...]; 1-3 are fixed on a safety roll call.
    options = SealedLabelsField(default=list)  # the labels encrypted (coordinators' free text)
    # What was asked for, as ids: {"everyone": bool, "teams": [...], "areas": [...], ...}.
    target = models.JSONField(default=dict)
    deadline_at = models.DateTimeField(_("deadline"))
    resend_after_minutes = models.PositiveIntegerField(_("re-send to the silent after"), default=0)
    resend_max = models.PositiveSmallIntegerField(_("re-sends at most"), default=1)
    resends_done = models.PositiveSmallIntegerField(default=0)
    last_send_at = models.DateTimeField(default=clock.now)
    state = models.CharField(
        _("state"), max_length=8, choices=RollCallState.choices, default=RollCallState.OPEN
    )
    opened_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(default=clock.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    digest_sent_at = models.DateTimeField(null=True, blank=True)
    # The estimate shown in the composer when it was launched.
    estimate = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "number"], name="rollcall_number_unique")
        ]
        indexes = [
            models.Index(fields=["deadline_at"], name="rollcall_open", condition=Q(state="open"))
        ]
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return f"rollcall#{self.number}"

    def own_questions(self) -> dict[str, str]:
        """The questions written for each language ("" where none was)."""
        return {"ar": str(self.question_ar or ""), "en": str(self.question_en or "")}

    def option(self, number: int) -> dict[str, object] | None:
        return next((o for o in self.options if int(o["number"]) == number), None)


class Timing(models.TextChoices):
    COUNTED = "counted", _("counted")
    UNKNOWN = "unknown", _("timing unknown")
    ACCEPTED = "accepted", _("timing unknown, accepted")
    LATE = "late", _("late")


class WithheldReason(models.TextChoices):
    NO_NUMBER = "no_number", _("no number that may receive texts")
    SUPPRESSED = "suppressed", _("suppressed: the phone may be in other hands")


class RollCallRecipient(OrgScoped):
    roll_call = models.ForeignKey(RollCall, on_delete=models.CASCADE, related_name="recipients")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    contact_point = models.ForeignKey(
        ContactPoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The first message of this roll call to the person (a re-send is another message).
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withheld = models.CharField(max_length=12, choices=WithheldReason.choices, blank=True)
    # Current: the person's roll call that digits answer (one current safety roll call each).
    is_current = models.BooleanField(default=True)
    is_safety = models.BooleanField(default=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    resends = models.PositiveSmallIntegerField(default=0)
    option = models.PositiveSmallIntegerField(null=True, blank=True)
    timing = models.CharField(max_length=10, choices=Timing.choices, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_sent_at = models.DateTimeField(null=True, blank=True)  # SMSC time, when given
    answer_via = models.CharField(max_length=12, blank=True)  # sms | field_page | api | link
    checkin_id = models.BigIntegerField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["roll_call", "person"], name="rollcall_person_once"),
            models.UniqueConstraint(
                fields=["person"],
                name="rollcall_one_current_safety",
                condition=Q(is_current=True, is_safety=True),
            ),
        ]

    def __str__(self) -> str:
        return f"rollcall recipient#{self.pk}"


class DuressForm(OrgScoped):
    """Never shown again after it is agreed: pages and the API say only whether one exists."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="+")
    word_hash = KeyedHashField()
    plan = EncryptedTextField(_("response plan"))
    agreed_at = models.DateTimeField(default=clock.now)
    agreed_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"duress form of {self.person_id}"


class DuressAlert(OrgScoped):
    """Which alerts came from a duress form (the alert itself is an ordinary DURESS alert)."""

    alert_id = models.BigIntegerField(unique=True)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    checkin_id = models.BigIntegerField(null=True, blank=True)
    is_drill = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"duress alert {self.alert_id}"
