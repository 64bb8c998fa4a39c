"""Notification packages: a draft from the movement (counts only), immutable hashed versions,
the two-person rule, export, and what the party did with it.

The rule, in one place (`approve` and `export`):
- only coordinators (and org admins) of the package's organisation approve, each once;
- a version is exported only once two DIFFERENT of them approved THAT version;
- any change is a new version (`revise`): the earlier ones are void, their approvals with them;
- a named person's detail needs their consent (yes, the latest word) for that recipient and
  that version, else approval and export are refused;
- nothing for a cancelled movement.
Every refusal is translated and audited; every export is audited and passed to
`salama.negotiations.ledger.on_export`.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Membership
from salama.evacuation import selectors as evac_selectors
from salama.evacuation import services as evac_services
from salama.evacuation.models import Movement, MovementStatus
from salama.lib import clock
from salama.negotiations import ledger
from salama.negotiations.base import (
    APPROVERS,
    NEGOTIATORS,
    PERSONAL_FIELDS,
    NegotiationError,
    content_hash,
    lead_time,
    refuse,
)
from salama.negotiations.consent import consent_holds
from salama.negotiations.models import (
    Approval,
    Channel,
    Disclosure,
    Package,
    PackageVersion,
    Party,
)
from salama.people.models import Person


@dataclass
class Named:
    """A person named on a notice and which of their details go on it. `values` holds what the
    roster does not (id_number, medical, photo: a reference); name/role/specialty come from it."""

    person: Person
    fields: tuple[str, ...]
    values: dict[str, str] = field(default_factory=dict)


@dataclass
class VehicleLine:
    kind: str
    count: int
    marking: str = ""


@dataclass
class PackageInput:
    window_start: datetime
    window_end: datetime
    route: list[str]
    assembly_point: str
    destination: str
    vehicles: list[VehicleLine]
    people: int
    channel: str = Channel.PLATFORM
    plates: list[str] = field(default_factory=list)
    named: list[Named] = field(default_factory=list)


def draft_from(movement: Movement) -> PackageInput:
    """What the movement says, counts only: no names, no codenames, no plates."""
    kinds: Counter[tuple[str, str]] = Counter(
        (v.kind, v.marking) for v in movement.vehicles.all().order_by("number")
    )
    people = sum(s.request.people for s in evac_selectors.manifest(movement))
    if movement.destination_facility_id:
        destination = movement.destination_facility.name  # type: ignore[union-attr]
    elif movement.destination_area_id:
        destination = movement.destination_area.name_en  # type: ignore[union-attr]
    else:
        destination = ""
    return PackageInput(
        window_start=movement.window_start,
        window_end=movement.window_end,
        route=evac_services.route_of(movement),
        assembly_point=str(movement.assembly_point or ""),
        destination=destination,
        vehicles=[VehicleLine(kind, n, marking) for (kind, marking), n in kinds.items()],
        people=people,
    )


def input_of(version: PackageVersion) -> PackageInput:
    """A version's content back as input, to change it into the next version."""
    content = content_of(version)
    people = {p.pk: p for p in Person.objects.filter(pk__in=[pid for pid, _f in version.named])}
    named = [
        Named(people[pid], tuple(fields), dict(content.get("named", [])[i]))
        for i, (pid, fields) in enumerate(version.named)
        if pid in people
    ]
    return PackageInput(
        window_start=datetime.fromisoformat(content["window"]["start"]),
        window_end=datetime.fromisoformat(content["window"]["end"]),
        route=list(content["route"]),
        assembly_point=content["assembly_point"],
        destination=content["destination"],
        vehicles=[VehicleLine(v["kind"], v["count"], v["marking"]) for v in content["vehicles"]],
        people=int(content["people"]),
        channel=version.channel,
        plates=list(content.get("plates", [])),
        named=named,
    )


