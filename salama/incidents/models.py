"""Attacks on health care in the SSA vocabulary (salama.incidents.vocabulary holds the codes).

- `Report`: a partner report as it came (form, API, text, a draft from pasted text), with its
  own numbers. It is never changed by consolidation: an incident's reports are its sub-entries.
- `Incident`: the consolidated record (the SSA's Attack Report) that coordinators verify. Its
  state moves draft → under review → verified | unverifiable | duplicate | withdrawn
  (salama.incidents.verification); a duplicate points at the incident it repeats.
- `Source`: one source of an incident, of one of the SSA's twelve kinds; the suggested certainty
  follows from the kinds listed (salama.incidents.certainty).
- `IncidentVersion`: an immutable snapshot after every change, written by one function
  (salama.incidents.versions.record_version), numbered per incident.
- `FacilityProposal`: the facility status update an incident proposes (salama.facilities),
  until a coordinator accepts, edits or dismisses it.

Codes only, never labels. Exact places, free text and the perpetrator are encrypted.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salama.accounts.models import Membership, OrgScoped
from salama.lib import clock
from salama.lib.fields import EncryptedTextField
from salama.people.models import Area, Facility, Person

VICTIM_FIELDS = tuple(
    f"{what}_{group}"
    for what in ("killed", "injured")
    for group in ("provider", "auxiliary", "patient", "other", "total")
) + ("detained_health_workers", "detained_patients")
SEALED_FIELDS = ("location", "narrative", "impact_text", "follow_up", "perpetrator")


class Channel(models.TextChoices):
    PAGE = "page", _("page")
    API = "api", _("API")
    SMS = "sms", _("text message")
    PASTE = "paste", _("draft from pasted text")


class SSAFields(models.Model):
    """What one report, or the consolidated incident, says."""

    occurred_on = models.DateField(_("date"))
    occurred_time = models.TimeField(_("time"), null=True, blank=True)  # None: unknown
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    location = EncryptedTextField(_("exact location"))
    attack_types = models.JSONField(_("attack types"), default=list, blank=True)
    resources = models.JSONField(_("resources affected"), default=dict, blank=True)
    facility = models.ForeignKey(
        Facility, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    facility_type = models.CharField(_("facility type"), max_length=16, blank=True)
    affiliation = models.CharField(_("affiliation"), max_length=12, blank=True)
    damage = models.CharField(_("damage"), max_length=10, default="unknown")
    functionality = models.CharField(_("functionality after"), max_length=10, default="unknown")
    killed_provider = models.PositiveIntegerField(null=True, blank=True)
    killed_auxiliary = models.PositiveIntegerField(null=True, blank=True)
    killed_patient = models.PositiveIntegerField(null=True, blank=True)
    killed_other = models.PositiveIntegerField(null=True, blank=True)
    killed_total = models.PositiveIntegerField(null=True, blank=True)
    injured_provider = models.PositiveIntegerField(null=True, blank=True)
    injured_auxiliary = models.PositiveIntegerField(null=True, blank=True)
    injured_patient = models.PositiveIntegerField(null=True, blank=True)
    injured_other = models.PositiveIntegerField(null=True, blank=True)
    injured_total = models.PositiveIntegerField(null=True, blank=True)
    detained_health_workers = models.PositiveIntegerField(null=True, blank=True)
    detained_patients = models.PositiveIntegerField(null=True, blank=True)
    targeted = models.CharField(_("targeted"), max_length=8, default="unknown")
    impact_kind = models.CharField(_("impact"), max_length=8, default="unknown")
    narrative = EncryptedTextField(_("what happened"))
    impact_text = EncryptedTextField(_("immediate impact"))
    follow_up = EncryptedTextField(_("follow-up actions"))
    perpetrator = EncryptedTextField(_("perpetrator as reported"))

    class Meta:
        abstract = True


class Incident(SSAFields, OrgScoped):
    number = models.PositiveIntegerField()
    ssa_version = models.CharField(max_length=8, default="1.0")
    state = models.CharField(max_length=14, default="draft")
    certainty = models.CharField(max_length=10, blank=True)  # set when verified
    certainty_suggested = models.CharField(max_length=10, default="rumour")
    is_certainty_overridden = models.BooleanField(default=False)
    certainty_reason = EncryptedTextField(_("reason for another certainty"))
    own_staff_attacked = models.BooleanField(_("our own staff were attacked"), default=False)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    verified_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "number"], name="incident_number_unique"),
        ]
        indexes = [
            models.Index(fields=["org", "occurred_on", "id"], name="incident_timeline"),
            models.Index(fields=["org", "area", "occurred_on"], name="incident_area"),
            models.Index(
                fields=["org", "created_at"],
                name="incident_queue",
                condition=Q(state__in=["draft", "under_review"]),
            ),
            models.Index(
                fields=["org", "occurred_on"],
                name="incident_published",
                condition=Q(state="verified") & ~Q(certainty="rumour"),
            ),
        ]

    def __str__(self) -> str:
        return f"incident#{self.number}"


class Report(SSAFields, OrgScoped):
    number = models.PositiveIntegerField()
    channel = models.CharField(max_length=8, choices=Channel.choices)
    received_at = models.DateTimeField(default=clock.now)
    reporter = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reporter_person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    inbound_id = models.BigIntegerField(null=True, blank=True)  # the text it came from
    raw_text = EncryptedTextField(_("the message as sent"))
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "number"], name="report_number_unique"),
        ]
        indexes = [models.Index(fields=["org", "incident"], name="report_incident")]

    def __str__(self) -> str:
        return f"report#{self.number}"


class Source(OrgScoped):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="sources")
    kind = models.CharField(_("kind"), max_length=24)
    note = EncryptedTextField(_("note"))  # who, where: never published
    added_at = models.DateTimeField(default=clock.now)
    added_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return self.kind


class IncidentVersion(OrgScoped):
    """Never updated or deleted by Salama: history (and the evidence ledger's input)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    at = models.DateTimeField(default=clock.now)
    actor = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=24)
    fields = models.JSONField(default=dict)  # codes, numbers, dates: no free text
    sealed = EncryptedTextField()  # the encrypted fields, as JSON

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "number"], name="incident_version_unique"),
        ]

    def __str__(self) -> str:
        return f"incident#{self.incident_id}v{self.number}"


class FacilityProposal(OrgScoped):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="proposals")
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="+")
    functionality = models.CharField(max_length=10)
    condition = models.CharField(max_length=24, blank=True)
    state = models.CharField(max_length=10, default="proposed")  # accepted, dismissed
    update_id = models.BigIntegerField(null=True, blank=True)  # the facilities StatusUpdate
    created_at = models.DateTimeField(default=clock.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident"], name="one_open_proposal", condition=Q(state="proposed")
            ),
        ]

    def __str__(self) -> str:
        return f"proposal#{self.pk}"
