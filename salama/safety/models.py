"""Check-ins, decisions, events, heightened mode and API idempotency keys.

A CheckIn is immutable: it is written once by salama.safety.services.record_checkin, which in the
same transaction updates the person's current-state columns (salama.people.models.Person). The
board and the sweep read those columns, never this table.
"""

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salama.accounts.models import Membership, Organisation, OrgScoped, User
from salama.lib import clock
from salama.lib.fields import EncryptedTextField
from salama.people.models import Area, Basis, Certainty, ContactPoint, DecisionKind, Person, Status

# Only these bases mean somebody actually saw or heard from the person themselves.
HEARD_BASES = (Basis.SELF, Basis.PROXY_SEEN)


class Channel(models.TextChoices):
    FIELD_PAGE = "field_page", _("field page")
    SMS = "sms", _("SMS")
    API = "api", _("API")
    RELAYED = "relayed", _("relayed entry")
    PROXY = "proxy", _("lead's proxy")
    ROLL_CALL = "roll_call", _("roll call")
    EMAIL = "email", _("e-mail")


class RelaySource(models.TextChoices):
    CALL = "call", _("phone call")
    VOICE_NOTE = "voice_note", _("voice note")
    MESSAGING_APP = "messaging_app", _("messaging app")
    IN_PERSON = "in_person", _("in person")
    THIRD_PARTY = "third_party", _("third party")


class ImmutableError(Exception):
    pass


class CheckIn(OrgScoped):
    # No index of their own: checkin_org_received and checkin_person_time begin with them (each
    # check-in's INSERT maintains every index).
    org = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="checkins", db_index=False
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    basis = models.CharField(_("basis"), max_length=12, choices=Basis.choices)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    note = EncryptedTextField(_("note"))
    # Relayed news: how it came (call, voice note, ...; encrypted, it may name a third party)
    # and when the relayer heard it.
    source = EncryptedTextField(_("source"))
    heard_at = models.DateTimeField(null=True, blank=True)
    device_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField()
    effective_at = models.DateTimeField()
    is_time_flagged = models.BooleanField(default=False)
    counts_as_heard = models.BooleanField(default=False)
    # A SAFE kept but not applied: the person's own call for help was open and this SAFE was
    # stale, re-timed or second-hand (salama.safety.services.record_checkin, rule 4a).
    is_held = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact_point = models.ForeignKey(
        ContactPoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["person", "effective_at", "id"], name="checkin_person_time"),
            models.Index(fields=["org", "received_at"], name="checkin_org_received"),
        ]
        ordering = ["-effective_at", "-id"]

    def __str__(self) -> str:
        return f"checkin#{self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A check-in is a record of what was said: never rewritten.
        if not self._state.adding:
            raise ImmutableError("check-ins are immutable")
        super().save(*args, **kwargs)


class Decision(OrgScoped):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="decisions")
    kind = models.CharField(_("decision"), max_length=10, choices=DecisionKind.choices)
    certainty = models.CharField(_("certainty"), max_length=10, choices=Certainty.choices)
    source = EncryptedTextField(_("source"))
    reason = EncryptedTextField(_("reason"))
    made_by = models.ForeignKey(Membership, null=True, on_delete=models.SET_NULL, related_name="+")
    made_at = models.DateTimeField(default=clock.now)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(cleared_at=None), name="one_open_decision"
            )
        ]
        ordering = ["-made_at", "-id"]

    def __str__(self) -> str:
        return f"decision#{self.pk}"


class Event(OrgScoped):
    """A strike or danger at a time, in areas. While open, the board counts heard-from since."""

    # Written by a coordinator ("Strike near the north gate"): encrypted like other free text
    # (at most 80 characters, held by the form and open_event).
    label = EncryptedTextField(_("label"))
    started_at = models.DateTimeField(_("started at"))
    areas = models.ManyToManyField(Area, blank=True, related_name="+", verbose_name=_("areas"))
    opened_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(default=clock.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(
                fields=["org", "started_at"], name="event_open", condition=Q(closed_at=None)
            )
        ]
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return self.label

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class Heightened(OrgScoped):
    """Heightened mode: shorter check-in periods, for the whole organisation (no areas) or some
    areas; expires 72 hours after it was started or last renewed."""

    areas = models.ManyToManyField(Area, blank=True, related_name="+", verbose_name=_("areas"))
    started_at = models.DateTimeField(default=clock.now)
    started_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["org", "expires_at"], name="heightened_on", condition=Q(ended_at=None)
            )
        ]

    def __str__(self) -> str:
        return f"heightened#{self.pk}"


class IdempotencyKey(OrgScoped):
    """One API request's key and its first answer (encrypted), kept at least 30 days."""

    # No index of its own: idempotency_key_unique begins with it.
    org = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    body_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = EncryptedTextField()
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "user", "key"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"idem#{self.pk}"


class CheckInKey(OrgScoped):
    """The one idempotency store of check-ins, whatever the channel (the field page, the API, a
    text): a person's key and the check-in it made (salama.safety.idempotency). The content
    compared when a key comes again is the status: a text cannot carry the rest exactly."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=16)  # the short form (salama.lib.checkinkey)
    status = models.CharField(max_length=10, choices=Status.choices)
    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "key"], name="checkin_key_unique")]

    def __str__(self) -> str:
        return f"checkinkey#{self.pk}"
