"""Every change to an incident is followed, in the same transaction, by one immutable
`IncidentVersion`: ``record_version`` is the only place that writes one, and it appends the same
snapshot to the evidence ledger (salama.evidence, the floor below) in that transaction: a version
is in the ledger or does not exist.

A snapshot is a JSON-able dict of the incident's fields: codes, numbers and ISO dates in
``fields`` (stored as they are), the encrypted fields in ``sealed`` (stored encrypted, never in
clear JSON), the sources by kind, and the reports it consolidates."""

from __future__ import annotations

import json
from typing import Any

from salama.accounts.models import Membership
from salama.evidence import services as ledger
from salama.incidents.models import SEALED_FIELDS, VICTIM_FIELDS, Incident, IncidentVersion
from salama.lib import clock

LEDGER_KIND = "incident"

PLAIN_FIELDS = (
    "number", "ssa_version", "state", "occurred_on", "occurred_time", "area_id",
    "attack_types", "resources", "facility_id", "facility_type", "affiliation", "damage",
    "functionality", *VICTIM_FIELDS, "targeted", "impact_kind", "certainty",
    "certainty_suggested", "is_certainty_overridden", "own_staff_attacked", "duplicate_of_id",
)  # fmt: skip


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def snapshot(incident: Incident) -> tuple[dict[str, Any], dict[str, str]]:
    """The incident as (plain fields, sealed fields)."""
    plain = {name: _plain(getattr(incident, name)) for name in PLAIN_FIELDS}
    plain["sources"] = sorted(incident.sources.values_list("kind", flat=True))
    plain["reports"] = sorted(incident.reports.values_list("number", flat=True))
    sealed = {name: str(getattr(incident, name) or "") for name in SEALED_FIELDS}
    sealed["certainty_reason"] = str(incident.certainty_reason or "")
    return plain, sealed


def record_version(
    *, incident: Incident, action: str, actor: Membership | None = None
) -> IncidentVersion:
    """Number the incident's next version and store its snapshot. Call inside the transaction
    of the change, after the incident (and its sources) were saved: the one door for history."""
    locked = Incident.objects.select_for_update().only("id", "version").get(pk=incident.pk)
    number = locked.version + 1
    Incident.objects.filter(pk=incident.pk).update(version=number, updated_at=clock.now())
    incident.version = number
    plain, sealed = snapshot(incident)
    version = IncidentVersion.objects.create(
        org_id=incident.org_id, incident=incident, number=number, actor=actor, action=action,
        fields=plain, sealed=json.dumps(sealed, ensure_ascii=False, sort_keys=True),
    )  # fmt: skip
    # The ledger commits to every field, sealed ones included (its disclosures are encrypted
    # under the record's own key, which a purge shreds); the actor stays out of it.
    ledger.append(
        org=incident.org, kind=LEDGER_KIND, record_id=incident.pk, version=number,
        fields={**plain, **sealed, "action": action}, at=version.at,
    )  # fmt: skip
    return version


def sealed_of(version: IncidentVersion) -> dict[str, str]:
    return dict(json.loads(str(version.sealed))) if version.sealed else {}
