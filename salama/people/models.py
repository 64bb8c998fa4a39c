"""The roster: persons, contact points, teams, areas, facilities.

A Person carries, besides who they are, their *current state* columns (state, basis, effective
time, decision, next_due_at, ...). They are written only by salama.safety.services in the same
transaction as the check-in or decision that changes them, and read by the board, the lists and
the sweep, which never scan the check-in history.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salama.accounts.models import Membership, Organisation, OrgScoped
from salama.lib import clock
from salama.lib.fields import EncryptedTextField, KeyedHashField
from salama.lib.names import local_name


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    EXTREME = "extreme", _("Extreme")


class Area(OrgScoped):
    name_en = models.CharField(_("English name"), max_length=80)
    name_ar = models.CharField(_("Arabic name"), max_length=80)
    # Other spellings for text matching, in either script, one per line.
    aliases = models.TextField(_("aliases"), blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    polygon = models.JSONField(_("polygon (GeoJSON)"), null=True, blank=True)
    risk = models.CharField(
        _("risk level"), max_length=10, choices=RiskLevel.choices, default=RiskLevel.MEDIUM
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "name_en"], name="area_name_unique")]
        ordering = ["name_en"]

    def __str__(self) -> str:
        return local_name(self)

    def alias_list(self) -> list[str]:
        return [line.strip() for line in self.aliases.splitlines() if line.strip()]


class FacilityKind(models.TextChoices):
    HOSPITAL = "hospital", _("Hospital")
    FIELD_HOSPITAL = "field_hospital", _("Field hospital")
    CLINIC = "clinic", _("Clinic")
    AMBULANCE_POINT = "ambulance_point", _("Ambulance point")
    WAREHOUSE = "warehouse", _("Warehouse")


class Functionality(models.TextChoices):
    FULL = "full", _("Fully functioning")
    PARTIAL = "partial", _("Partially functioning")
    NONE = "none", _("Not functioning")
    UNKNOWN = "unknown", _("Unknown")


class Facility(OrgScoped):
    name = models.CharField(_("name"), max_length=120)
    name_ar = models.CharField(_("Arabic name"), max_length=120, blank=True)
    aliases = models.TextField(_("aliases"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=FacilityKind.choices)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="facilities", verbose_name=_("area")
    )
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    functionality = models.CharField(
        _("functionality"),
        max_length=10,
        choices=Functionality.choices,
        default=Functionality.UNKNOWN,
    )
    functionality_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="facility_name_unique")]
        ordering = ["name"]

    def __str__(self) -> str:
        return local_name(self)

    def alias_list(self) -> list[str]:
        return [line.strip() for line in self.aliases.splitlines() if line.strip()]


class Team(OrgScoped):
    name = models.CharField(_("name"), max_length=80)
    # The team's name in Arabic where the organisation gives one (U1 item 5); plain like `name`.
    name_ar = models.CharField(_("name in Arabic"), max_length=80, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="team_name_unique")]
        ordering = ["name"]

    def __str__(self) -> str:
        """In the reader's language: the Arabic name on Arabic pages where one is given."""
        return local_name(self)


class PersonRole(models.TextChoices):
    DOCTOR = "doctor", _("Doctor")
    NURSE = "nurse", _("Nurse")
    PARAMEDIC = "paramedic", _("Paramedic")
    DRIVER = "driver", _("Driver")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    """What a check-in says."""

    SAFE = "SAFE", _("Safe")
    NEED_HELP = "NEED_HELP", _("Needs help")
    INJURED = "INJURED", _("Injured")


class Basis(models.TextChoices):
    SELF = "self", _("self")
    PROXY_SEEN = "proxy_seen", _("seen by a lead")
    PROXY_HEARD = "proxy_heard", _("heard by a lead")
    RELAYED = "relayed", _("relayed")
    PROVISIONAL = "provisional", _("provisional number")


class DecisionKind(models.TextChoices):
    MISSING = "MISSING", _("Missing")
    DETAINED = "DETAINED", _("Detained")
    KILLED = "KILLED", _("Killed")
    EVACUATED = "EVACUATED", _("Evacuated")


class Certainty(models.TextChoices):
    REPORTED = "reported", _("reported")
    CONFIRMED = "confirmed", _("confirmed")


