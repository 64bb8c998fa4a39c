"""Evacuation: requests, clearance by outside parties, movements and their manifests, and each
evacuee's journey (issue E1; DESIGN §4, §6.5).

- `Request`: one person plus dependants. The details (medical needs, each dependant's relation,
  age band, needs and "keep together") are encrypted; the plain columns hold only what the queue
  and the manifest must count and sort on (seats, stretcher places, the priority band, score and
  its explanation as factor codes). One open request per person (a partial unique constraint).
- `Party` and `Clearance`/`ClearanceStep`: each party that must clear a request, as an outside
  decision, step by step, dated, with who recorded it. Salama never implies a clearance it has
  not recorded: a request is cleared only when every active party has an approved step.
- `Movement`, `Vehicle`, `Seat`: a movement's vehicles and its manifest. A seat row is one
  request (the person and the dependants travelling with them) in one vehicle; at most one
  active seat per request (a partial unique constraint backs the manifest's own check).
- The journey: `Request.journey` and its history `JourneyStep`, with the legal transitions in
  `JOURNEY_TRANSITIONS` (salama.evacuation.journey moves it).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salama.accounts.models import Membership, OrgScoped
from salama.lib import clock
from salama.lib.fields import EncryptedTextField
from salama.lib.names import local_name
from salama.people.models import Area, Facility, Person


class Reason(models.TextChoices):
    INJURY = "injury", _("Injury")
    MEDICAL_SELF = "medical_self", _("Medical condition")
    MEDICAL_DEPENDANT = "medical_dependant", _("Medical condition of a dependant")
    THREAT = "threat", _("Threat")
    DETENTION_RISK = "detention_risk", _("Risk of detention")
    END_OF_MISSION = "end_of_mission", _("End of mission")
    NOT_STATED = "not_stated", _("Not stated yet")  # a text request: the lead completes it


class Need(models.TextChoices):
    VITAL_MEDICATION = "vital_medication", _("Vital medication")
    DIALYSIS = "dialysis", _("Dialysis")
    OXYGEN = "oxygen", _("Oxygen")
    VENTILATOR_INTERMITTENT = "ventilator_intermittent", _("Ventilator (intermittent)")
    VENTILATOR_DEPENDENT = "ventilator_dependent", _("Ventilator (dependent)")
    CARDIAC_DEVICE = "cardiac_device", _("Cardiac device")
    PREGNANCY = "pregnancy", _("Pregnancy")
    MOBILITY = "mobility", _("Mobility impaired")
    WHEELCHAIR = "wheelchair", _("Wheelchair")
    STRETCHER = "stretcher", _("Stretcher")


class SeatKind(models.TextChoices):
    SEATED = "seated", _("Seated")
    STRETCHER = "stretcher", _("Stretcher")
    SPECIAL = "special", _("Special equipment")


class Relation(models.TextChoices):
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    SIBLING = "sibling", _("Sibling")
    OTHER = "other", _("Other relative")


class AgeBand(models.TextChoices):
    INFANT = "0-1", _("under 2")
    CHILD = "2-11", _("2 to 11")
    TEEN = "12-17", _("12 to 17")
    ADULT = "18-59", _("18 to 59")
    OLDER = "60+", _("60 and over")
    UNKNOWN = "unknown", _("not known yet")


class Band(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    PRIORITY = "priority", _("Priority")
    ROUTINE = "routine", _("Routine")


BAND_RANK = {Band.URGENT: 0, Band.PRIORITY: 1, Band.ROUTINE: 2}


class Outcome(models.TextChoices):
    EVACUATED = "evacuated", _("Evacuated")
    WITHDREW = "withdrew", _("Withdrew")
    DIED_WAITING = "died_waiting", _("Died while waiting")
    DETAINED = "detained", _("Detained at screening")
    RETURNED = "returned", _("Returned")


class Channel(models.TextChoices):
    PAGE = "page", _("page")
    FIELD = "field", _("field page")
    API = "api", _("API")
    SMS = "sms", _("text message")
    SYSTEM = "system", _("system")


class JourneyState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    ASSIGNED = "assigned", _("Assigned")
    ASSEMBLED = "assembled", _("Assembled")
    DEPARTED = "departed", _("Departed")
    ARRIVED = "arrived", _("Arrived")
    TURNED_BACK = "turned_back", _("Turned back")
    MISSING = "missing", _("Missing")
    CANCELLED = "cancelled", _("Cancelled")


J = JourneyState
# The legal moves of a journey. Assigning and unassigning happen through the manifest
# (approved <-> assigned); a turned-back evacuee may be approved again for another movement.
JOURNEY_TRANSITIONS: dict[str, frozenset[str]] = {
    J.REQUESTED: frozenset({J.APPROVED, J.CANCELLED}),
    J.APPROVED: frozenset({J.ASSIGNED, J.CANCELLED}),
    J.ASSIGNED: frozenset({J.ASSEMBLED, J.APPROVED, J.CANCELLED}),
    J.ASSEMBLED: frozenset({J.DEPARTED, J.APPROVED, J.TURNED_BACK, J.CANCELLED}),
    J.DEPARTED: frozenset({J.ARRIVED, J.TURNED_BACK, J.MISSING}),
    J.MISSING: frozenset({J.ARRIVED, J.TURNED_BACK}),
    J.TURNED_BACK: frozenset({J.APPROVED, J.CANCELLED}),
    J.ARRIVED: frozenset(),
    J.CANCELLED: frozenset(),
}
# On a movement's manifest (a seat is active) in these states, and only in these.
ON_MANIFEST = frozenset({J.ASSIGNED, J.ASSEMBLED, J.DEPARTED, J.MISSING})


class Request(OrgScoped):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="evac_requests")
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    seat_kind = models.CharField(
        _("seat kind"), max_length=10, choices=SeatKind.choices, default=SeatKind.SEATED
    )
    # {"needs": [Need], "dependants": [{"relation", "age_band", "needs", "keep_together"}],
    #  "note": str} — JSON, encrypted (salama.evacuation.requests reads and writes it).
    details = EncryptedTextField(_("details"))
    dependants = models.PositiveSmallIntegerField(_("dependants"), default=0)
    seats = models.PositiveSmallIntegerField(default=1)  # seated places for the whole family
    stretchers = models.PositiveSmallIntegerField(default=0)  # stretcher places
    keep_together = models.PositiveSmallIntegerField(default=0)  # dependants who must travel too
    keep_with = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("keep together with"),
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    inbound_id = models.BigIntegerField(null=True, blank=True)
    requested_at = models.DateTimeField(default=clock.now)
    requested_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Priority (salama.evacuation.priority): medical and dependants' points are fixed when the
    # request is written; area and waiting points are refreshed by the worker.
    medical_points = models.IntegerField(default=0)
    dependant_points = models.IntegerField(default=0)
    band = models.CharField(max_length=10, choices=Band.choices, default=Band.ROUTINE)
    band_rank = models.PositiveSmallIntegerField(default=2)
    score = models.IntegerField(default=0)
    explanation = models.JSONField(default=list, blank=True)  # [[factor, points, n], ...]
    scored_at = models.DateTimeField(default=clock.now)
    override_band = models.CharField(max_length=10, choices=Band.choices, blank=True)
    override_reason = EncryptedTextField(_("override reason"))
    override_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_cleared = models.BooleanField(default=False)  # every active party approved
    journey = models.CharField(max_length=12, choices=JourneyState.choices, default=J.REQUESTED)
    journey_at = models.DateTimeField(default=clock.now)
    outcome = models.CharField(max_length=14, choices=Outcome.choices, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(outcome=""), name="evac_one_open_request"
            ),
        ]
        indexes = [
            models.Index(
                fields=["org", "band_rank", "-score", "requested_at"],
                name="evac_queue",
                condition=Q(outcome=""),
            ),
            models.Index(fields=["org", "journey"], name="evac_journey"),
        ]

    def __str__(self) -> str:
        return f"request#{self.pk}"

    @property
    def is_open(self) -> bool:
        return not self.outcome

    @property
    def people(self) -> int:
        return 1 + self.dependants


class JourneyStep(OrgScoped):
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="steps")
    movement = models.ForeignKey(
        "Movement", null=True, blank=True, on_delete=models.SET_NULL, related_name="steps"
    )
    from_state = models.CharField(max_length=12, choices=JourneyState.choices, blank=True)
    to_state = models.CharField(max_length=12, choices=JourneyState.choices)
    at = models.DateTimeField(default=clock.now)
    by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)

    class Meta:
        indexes = [models.Index(fields=["request", "at"], name="evac_step_request")]

    def __str__(self) -> str:
        return f"{self.from_state}->{self.to_state}"


class Party(OrgScoped):
    """An outside party that must clear each evacuee (a side of the conflict, a crossing
    authority). E2's negotiation log builds on it."""

    name = models.CharField(_("name"), max_length=80)
    name_ar = models.CharField(_("Arabic name"), max_length=80, blank=True)
    is_active = models.BooleanField(_("must clear evacuees"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="evac_party_name")]

    def __str__(self) -> str:
        return local_name(self)


