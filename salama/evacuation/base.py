"""What every evacuation service shares: the error, the details codec, the org settings."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError

from salama.accounts.models import Organisation

# Organisation settings (Organisation.settings):
#   "commands": ["evacuation_request", ...]   the EVAC text command is off until listed here
#   "evacuation_role_points": {"doctor": 10}  role criticality, off (empty) by default
#   "evacuation_margin_minutes": 60           silence after the expected arrival before alerts
ROLE_POINTS_SETTING = "evacuation_role_points"
MARGIN_SETTING = "evacuation_margin_minutes"
COMMAND = "evacuation_request"


class EvacuationError(ValidationError):
    """A refusal: the message (translated) says why and what would work. Nothing was written."""


def read_details(raw: str) -> dict[str, Any]:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {"needs": [], "dependants": [], "note": ""}
    data.setdefault("needs", [])
    data.setdefault("dependants", [])
    data.setdefault("note", "")
    return dict(data)


def write_details(details: dict[str, Any]) -> str:
    return json.dumps(details, ensure_ascii=False, sort_keys=True)


def role_points(org: Organisation) -> dict[str, int]:
    value = org.setting(ROLE_POINTS_SETTING) or {}
    return {str(k): int(v) for k, v in value.items()} if isinstance(value, dict) else {}


def margin_minutes(org: Organisation) -> int:
    return int(org.setting(MARGIN_SETTING, 60) or 60)
