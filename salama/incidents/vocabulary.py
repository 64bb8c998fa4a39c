"""The SSA vocabulary: stable codes, and a label table per SSA version.

Codes never change and are what the database, the API, the text command and the exports carry.
Labels are looked up at display time from the table of the SSA version a record was made under
(`Incident.ssa_version`), because WHO renamed some terms between versions: a label is never
stored. A new SSA version adds a table to `LABELS`; `tests/incidents/test_vocabulary.py` checks
that every code of every group has a label in every version, in both languages.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

SSA_VERSION = "1.0"  # the SSA methodology, version 1.0 (WHO, December 2018)

ATTACK_TYPES = (
    "heavy_weapons", "individual_weapons", "psychological", "obstruction", "assault",
    "sexual_assault", "abduction_arrest_detention", "armed_search", "militarization",
    "removal_of_assets", "setting_fire", "chemical_agent", "criminalization", "unknown", "other",
)  # fmt: skip
RESOURCES = ("facility", "transport", "personnel", "patients", "supplies", "warehouse", "other")
TRI = ("yes", "no", "unknown")
IMPACT = ("direct", "indirect", "unknown")
DAMAGE = ("none", "partial", "destroyed", "unknown")
# The facility's functionality after the attack: the HeRAMS codes (salama.facilities).
FUNCTIONALITY = ("full", "partial", "none", "unknown")
SOURCE_KINDS = (
    "social_media", "hearsay", "anonymous_form", "secondary_account", "eyewitness_told",
    "eyewitness_own_staff", "photo", "video", "satellite", "international_media",
    "local_media", "police_report",
)  # fmt: skip
CERTAINTY = ("rumour", "possible", "probable", "confirmed")
CERTAINTY_RANK = {code: rank for rank, code in enumerate(CERTAINTY)}
STATES = ("draft", "under_review", "verified", "unverifiable", "duplicate", "withdrawn")
# Victims: each count of deaths and of injuries is split by the SSA's four groups.
VICTIM_GROUPS = ("provider", "auxiliary", "patient", "other")

_V1: dict[str, dict[str, Promise]] = {
    "attack_type": {
        "heavy_weapons": _("Violence with heavy weapons"),
        "individual_weapons": _("Violence with individual weapons"),
        "psychological": _("Psychological violence, threat of violence, intimidation"),
        "obstruction": _("Obstruction to the delivery of health care"),
        "assault": _("Assault without weapons"),
        "sexual_assault": _("Sexual assault"),
        "abduction_arrest_detention": _("Abduction, arrest or detention"),
        "armed_search": _("Armed or violent search of a health resource"),
        "militarization": _("Militarization of a health facility"),
        "removal_of_assets": _("Removal of health care assets"),
        "setting_fire": _("Setting fire to a health resource"),
        "chemical_agent": _("Chemical agent"),
        "criminalization": _("Criminalization of health care"),
        "unknown": _("Unknown type of attack"),
        "other": _("Other type of attack"),
    },
    "resource": {
        "facility": _("Health facility"),
        "transport": _("Health transport"),
        "personnel": _("Health personnel"),
        "patients": _("Patients"),
        "supplies": _("Health supplies"),
        "warehouse": _("Warehouse"),
        "other": _("Other health resource"),
    },
    "tri": {"yes": _("Yes"), "no": _("No"), "unknown": _("Unknown")},
    "impact": {
        "direct": _("Direct (the health resource was the target)"),
        "indirect": _("Indirect (the health resource was hit by an attack on something else)"),
        "unknown": _("Unknown"),
    },
    "damage": {
        "none": _("No damage"),
        "partial": _("Partly damaged"),
        "destroyed": _("Destroyed"),
        "unknown": _("Unknown"),
    },
    "functionality": {
        "full": _("Fully functioning"),
        "partial": _("Partially functioning"),
        "none": _("Not functioning"),
        "unknown": _("Unknown"),
    },
    "source_kind": {
        "social_media": _("Social media post"),
        "hearsay": _("Hearsay"),
        "anonymous_form": _("Anonymous report form"),
        "secondary_account": _("Secondary account told to us"),
        "eyewitness_told": _("Eyewitness account told to us"),
        "eyewitness_own_staff": _("Eyewitness account by our own staff"),
        "photo": _("Photo"),
        "video": _("Video"),
        "satellite": _("Satellite image"),
        "international_media": _("International media"),
        "local_media": _("Local media"),
        "police_report": _("Police report"),
    },
    "certainty": {
        "rumour": _("Rumour"),
        "possible": _("Possible"),
        "probable": _("Probable"),
        "confirmed": _("Confirmed"),
    },
    "state": {
        "draft": _("Draft"),
        "under_review": _("Under review"),
        "verified": _("Verified"),
        "unverifiable": _("Unverifiable"),
        "duplicate": _("Duplicate"),
        "withdrawn": _("Withdrawn"),
    },
    "victim_group": {
        "provider": _("Health care providers"),
        "auxiliary": _("Auxiliary health staff"),
        "patient": _("Patients"),
        "other": _("Others"),
    },
}

LABELS: dict[str, dict[str, dict[str, Promise]]] = {"1.0": _V1}

CODES: dict[str, tuple[str, ...]] = {
    "attack_type": ATTACK_TYPES,
    "resource": RESOURCES,
    "tri": TRI,
    "impact": IMPACT,
    "damage": DAMAGE,
    "functionality": FUNCTIONALITY,
    "source_kind": SOURCE_KINDS,
    "certainty": CERTAINTY,
    "state": STATES,
    "victim_group": VICTIM_GROUPS,
}


def label(group: str, code: str, version: str = SSA_VERSION) -> str:
    """The label of a code in the active language, from the table of the given SSA version
    (an unknown code shows as itself, never as an error on a page)."""
    table = LABELS.get(version, LABELS[SSA_VERSION])
    found = table.get(group, {}).get(code)
    return str(found) if found is not None else code


def choices(group: str, version: str = SSA_VERSION) -> list[tuple[str, str]]:
    return [(code, label(group, code, version)) for code in CODES[group]]