class ClearanceState(models.TextChoices):
    NOT_SUBMITTED = "not_submitted", _("Not submitted")
    SUBMITTED = "submitted", _("Submitted")
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    DENIED = "denied", _("Denied")
    EXPIRED = "expired", _("Expired")


C = ClearanceState
CLEARANCE_TRANSITIONS: dict[str, frozenset[str]] = {
    C.NOT_SUBMITTED: frozenset({C.SUBMITTED}),
    C.SUBMITTED: frozenset({C.PENDING, C.APPROVED, C.DENIED, C.EXPIRED}),
    C.PENDING: frozenset({C.APPROVED, C.DENIED, C.EXPIRED}),
    C.APPROVED: frozenset({C.EXPIRED}),
    C.DENIED: frozenset({C.SUBMITTED}),  # submitted again
    C.EXPIRED: frozenset({C.SUBMITTED}),
}


class Clearance(OrgScoped):
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="clearances")
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="clearances")
    state = models.CharField(max_length=14, choices=ClearanceState.choices, default=C.NOT_SUBMITTED)
    state_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "party"], name="evac_clearance_once")
        ]

    def __str__(self) -> str:
        return f"{self.party_id}:{self.state}"


class ClearanceStep(OrgScoped):
    clearance = models.ForeignKey(Clearance, on_delete=models.CASCADE, related_name="steps")
    state = models.CharField(max_length=14, choices=ClearanceState.choices)
    at = models.DateTimeField(_("date"))  # when the party decided, as told
    recorded_at = models.DateTimeField(default=clock.now)
    recorded_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = EncryptedTextField(_("note"))

    def __str__(self) -> str:
        return self.state