def _person_value(named: Named, code: str) -> str:
    person = named.person
    if code == "name":
        return str(person.real_name or "")
    if code == "role":
        return str(person.role)  # the code: a notice reads the same in every language
    if code == "specialty":
        return str(person.specialty or "")
    return str(named.values.get(code, ""))


def _content(package: Package, number: int, data: PackageInput) -> dict[str, Any]:
    content: dict[str, Any] = {
        "notice": f"{package.code}v{number}",
        "movement": package.movement.code,
        "recipient": package.party.name,
        "emergency": package.emergency,
        "window": {
            "start": data.window_start.isoformat(timespec="minutes"),
            "end": data.window_end.isoformat(timespec="minutes"),
        },
        "route": [str(r) for r in data.route],
        "assembly_point": data.assembly_point,
        "destination": data.destination,
        "vehicles": [
            {"kind": v.kind, "count": int(v.count), "marking": v.marking} for v in data.vehicles
        ],
        "people": int(data.people),
    }
    if data.plates:
        content["plates"] = [str(p) for p in data.plates]
    if data.named:
        content["named"] = [{code: _person_value(n, code) for code in n.fields} for n in data.named]
    return content


def _check(package: Package, data: PackageInput, by: Membership | None) -> None:
    org_id = package.org_id
    if package.movement.status == MovementStatus.CANCELLED:
        raise refuse(
            _("This movement is cancelled: no notification package can be prepared for it."),
            code="cancelled_movement",
            by=by,
            obj=package.movement,
            org_id=org_id,
        )
    if by is None or by.org_id != org_id or by.role not in NEGOTIATORS or not by.is_active:
        raise refuse(
            _("Only coordinators and liaisons prepare notification packages."),
            code="role",
            by=by,
            org_id=org_id,
        )
    if data.window_end <= data.window_start:
        raise NegotiationError(_("The time window must close after it opens."))
    if data.people < 0 or any(v.count < 1 for v in data.vehicles):
        raise NegotiationError(_("Counts must be positive numbers."))
    if data.channel not in Channel.values:
        raise NegotiationError(_("Choose a channel from the list."))
    for named in data.named:
        if named.person.org_id != org_id:
            raise NegotiationError(_("Unknown person."))
        unknown = [c for c in named.fields if c not in PERSONAL_FIELDS]
        if unknown or not named.fields:
            raise NegotiationError(_("Choose which details of the person go on the notice."))


def _new_version(package: Package, data: PackageInput, by: Membership | None) -> PackageVersion:
    last = package.versions.order_by("-number").first()
    number = (last.number + 1) if last else 1
    content = _content(package, number, data)
    now = clock.now()
    package.versions.filter(voided_at=None).update(voided_at=now)
    return PackageVersion.objects.create(
        org_id=package.org_id,
        package=package,
        number=number,
        content=json.dumps(content, ensure_ascii=False, sort_keys=True),
        content_hash=content_hash(content),
        people=int(data.people),
        named=[[n.person.pk, list(n.fields)] for n in data.named],
        channel=data.channel,
        created_by=by,
    )


def create_package(
    *,
    movement: Movement,
    party: Party,
    data: PackageInput,
    by: Membership | None,
    emergency: bool = False,
    http: HttpRequest | None = None,
) -> PackageVersion:
    if party.org_id != movement.org_id:
        raise NegotiationError(_("Unknown party."))
    package = Package(
        org_id=movement.org_id, movement=movement, party=party, emergency=emergency, created_by=by
    )
    _check(package, data, by)
    with transaction.atomic():
        package.save()
        version = _new_version(package, data, by)
        audit.record(
            "negotiations.package_created",
            org_id=package.org_id,
            actor_id=by.user_id if by else None,
            obj=version,
            request=http,
        )
    return version


def revise(
    *, package: Package, data: PackageInput, by: Membership | None, http: HttpRequest | None = None
) -> PackageVersion:
    """Any change is a new version: the current one is void, and its approvals with it."""
    _check(package, data, by)
    with transaction.atomic():
        Package.objects.select_for_update().filter(pk=package.pk).first()
        version = _new_version(package, data, by)
        audit.record(
            "negotiations.package_revised",
            org_id=package.org_id,
            actor_id=by.user_id if by else None,
            obj=version,
            request=http,
            detail={"number": version.number},
        )
    return version


