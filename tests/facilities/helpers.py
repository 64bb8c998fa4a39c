"""A facility for the facility tests: "Al-Amal" (fictional) in Al-Sukkari, code Q7X, on the text
protocol's roster (tests/messaging/text_helpers.py: lead L1, staff K1, a coordinator's phone)."""

from __future__ import annotations

from typing import Any

from salama.facilities import services
from salama.facilities.models import FacilityStatus
from salama.people.models import Facility
from salama.people.services import save_facility

CODE = "Q7X"
NAME = "Al-Amal Surgical"
NAME_AR = "مشفى الأمل الجراحي"


def make_facility(org: Any, area: Any, *, name: str = NAME, code: str = CODE) -> Facility:
    facility = save_facility(
        org=org, name=name, name_ar=NAME_AR, kind="hospital", area=area,
        latitude=36.2, longitude=37.15,
    )  # fmt: skip
    services.save_card(facility=facility, code=code, facility_type="secondary", affiliation="ngo")
    return facility


def status_of(facility: Facility) -> FacilityStatus:
    return FacilityStatus.objects.get(facility=facility)