class MovementKind(models.TextChoices):
    ROAD_CONVOY = "road_convoy", _("Road convoy")
    AMBULANCE = "ambulance", _("Single ambulance")
    ESCORTED = "escorted", _("Escorted crossing")


class MovementStatus(models.TextChoices):
    PLANNING = "planning", _("Planning")
    NOTIFIED = "notified", _("Notified")
    CONFIRMED = "confirmed", _("Confirmed")
    UNDER_WAY = "under_way", _("Under way")
    COMPLETED = "completed", _("Completed")
    POSTPONED = "postponed", _("Postponed")
    CANCELLED = "cancelled", _("Cancelled")


M = MovementStatus
MOVEMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    M.PLANNING: frozenset({M.NOTIFIED, M.POSTPONED, M.CANCELLED}),
    M.NOTIFIED: frozenset({M.CONFIRMED, M.PLANNING, M.POSTPONED, M.CANCELLED}),
    M.CONFIRMED: frozenset({M.UNDER_WAY, M.POSTPONED, M.CANCELLED}),
    M.UNDER_WAY: frozenset({M.COMPLETED}),
    M.POSTPONED: frozenset({M.PLANNING, M.CANCELLED}),
    M.COMPLETED: frozenset(),
    M.CANCELLED: frozenset(),
}
ACTIVE_MOVEMENT = frozenset({M.PLANNING, M.NOTIFIED, M.CONFIRMED, M.UNDER_WAY, M.POSTPONED})