def current(package: Package) -> PackageVersion | None:
    return package.versions.filter(voided_at=None).first()


def content_of(version: PackageVersion) -> dict[str, Any]:
    return dict(json.loads(str(version.content)))


def approvers(version: PackageVersion) -> list[Approval]:
    return list(version.approvals.select_related("by__user").order_by("at"))


def missing_consents(version: PackageVersion) -> list[int]:
    """The named people whose consent for this version and its recipient does not hold."""
    party_id = version.package.party_id
    return [pid for pid, _fields in version.named if not consent_holds(pid, version, party_id)]


def _usable(version: PackageVersion, by: Membership | None, http: HttpRequest | None) -> None:
    package = version.package
    if version.is_void:
        raise refuse(
            _("This version was replaced by a newer one: its approvals are void."),
            code="void_version",
            by=by,
            obj=version,
            org_id=version.org_id,
            http=http,
        )
    if version.withdrawn_at is not None:
        raise refuse(
            _("This notice was withdrawn."),
            code="withdrawn",
            by=by,
            obj=version,
            org_id=version.org_id,
            http=http,
        )
    if package.movement.status == MovementStatus.CANCELLED:
        raise refuse(
            _("This movement is cancelled: its notice cannot be approved or exported."),
            code="cancelled_movement",
            by=by,
            obj=version,
            org_id=version.org_id,
            http=http,
        )
    if missing_consents(version):
        raise refuse(
            _(
                "A person named on this notice has not consented to this version for this "
                "recipient: record their consent, or take their details off (a new version)."
            ),
            code="no_consent",
            by=by,
            obj=version,
            org_id=version.org_id,
            http=http,
        )


def approve(
    *, version: PackageVersion, by: Membership | None, http: HttpRequest | None = None
) -> Approval:
    if by is None or by.org_id != version.org_id or not by.is_active or by.role not in APPROVERS:
        raise refuse(
            _("Only a coordinator of this organisation can approve a notification package."),
            code="role",
            by=by,
            obj=version,
            org_id=version.org_id,
            http=http,
        )
    _usable(version, by, http)
    if version.approvals.filter(by__user_id=by.user_id).exists():
        raise refuse(
            _("You already approved this version: a second, different coordinator must approve."),
            code="same_approver",
            by=by,
            obj=version,
            http=http,
        )
    with transaction.atomic():
        PackageVersion.objects.select_for_update().filter(pk=version.pk).first()
        approval = Approval.objects.create(org_id=version.org_id, version=version, by=by)
        audit.record(
            "negotiations.approved",
            org_id=version.org_id,
            actor_id=by.user_id,
            obj=version,
            request=http,
        )
    return approval


def is_approved(version: PackageVersion) -> bool:
    """Two different active coordinators of the organisation approved this exact version."""
    users = {
        a.by.user_id
        for a in version.approvals.select_related("by")
        if a.by.org_id == version.org_id and a.by.role in APPROVERS and a.by.is_active
    }
    return len(users) >= 2