class Person(OrgScoped):
    # No index of its own: person_codename_unique, person_org_state and person_org_heard begin
    # with it (every check-in's UPDATE of the person maintains every index).
    org = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    codename = models.CharField(_("codename"), max_length=20)
    role = models.CharField(_("role"), max_length=12, choices=PersonRole.choices)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        verbose_name=_("team"),
    )
    home_facility = models.ForeignKey(
        Facility,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
        verbose_name=_("home facility"),
    )
    area = models.ForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="people",
        verbose_name=_("current area"),
    )
    language = models.CharField(
        _("language"), max_length=8, choices=[("ar", "العربية"), ("en", "English")], default="ar"
    )
    dependants = models.PositiveSmallIntegerField(_("dependants"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    real_name = EncryptedTextField(_("real name"))
    specialty = EncryptedTextField(_("specialty"))
    # Exact coordinates only where the organisation turns them on (encrypted, "lat,lon").
    exact_location = EncryptedTextField(_("exact location"))
    exact_location_at = models.DateTimeField(null=True, blank=True)
    membership = models.OneToOneField(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    is_lead_of: models.ManyToManyField = models.ManyToManyField(
        Team, blank=True, through="TeamLead", related_name="leaders"
    )

    # Enrolment: verified in person or by voice, and a test message went both ways.
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_how = models.CharField(max_length=10, blank=True)  # "in_person" | "voice"
    test_message_at = models.DateTimeField(null=True, blank=True)

    # Current state (salama.safety.services writes these).
    state = models.CharField(max_length=10, choices=Status.choices, blank=True)
    state_basis = models.CharField(max_length=12, choices=Basis.choices, blank=True)
    state_at = models.DateTimeField(null=True, blank=True)  # effective time of that check-in
    state_checkin_id = models.BigIntegerField(null=True, blank=True)
    heard_at = models.DateTimeField(null=True, blank=True)  # last self or proxy-seen check-in
    decision = models.CharField(max_length=10, choices=DecisionKind.choices, blank=True)
    decision_certainty = models.CharField(max_length=10, choices=Certainty.choices, blank=True)
    decision_at = models.DateTimeField(null=True, blank=True)
    contact_since_decision_at = models.DateTimeField(null=True, blank=True)
    period = models.JSONField(_("check-in period"), null=True, blank=True)  # None: org default
    next_due_at = models.DateTimeField(null=True, blank=True)
    is_overdue = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "codename"], name="person_codename_unique")
        ]
        indexes = [
            # The sweep: active people past their deadline, by deadline.
            models.Index(
                fields=["next_due_at"],
                name="person_due_active",
                condition=Q(is_active=True, next_due_at__isnull=False),
            ),
            models.Index(fields=["org", "state"], name="person_org_state"),
            models.Index(fields=["org", "heard_at"], name="person_org_heard"),
        ]
        ordering = ["codename"]

    def __str__(self) -> str:
        return self.codename

    @property
    def is_enrolled(self) -> bool:
        return self.verified_at is not None and self.test_message_at is not None


class TeamLead(OrgScoped):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="lead_links")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="lead_links")
    is_deputy = models.BooleanField(_("deputy"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "person"], name="team_lead_unique")]

    def __str__(self) -> str:
        return f"{self.team_id}:{self.person_id}"


class ContactKind(models.TextChoices):
    SMS = "sms", _("SMS number")
    EMAIL = "email", _("E-mail")


class ContactState(models.TextChoices):
    ACTIVE = "active", _("active")
    PROVISIONAL = "provisional", _("provisional")
    SUSPENDED = "suspended", _("suspended")
    COMPROMISED = "compromised", _("compromised")


class ContactPoint(OrgScoped):
    """An SMS number (E.164) or e-mail address, encrypted, found by its keyed hash. Serves one or
    several persons (a ward phone), or a membership (a coordinator's phone for alerts)."""

    kind = models.CharField(_("kind"), max_length=6, choices=ContactKind.choices)
    value = EncryptedTextField(_("number or address"))
    value_hash = KeyedHashField(db_index=True)
    # Free text ("ward 3 phone", "mother's phone") may name someone: encrypted like the value.
    label = EncryptedTextField(_("label"))
    state = models.CharField(
        _("state"), max_length=12, choices=ContactState.choices, default=ContactState.ACTIVE
    )
    is_shared = models.BooleanField(_("shared phone"), default=False)
    operator = models.CharField(_("operator"), max_length=40, blank=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    persons = models.ManyToManyField(Person, blank=True, related_name="contact_points")
    membership = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.CASCADE, related_name="contact_points"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org", "kind", "value_hash"], name="contact_point_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk}"


class LocalResponder(OrgScoped):
    """A person or contact point registered for an area (an ambulance point): receives the
    area's life-safety alerts."""

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="responders")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE)
    contact_point = models.ForeignKey(ContactPoint, null=True, blank=True, on_delete=models.CASCADE)
    label = models.CharField(max_length=60, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(contact_point__isnull=False),
                name="responder_has_target",
            )
        ]

    def __str__(self) -> str:
        return self.label or f"responder#{self.pk}"
