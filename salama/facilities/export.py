"""Exports for partners (internal only: coordinators download them and decide what to share).

- JSON in the spirit of OASIS EDXL-HAVE 2.0: per facility its organisation-level identity (the
  short code, a type, an area), its status (EMS/clinical status mapped from functionality), bed
  capacity, services and resources (days of stock), with the observation time.
- CSV with HXL hashtags in a second header row.

Neither carries a staff name, a note, who reported, a phone number or a codename: only the
facility's columns below (tests/facilities/test_export.py checks every column).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from salama.facilities.models import FacilityStatus
from salama.facilities.vocabulary import Service, Stock, Utility
from salama.lib import clock

# EDXL-HAVE's operational status values, from the HeRAMS functionality.
HAVE_STATUS = {"full": "Normal", "partial": "Limited", "none": "Closed", "unknown": "Unknown"}

CSV_COLUMNS: list[tuple[str, str]] = [
    ("code", "#loc+code"),
    ("name", "#loc+name"),
    ("name_ar", "#loc+name+i_ar"),
    ("type", "#loc+type"),
    ("affiliation", "#org+type"),
    ("area", "#adm3+name"),
    ("latitude", "#geo+lat"),
    ("longitude", "#geo+lon"),
    ("functionality", "#status+functionality"),
    ("condition", "#status+condition"),
    ("accessibility", "#status+access"),
    ("observed_at", "#date+reported"),
    ("beds_total", "#capacity+beds+total"),
    ("beds_occupied", "#capacity+beds+occupied"),
    *[(f"service_{s}", f"#service+{s}") for s in Service],
    *[(f"utility_{u}", f"#service+utility+{u}") for u in Utility],
    *[(f"days_{s}", f"#stock+days+{s}") for s in Stock],
]


def _iso(at: datetime | None) -> str:
    return at.isoformat() if at else ""


def have_json(rows: Iterable[FacilityStatus]) -> dict[str, Any]:
    hospitals = []
    for row in rows:
        facility = row.facility
        hospitals.append(
            {
                "organizationInformation": {
                    "organizationID": row.code,
                    "organizationName": facility.name,
                    "organizationNameArabic": facility.name_ar,
                    "organizationTypeText": row.facility_type,
                    "affiliation": row.affiliation,
                    "area": facility.area.name_en,
                    "location": (
                        {"latitude": facility.latitude, "longitude": facility.longitude}
                        if facility.latitude is not None
                        else None
                    ),
                },
                "organizationStatus": {
                    "lastUpdateTime": _iso(row.observed_at),
                    "emsOperationalStatus": HAVE_STATUS.get(row.functionality, "Unknown"),
                    "functionality": row.functionality,
                    "facilityCondition": row.condition,
                    "accessibility": row.accessibility,
                    "barriers": list(row.barriers),
                    "reasonsNotFunctioning": list(row.reasons),
                },
                "hospitalBedCapacityStatus": {
                    "bedsTotal": row.beds_total,
                    "bedsOccupied": row.beds_occupied,
                    "bedsAvailable": (
                        max(row.beds_total - row.beds_occupied, 0)
                        if row.beds_total is not None and row.beds_occupied is not None
                        else None
                    ),
                },
                "serviceCoverageStatus": {
                    code: {"availability": v.get("level"), "causes": list(v.get("causes", []))}
                    for code, v in row.services.items()
                },
                "utilities": dict(row.utilities),
                "hospitalResourcesStatus": {
                    code: {"daysOfStock": v.get("days"), "belowThreshold": code in row.low_stocks}
                    for code, v in row.stocks.items()
                },
            }
        )
    return {"format": "EDXL-HAVE-like/salama-1", "generatedAt": _iso(clock.now()),
            "hospitals": hospitals}  # fmt: skip


def _csv_row(row: FacilityStatus) -> list[Any]:
    facility = row.facility
    values: dict[str, Any] = {
        "code": row.code, "name": facility.name, "name_ar": facility.name_ar,
        "type": row.facility_type, "affiliation": row.affiliation,
        "area": facility.area.name_en, "latitude": facility.latitude,
        "longitude": facility.longitude, "functionality": row.functionality,
        "condition": row.condition, "accessibility": row.accessibility,
        "observed_at": _iso(row.observed_at), "beds_total": row.beds_total,
        "beds_occupied": row.beds_occupied,
    }  # fmt: skip
    for code, value in row.services.items():
        values[f"service_{code}"] = value.get("level", "")
    for code, level in row.utilities.items():
        values[f"utility_{code}"] = level
    for code, value in row.stocks.items():
        values[f"days_{code}"] = value.get("days")
    return ["" if values.get(name) is None else values.get(name) for name, _tag in CSV_COLUMNS]


def hxl_csv(rows: Iterable[FacilityStatus]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([name for name, _tag in CSV_COLUMNS])
    writer.writerow([tag for _name, tag in CSV_COLUMNS])
    for row in rows:
        writer.writerow(_csv_row(row))
    return out.getvalue()
