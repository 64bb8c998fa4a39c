"""Teams, areas and facilities: saving a team with its leads and deputies, an area (names,
aliases, position, polygon, risk) and a facility (its functionality dated when it changes), and
finding the one team, area or facility a name or alias means (``match_named``).
"""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from salama.accounts.models import Organisation
from salama.lib import clock
from salama.people.base import _same_org
from salama.people.models import Area, Facility, Person, Team, TeamLead

# --- Teams, areas, facilities -------------------------------------------------------------------


@transaction.atomic
def save_team(
    *,
    org: Organisation,
    name: str,
    name_ar: str = "",
    team: Team | None = None,
    leads: Iterable[Person] = (),
    deputies: Iterable[Person] = (),
) -> Team:
    """Create or rename a team and set its leads and deputies (both persons of the org; a
    person named as both is a lead)."""
    team = team or Team(org=org)
    team.name = name.strip()
    team.name_ar = name_ar.strip()
    clash = Team.objects.for_org(org).filter(name__iexact=team.name).exclude(pk=team.pk)
    if not team.name or clash.exists():
        raise ValidationError({"name": _("Give the team a name that no other team has.")})
    team.save()
    wanted = {p.pk: False for p in deputies} | {p.pk: True for p in leads}
    for person in [*leads, *deputies]:
        _same_org(org, person)
    TeamLead.objects.for_org(org).filter(team=team).exclude(person_id__in=wanted).delete()
    for person_id, as_lead in wanted.items():
        TeamLead.objects.update_or_create(
            org=org, team=team, person_id=person_id, defaults={"is_deputy": not as_lead}
        )
    return team


def _clean_aliases(text: str) -> str:
    return "\n".join(line.strip() for line in (text or "").splitlines() if line.strip())


@transaction.atomic
def save_area(*, org: Organisation, area: Area | None = None, **fields: Any) -> Area:
    """Create or change an area: name_en, name_ar, aliases (one per line), latitude, longitude,
    polygon (a GeoJSON Polygon or MultiPolygon geometry), risk."""
    area = area or Area(org=org)
    for name, value in fields.items():
        setattr(area, name, value)
    area.aliases = _clean_aliases(area.aliases)
    if area.polygon is not None and (
        not isinstance(area.polygon, dict)
        or area.polygon.get("type") not in ("Polygon", "MultiPolygon")
        or not isinstance(area.polygon.get("coordinates"), list)
    ):
        raise ValidationError({"polygon": _("Give a GeoJSON Polygon or MultiPolygon.")})
    clash = Area.objects.for_org(org).filter(name_en__iexact=area.name_en).exclude(pk=area.pk)
    if clash.exists():
        raise ValidationError({"name_en": _("Another area already has this name.")})
    area.full_clean(exclude=["org"])
    area.save()
    return area


@transaction.atomic
def save_facility(
    *, org: Organisation, facility: Facility | None = None, **fields: Any
) -> Facility:
    """Create or change a facility: name, name_ar, aliases, kind, area, latitude, longitude,
    functionality (its time is recorded when it changes)."""
    facility = facility or Facility(org=org)
    before = facility.functionality if facility.pk else None
    for name, value in fields.items():
        setattr(facility, name, value)
    _same_org(org, facility.area)
    facility.aliases = _clean_aliases(facility.aliases)
    if facility.functionality != before:
        facility.functionality_at = clock.now()
    clash = Facility.objects.for_org(org).filter(name__iexact=facility.name).exclude(pk=facility.pk)
    if clash.exists():
        raise ValidationError({"name": _("Another facility already has this name.")})
    facility.full_clean(exclude=["org"])
    facility.save()
    return facility


def match_named(queryset: Any, text: str, *fields: str) -> Any:
    """The one object whose name fields or aliases equal `text` (case-insensitive), or None."""
    wanted = (text or "").strip()
    if not wanted:
        return None
    query = Q()
    for field in fields:
        query |= Q(**{f"{field}__iexact": wanted})
    found = list(queryset.filter(query)[:2])
    if len(found) == 1:
        return found[0]
    if "aliases" in {f.name for f in queryset.model._meta.fields}:
        lowered = wanted.casefold()
        hits = [o for o in queryset if lowered in (a.casefold() for a in o.alias_list())]
        if len(hits) == 1:
            return hits[0]
    return None
