"""What a report or an incident may say, checked before anything is written. Every refusal is a
translated `IncidentError`; the caller writes nothing (the services check first, then write in
one transaction)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, time
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from salama.accounts.models import Organisation
from salama.facilities.vocabulary import Affiliation, FacilityType
from salama.incidents import vocabulary as v
from salama.incidents.models import VICTIM_FIELDS
from salama.lib import clock
from salama.people.models import Area, Facility

MAX_COUNT = 100_000
MAX_TEXT = 20_000
MAX_FILE = 100_000  # bytes: a pasted or uploaded field message


class IncidentError(ValidationError):
    """Bad input, with a translated message: nothing was written."""


@dataclass
class ReportData:
    """One report's fields (or an incident's edit). Counts: None when not stated."""

    occurred_on: date | None = None
    occurred_time: time | None = None
    area: Area | None = None
    location: str = ""
    attack_types: list[str] = field(default_factory=list)
    resources: dict[str, str] = field(default_factory=dict)
    facility: Facility | None = None
    facility_type: str = ""
    affiliation: str = ""
    damage: str = "unknown"
    functionality: str = "unknown"
    victims: dict[str, int | None] = field(default_factory=dict)
    targeted: str = "unknown"
    impact_kind: str = "unknown"
    narrative: str = ""
    impact_text: str = ""
    follow_up: str = ""
    perpetrator: str = ""

    def model_fields(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "victims"}
        out.update({name: self.victims.get(name) for name in VICTIM_FIELDS})
        return out


def _code(value: str, group: str, what: str) -> None:
    if value not in v.CODES[group]:
        raise IncidentError(_("Unknown %(what)s: %(code)s.") % {"what": what, "code": value})


def _sum_check(victims: dict[str, int | None], what: str, name: str) -> None:
    parts = [victims.get(f"{what}_{g}") for g in v.VICTIM_GROUPS]
    known = [p for p in parts if p is not None]
    total = victims.get(f"{what}_total")
    if total is None:
        if known:
            victims[f"{what}_total"] = sum(known)
        return
    if (len(known) == len(parts) and sum(known) != total) or sum(known) > total:
        raise IncidentError(
            _(
                "The %(what)s by group (%(sum)s) do not add up to the total (%(total)s): "
                "providers, auxiliary staff, patients and others together must make the total."
            )
            % {"what": name, "sum": sum(known), "total": total}
        )


def check(data: ReportData, *, org: Organisation) -> ReportData:
    """Refuse bad input with a translated reason; fill totals from their parts."""
    if data.occurred_on is None:
        raise IncidentError(_("Give the date of the attack."))
    if data.occurred_on > clock.now().date():
        raise IncidentError(_("The date of the attack is in the future."))
    if data.area is None or data.area.org_id != org.pk:
        raise IncidentError(_("Unknown area: choose one of the organisation's areas."))
    if data.facility is not None and data.facility.org_id != org.pk:
        raise IncidentError(_("Unknown facility."))
    if not data.attack_types:
        data.attack_types = ["unknown"]
    for code in data.attack_types:
        _code(code, "attack_type", _("attack type"))
    data.attack_types = [c for c in v.ATTACK_TYPES if c in set(data.attack_types)]
    for resource, answer in data.resources.items():
        _code(resource, "resource", _("resource"))
        _code(answer, "tri", _("answer"))
    if data.facility_type and data.facility_type not in FacilityType.values:
        raise IncidentError(_("Unknown facility type."))
    if data.affiliation and data.affiliation not in Affiliation.values:
        raise IncidentError(_("Unknown affiliation."))
    _code(data.damage, "damage", _("damage"))
    _code(data.functionality, "functionality", _("functionality"))
    _code(data.targeted, "tri", _("answer"))
    _code(data.impact_kind, "impact", _("impact"))
    unknown = set(data.victims) - set(VICTIM_FIELDS)
    if unknown:
        raise IncidentError(_("Unknown count: %(code)s.") % {"code": sorted(unknown)[0]})
    for value in data.victims.values():
        if value is not None and not 0 <= value <= MAX_COUNT:
            raise IncidentError(_("A count must be a whole number from 0 to 100000."))
    _sum_check(data.victims, "killed", _("deaths"))
    _sum_check(data.victims, "injured", _("injuries"))
    for text in (data.location, data.narrative, data.impact_text, data.follow_up):
        if len(text) > MAX_TEXT:
            raise IncidentError(_("A text is too long (at most 20000 characters)."))
    if len(data.perpetrator) > 500:
        raise IncidentError(_("The perpetrator is too long (at most 500 characters)."))
    return data


def check_file(size: int) -> None:
    if size > MAX_FILE:
        raise IncidentError(
            _("The file is too large (%(size)s bytes; at most %(max)s).")
            % {"size": size, "max": MAX_FILE}
        )