class Movement(OrgScoped):
    kind = models.CharField(_("kind"), max_length=12, choices=MovementKind.choices)
    status = models.CharField(max_length=10, choices=MovementStatus.choices, default=M.PLANNING)
    status_at = models.DateTimeField(default=clock.now)
    assembly_area = models.ForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("assembly area"),
    )
    assembly_point = EncryptedTextField(_("assembly point"))  # an exact place: encrypted
    destination_area = models.ForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("destination area"),
    )
    destination_facility = models.ForeignKey(
        Facility,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("destination facility"),
    )
    window_start = models.DateTimeField(_("window opens"))
    window_end = models.DateTimeField(_("window closes"))
    expected_arrival_at = models.DateTimeField(_("expected arrival"))
    margin_minutes = models.PositiveIntegerField(_("margin (minutes)"), default=60)
    route = EncryptedTextField(_("route"))  # JSON list of areas and waypoints, in order
    focal_point = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("focal point"),
    )
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    roll_call_id = models.BigIntegerField(null=True, blank=True)  # the arrival roll call
    silence_checked = models.BooleanField(default=False)  # the silence alerts were raised

    class Meta:
        indexes = [
            models.Index(
                fields=["expected_arrival_at"],
                name="evac_movement_watch",
                condition=Q(status="under_way", silence_checked=False),
            )
        ]

    def __str__(self) -> str:
        return f"M{self.pk}"

    @property
    def code(self) -> str:
        return f"M{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_MOVEMENT


class VehicleKind(models.TextChoices):
    BUS = "bus", _("Bus")
    MINIBUS = "minibus", _("Minibus")
    AMBULANCE = "ambulance", _("Ambulance")
    CAR = "car", _("Car")
    TRUCK = "truck", _("Truck")


class Vehicle(OrgScoped):
    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="vehicles")
    number = models.PositiveSmallIntegerField(default=1)  # 1, 2, ... in the convoy's order
    kind = models.CharField(_("kind"), max_length=10, choices=VehicleKind.choices)
    seats = models.PositiveSmallIntegerField(_("seats"))
    stretchers = models.PositiveSmallIntegerField(_("stretcher places"), default=0)
    marking = models.CharField(_("marking"), max_length=40, blank=True)
    driver = models.CharField(_("driver (codename)"), max_length=20, blank=True)
    has_radio = models.BooleanField(_("radio"), default=False)

    def __str__(self) -> str:
        return f"V{self.number}"


class Seat(OrgScoped):
    """One request on one vehicle: the person and the dependants travelling with them."""

    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="seats")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="seat_rows")
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="seat_rows")
    first_seat = models.PositiveSmallIntegerField()  # the seat numbers are first..first+seats-1
    seats = models.PositiveSmallIntegerField()
    stretchers = models.PositiveSmallIntegerField(default=0)
    travelling = models.PositiveSmallIntegerField()  # dependants on this movement
    split_chosen = models.BooleanField(default=False)  # the evacuee chose to travel apart
    is_active = models.BooleanField(default=True)
    added_at = models.DateTimeField(default=clock.now)
    added_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["request"], condition=Q(is_active=True), name="evac_one_active_seat"
            ),
        ]
        indexes = [
            models.Index(fields=["vehicle"], name="evac_seat_vehicle", condition=Q(is_active=True))
        ]

    def __str__(self) -> str:
        return f"seat#{self.pk}"
