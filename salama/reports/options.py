"""The organisation's report settings, in `Organisation.settings` (edited on /reports/settings/
by coordinators, saved by services.save_options):

- `sitrep_hour`: the local hour (0-23) at which the worker writes the day's internal and partner
  editions; -1 turns the scheduled report off (on demand still works). Default 18.
- `report_retention_days`: how long a generated report is kept (7-365, default 90).
- `partner_area_detail`: "org" (partner counts for the whole organisation only, the default) or
  "area" (per area): partners never see a place finer than this.
- `partner_facility_names`: whether the partner edition and the CAP feed name facilities (off
  by default: a closure is then "a hospital" in the allowed area).
"""

from __future__ import annotations

from dataclasses import dataclass

from salama.accounts.models import Organisation

DEFAULT_HOUR = 18
DEFAULT_RETENTION_DAYS = 90
AREA_DETAILS = ("org", "area")


@dataclass(frozen=True)
class Options:
    sitrep_hour: int = DEFAULT_HOUR
    retention_days: int = DEFAULT_RETENTION_DAYS
    area_detail: str = "org"
    facility_names: bool = False

    @property
    def by_area(self) -> bool:
        return self.area_detail == "area"


def options_of(org: Organisation) -> Options:
    s = org.settings or {}
    hour = s.get("sitrep_hour", DEFAULT_HOUR)
    detail = s.get("partner_area_detail", "org")
    return Options(
        sitrep_hour=int(hour) if isinstance(hour, int) and -1 <= hour <= 23 else DEFAULT_HOUR,
        retention_days=int(s.get("report_retention_days", DEFAULT_RETENTION_DAYS)),
        area_detail=detail if detail in AREA_DETAILS else "org",
        facility_names=bool(s.get("partner_facility_names", False)),
    )
