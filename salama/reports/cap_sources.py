"""The CAP kinds that stand on main today, and where they come from:

- `facility_closure`: a facility's functionality fell to "not functioning" (a facilities alert
  of cause "functionality" whose update says none) within the last week and it is still not
  functioning. Immediate / Severe / Observed, category Health.
- `possible_outage`: the alerts app's "possible outage" (a large share of one area silent at
  once) within the last three days. Expected / Moderate / Possible, category Infra.

- `mass_casualty`: a verified incident at probable or confirmed certainty, verified within the
  last three days, with at least `MASS_CASUALTY` people killed and injured together.
  Immediate / Extreme / Observed, category Health. Read from the published columns only (counts,
  the verification time, the area when both incidents' `incidents_publish_area` and the
  partner area detail allow): never a facility, a narrative, a source or a perpetrator.

Places: the area only when the organisation allows partners per-area detail; a facility's name
only when it names facilities to partners.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from salama.accounts.models import Organisation
from salama.alerts.models import Alert, AlertKind
from salama.facilities.models import AlertCause, FacilityAlert, FacilityStatus
from salama.incidents.models import Incident
from salama.incidents.selectors import publishes_area
from salama.reports import cap
from salama.reports.options import Options

CLOSURE_DAYS = 7
OUTAGE_DAYS = 3
MASS_CASUALTY_DAYS = 3
MASS_CASUALTY = 10  # killed and injured together


def _closure_texts(params: dict[str, Any], options: Options) -> tuple[str, str, str]:
    name = (params.get("name_ar") if get_language() == "ar" else "") or params.get("name") or ""
    event = _("Health facility closure")
    if options.facility_names and name:
        headline = _("%(name)s is not functioning") % {"name": name}
    else:
        headline = _("A health facility is not functioning")
    description = _(
        "Staff report that a health facility stopped functioning. Refer patients elsewhere."
    )
    return event, headline, description


def _outage_texts(params: dict[str, Any], options: Options) -> tuple[str, str, str]:
    event = _("Possible communications outage")
    headline = _("Many staff went silent at once: a possible network outage")
    description = _(
        "%(n)s staff in one area stopped answering at the same time. This may be a network "
        "cut rather than harm; the team is checking."
    ) % {"n": params.get("silent", 0)}
    return event, headline, description


def _mass_casualty_texts(params: dict[str, Any], options: Options) -> tuple[str, str, str]:
    event = _("Mass-casualty attack on health care")
    headline = _("A verified attack on health care killed or injured many people")
    description = _(
        "A verified attack on health care: %(killed)s killed and %(injured)s injured. Expect "
        "many casualties at the health facilities nearby."
    ) % {"killed": params.get("killed", 0), "injured": params.get("injured", 0)}
    return event, headline, description


def mass_casualties(org: Organisation, now: datetime, options: Options) -> list[cap.CapItem]:
    with_area = options.by_area and publishes_area(org)
    columns = ["pk", "verified_at", "killed_total", "injured_total"]
    if with_area:
        columns += ["area__name_en", "area__name_ar"]
    rows = (
        Incident.objects.for_org(org)
        .filter(
            state="verified",
            certainty__in=("probable", "confirmed"),
            verified_at__gte=now - timedelta(days=MASS_CASUALTY_DAYS),
        )
        .order_by("-verified_at")
        .values(*columns)
    )
    items = []
    for row in rows:
        killed, injured = row["killed_total"] or 0, row["injured_total"] or 0
        if killed + injured < MASS_CASUALTY:
            continue
        items.append(
            cap.CapItem(
                kind="mass_casualty", key=str(row["pk"]), sent=row["verified_at"],
                area_en=row.get("area__name_en") or "",
                area_ar=row.get("area__name_ar") or row.get("area__name_en") or "",
                params={"killed": killed, "injured": injured},
            )
        )  # fmt: skip
    return items


def facility_closures(org: Organisation, now: datetime, options: Options) -> list[cap.CapItem]:
    rows = (
        FacilityAlert.objects.for_org(org)
        .filter(
            cause=AlertCause.FUNCTIONALITY,
            update__functionality="none",
            alert__opened_at__gte=now - timedelta(days=CLOSURE_DAYS),
        )
        .select_related("alert", "facility", "facility__area")
        .order_by("-alert__opened_at")
    )
    still_closed = set(
        FacilityStatus.objects.for_org(org)
        .filter(functionality="none")
        .values_list("facility_id", flat=True)
    )
    items = []
    for row in rows:
        if row.facility_id not in still_closed:
            continue
        area = row.facility.area
        items.append(
            cap.CapItem(
                kind="facility_closure", key=str(row.alert_id), sent=row.alert.opened_at,
                area_en=area.name_en if options.by_area else "",
                area_ar=(area.name_ar or area.name_en) if options.by_area else "",
                params={"name": row.facility.name, "name_ar": row.facility.name_ar},
            )
        )  # fmt: skip
    return items


def possible_outages(org: Organisation, now: datetime, options: Options) -> list[cap.CapItem]:
    rows = (
        Alert.objects.for_org(org)
        .filter(kind=AlertKind.POSSIBLE_OUTAGE, opened_at__gte=now - timedelta(days=OUTAGE_DAYS))
        .select_related("area")
        .order_by("-opened_at")
    )
    return [
        cap.CapItem(
            kind="possible_outage", key=str(a.pk), sent=a.opened_at,
            area_en=a.area.name_en if options.by_area and a.area else "",
            area_ar=(a.area.name_ar or a.area.name_en) if options.by_area and a.area else "",
            params={"silent": a.silent_count},
        )
        for a in rows
    ]  # fmt: skip


def register() -> None:
    cap.register_kind(
        cap.CapKind(
            "facility_closure", "Health", "Immediate", "Severe", "Observed", _closure_texts
        )  # fmt: skip
    )
    cap.register_kind(
        cap.CapKind("possible_outage", "Infra", "Expected", "Moderate", "Possible", _outage_texts)
    )
    cap.register_kind(
        cap.CapKind(
            "mass_casualty", "Health", "Immediate", "Extreme", "Observed", _mass_casualty_texts
        )
    )
    cap.register_source(facility_closures)
    cap.register_source(possible_outages)
    cap.register_source(mass_casualties)
