"""The report's words in the active language: one call per rendering (the stored content holds
codes; the labels are drawn at render time, so one report renders in either language)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from salama.evacuation.models import Band, ClearanceState, MovementStatus
from salama.facilities.vocabulary import Functionality, Stock
from salama.incidents.vocabulary import ATTACK_TYPES, CERTAINTY, label
from salama.negotiations.models import PartyKind
from salama.reports.models import Edition


def labels() -> dict[str, Any]:
    return {
        "chart_title": _("Staff accountability"),
        "editions": {code: str(label) for code, label in Edition.choices},
        "counts": {
            "total": _("Active staff"),
            "fresh": _("Heard from, on time"),
            "overdue": _("Overdue"),
            "never": _("Never heard from"),
            "SAFE": _("Safe"),
            "NEED_HELP": _("Need help"),
            "INJURED": _("Injured"),
            "MISSING": _("Missing"),
            "DETAINED": _("Detained"),
            "KILLED": _("Killed"),
            "EVACUATED": _("Evacuated"),
            "heard_since_event": _("Heard from since the latest event"),
            "in_sweep": _("Expected to check in"),
        },
        "functionality": {code: str(label) for code, label in Functionality.choices},
        "stocks": {code: str(label) for code, label in Stock.choices},
        "states": {"open": _("open"), "closed": _("closed")},
        "direction": {"worse": _("worse"), "better": _("better")},
        "attack_types": {code: label("attack_type", code) for code in ATTACK_TYPES},
        "certainty": {code: label("certainty", code) for code in CERTAINTY},
        "incident_states": {code: label("state", code) for code in ("draft", "under_review")},
        "bands": {code: str(name) for code, name in Band.choices},
        "clearances": {
            code: str(name)
            for code, name in ClearanceState.choices
            if code in ("pending", "approved", "denied")
        },
        "movements": {code: str(name) for code, name in MovementStatus.choices},
        "party_kinds": {code: str(name) for code, name in PartyKind.choices},
    }
