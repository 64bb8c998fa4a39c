"""The door to the incidents' writers (the only writers), split by verb group:
reports (partner reports), consolidation (incidents and their sources), verification (states
and certainty), facilitylink (the proposed facility status), orgsettings (audited settings),
versions (the one function that writes an incident's history)."""

from salama.incidents.consolidation import (
    add_source,
    consolidate_reports,
    edit_incident,
    remove_source,
)
from salama.incidents.facilitylink import accept_update, dismiss_update, propose_update
from salama.incidents.orgsettings import save_draft_words, set_attack_command, set_publish_area
from salama.incidents.reports import create_report
from salama.incidents.validation import IncidentError, ReportData
from salama.incidents.verification import mark_duplicate, move
from salama.incidents.versions import record_version

__all__ = [
    "IncidentError", "ReportData", "accept_update", "add_source", "consolidate_reports",
    "create_report", "dismiss_update", "edit_incident", "mark_duplicate", "move",
    "propose_update", "record_version", "remove_source", "save_draft_words",
    "set_attack_command", "set_publish_area",
]  # fmt: skip