def export(
    *, version: PackageVersion, by: Membership | None, kind: str, http: HttpRequest | None = None
) -> dict[str, Any]:
    """The notice as it may leave the organisation (`kind`: "json" or "print"). Refused unless
    two different coordinators approved this exact version and every named person consented."""
    if by is None or by.org_id != version.org_id or not by.is_active or by.role not in NEGOTIATORS:
        raise refuse(
            _("Only coordinators and liaisons export notification packages."),
            code="role",
            by=by,
            obj=version,
            org_id=version.org_id,
            http=http,
        )
    _usable(version, by, http)
    if not is_approved(version):
        raise refuse(
            _("Two different coordinators must approve this exact version before it is exported."),
            code="not_approved",
            by=by,
            obj=version,
            http=http,
        )
    now = clock.now()
    first = False
    with transaction.atomic():
        locked = PackageVersion.objects.select_for_update().get(pk=version.pk)
        if locked.exported_at is None:
            first = True
            PackageVersion.objects.filter(pk=version.pk).update(exported_at=now)
            version.exported_at = now
            for person_id, fields in version.named:
                Disclosure.objects.get_or_create(
                    person_id=person_id,
                    version=version,
                    defaults={
                        "org_id": version.org_id,
                        "party_id": version.package.party_id,
                        "fields": fields,
                        "at": now,
                    },
                )
        audit.record(
            "negotiations.exported",
            org_id=version.org_id,
            actor_id=by.user_id,
            obj=version,
            request=http,
            detail={"kind": kind, "hash": version.content_hash},
        )
        if first:
            ledger.on_export(version)
    return {
        "notice": version.code,
        "hash": {"alg": "sha256", "canon": "RFC8785", "value": version.content_hash},
        "content": content_of(version),
        "exported_at": (version.exported_at or now).isoformat(),
        "disclaimer": {"en": DISCLAIMER_EN, "ar": DISCLAIMER_AR},
    }


# In both languages on every exported notice, whatever the reader's language.
DISCLAIMER_EN = (
    "This notification is not a guarantee of safety. Leaving anything off this notice does not "
    "remove its protection under international humanitarian law."
)
DISCLAIMER_AR = (
    "هذا الإخطار ليس ضمانًا للسلامة. وإغفال أي شيء من هذا الإخطار لا يُسقط الحماية التي "
    "يكفلها له القانون الدولي الإنساني."
)


@transaction.atomic
def record_submission(
    *,
    version: PackageVersion,
    by: Membership | None,
    submitted_at: datetime | None = None,
    acknowledged: bool | None = None,
    acknowledged_by: str = "",
    acknowledged_at: datetime | None = None,
    acknowledged_how: str = "",
    response: str = "",
    withdrawn: bool = False,
    http: HttpRequest | None = None,
) -> PackageVersion:
    """What happened to the notice outside: sent, acknowledged (or not), the party's response,
    withdrawn. Only an exported version can have been submitted."""
    if by is None or by.org_id != version.org_id or by.role not in NEGOTIATORS:
        raise NegotiationError(_("Only coordinators and liaisons record what a party did."))
    if version.exported_at is None:
        raise NegotiationError(_("Only an exported notice can have been submitted."))
    if acknowledged_how and acknowledged_how not in Channel.values:
        raise NegotiationError(_("Choose a channel from the list."))
    now = clock.now()
    if any(t and t > now for t in (submitted_at, acknowledged_at)):
        raise NegotiationError(_("A date cannot be in the future."))
    version.submitted_at = submitted_at or version.submitted_at or now
    if acknowledged is not None:
        version.acknowledged = acknowledged
        version.acknowledged_by = acknowledged_by.strip()
        version.acknowledged_at = acknowledged_at or now
        version.acknowledged_how = acknowledged_how
    if response.strip():
        version.response = response.strip()
    if withdrawn and version.withdrawn_at is None:
        version.withdrawn_at = now
    version.save()
    audit.record(
        "negotiations.submission_recorded",
        org_id=version.org_id,
        actor_id=by.user_id,
        obj=version,
        request=http,
        detail={"withdrawn": bool(version.withdrawn_at)},
    )
    return version


def lead_warning(package: Package) -> str:
    """A warning when the movement starts sooner than the lead time (48 h; 24 in emergency)."""
    needed = lead_time(package.emergency)
    left = package.movement.window_start - clock.now()
    if left >= needed:
        return ""
    hours = int(needed.total_seconds() // 3600)
    return _(
        "The movement starts in less than %(hours)s hours: parties need at least that much "
        "notice to pass it on."
    ) % {"hours": hours}
