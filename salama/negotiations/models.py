"""Negotiations (issue E2; DESIGN §4, §6.5): the outside parties, what was asked of them and what
they promised, the notification packages sent to them, who approved each version, each named
person's consent, and a per-person register of what of theirs was disclosed to whom.

- `Party`: an outside party (UN agency, ICRC, Red Crescent, a local authority, an armed group,
  another state). Its contacts are encrypted. `screens_evacuees` flags a party known to screen
  evacuees (a list of names given to it can become a screening list at a checkpoint).
- `Interaction`: one contact with a party — what was asked, what the party promised in its own
  words, the next step and when it falls due, the outcome. All free text is encrypted.
- `Package` and `PackageVersion`: a notification to one party about one movement. A version's
  content is immutable and hashed (SHA-256 over RFC 8785 canonical JSON); any change is a new
  version, which voids the earlier ones and their approvals. The plain columns hold only what the
  pages must sort and count on.
- `Approval`: one coordinator's approval of one exact version (the two-person rule).
- `Consent`: a named person's informed decision about one version for its recipient.
- `Disclosure`: one row per person and exported version: which of their details went to whom.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salama.accounts.models import Membership, OrgScoped
from salama.evacuation.models import Movement, Request
from salama.evacuation.models import Party as ClearingParty
from salama.lib import clock
from salama.lib.fields import EncryptedTextField
from salama.lib.names import local_name
from salama.people.models import Person


class PartyKind(models.TextChoices):
    UN_AGENCY = "un_agency", _("UN agency")
    ICRC = "icrc", _("ICRC")
    RED_CRESCENT = "red_crescent", _("Red Crescent")
    LOCAL_AUTHORITY = "local_authority", _("Local authority")
    ARMED_GROUP = "armed_group", _("Armed group")
    OTHER_STATE = "other_state", _("Other state")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone call")
    MEETING = "meeting", _("Meeting")
    MESSAGE = "message", _("Message")
    EMAIL = "email", _("Email")
    LETTER = "letter", _("Letter")
    PLATFORM = "platform", _("Deconfliction platform")
    OTHER = "other", _("Other")


class InteractionOutcome(models.TextChoices):
    OPEN = "open", _("Open")
    KEPT = "kept", _("Promise kept")
    BROKEN = "broken", _("Promise not kept")
    REFUSED = "refused", _("Refused")
    NO_ANSWER = "no_answer", _("No answer")
    INFORMATION = "information", _("Information only")


class Party(OrgScoped):
    name = models.CharField(_("name"), max_length=80)
    name_ar = models.CharField(_("Arabic name"), max_length=80, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=PartyKind.choices)
    contacts = EncryptedTextField(_("contacts"))
    screens_evacuees = models.BooleanField(_("known to screen evacuees"), default=False)
    # The same party in evacuation's clearance, if it also clears evacuees.
    clearing_party = models.ForeignKey(
        ClearingParty, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="nego_party_name")]

    def __str__(self) -> str:
        return local_name(self)


class Package(OrgScoped):
    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="packages")
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="packages")
    emergency = models.BooleanField(_("emergency (24 hours' lead time)"), default=False)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"P{self.pk}"

    @property
    def code(self) -> str:
        return f"P{self.pk}"


class PackageVersion(OrgScoped):
    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    # The canonical JSON (RFC 8785) of what is notified: encrypted (exact places, maybe names).
    content = EncryptedTextField(_("content"))
    content_hash = models.CharField(max_length=64)  # SHA-256 hex of the canonical JSON
    people = models.PositiveSmallIntegerField(default=0)
    named = models.JSONField(default=list, blank=True)  # [[person_id, [field, ...]], ...]
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    voided_at = models.DateTimeField(null=True, blank=True)  # a newer version replaced it
    exported_at = models.DateTimeField(null=True, blank=True)  # first export
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    acknowledged = models.BooleanField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = EncryptedTextField(_("acknowledged by"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_how = models.CharField(
        _("acknowledged how"), max_length=10, choices=Channel.choices, blank=True
    )
    response = EncryptedTextField(_("the party's response"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["package", "number"], name="nego_version_number"),
            models.UniqueConstraint(
                fields=["package"], condition=Q(voided_at=None), name="nego_one_current_version"
            ),
        ]

    def __str__(self) -> str:
        return f"P{self.package_id}v{self.number}"

    @property
    def code(self) -> str:
        return f"P{self.package_id}v{self.number}"

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None


class Approval(OrgScoped):
    version = models.ForeignKey(PackageVersion, on_delete=models.CASCADE, related_name="approvals")
    by = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "by"], name="nego_approve_once"),
        ]

    def __str__(self) -> str:
        return f"{self.version_id}:{self.by_id}"


class Interaction(OrgScoped):
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="interactions")
    at = models.DateTimeField(_("date"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    participants = EncryptedTextField(_("who took part"))
    asked = EncryptedTextField(_("what was asked"))
    promised = EncryptedTextField(_("what was promised (their words)"))
    next_step = EncryptedTextField(_("next step"))
    next_due = models.DateField(_("next step due"), null=True, blank=True)
    next_done_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=InteractionOutcome.choices, default="open"
    )
    outcome_note = EncryptedTextField(_("outcome note"))
    movements = models.ManyToManyField(Movement, blank=True, related_name="+")
    requests = models.ManyToManyField(Request, blank=True, related_name="+")
    versions = models.ManyToManyField(PackageVersion, blank=True, related_name="interactions")
    recorded_at = models.DateTimeField(default=clock.now)
    recorded_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(
                fields=["org", "next_due"], name="nego_next_due", condition=Q(next_done_at=None)
            )
        ]

    def __str__(self) -> str:
        return f"interaction#{self.pk}"


class ConsentDecision(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ConsentHow(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone call")
    TEXT = "text", _("Text message")
    OTHER = "other", _("Other")


class Consent(OrgScoped):
    """One decision; the latest row for a person and a version counts."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(PackageVersion, on_delete=models.CASCADE, related_name="consents")
    told = EncryptedTextField(_("what they were told"))
    decision = models.CharField(_("decision"), max_length=10, choices=ConsentDecision.choices)
    how = models.CharField(_("how it was recorded"), max_length=10, choices=ConsentHow.choices)
    at = models.DateTimeField(default=clock.now)
    by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["person", "version", "at"], name="nego_consent_latest")]

    def __str__(self) -> str:
        return f"consent#{self.pk}"


class Disclosure(OrgScoped):
    """What of one person's was shared with whom, when, in which version (written on export)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(PackageVersion, on_delete=models.CASCADE, related_name="+")
    fields = models.JSONField(default=list)  # field codes, never the values
    at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "version"], name="nego_disclosed_once"),
        ]

    def __str__(self) -> str:
        return f"disclosure#{self.pk}"
