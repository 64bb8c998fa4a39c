"""Shared helpers for the ledger's tests: realistic records appended directly."""

from datetime import UTC, datetime, timedelta
from typing import Any

from salama.evidence import services
from salama.evidence.models import Entry

T0 = datetime(2026, 11, 3, 2, 40, tzinfo=UTC)


def incident_fields(n: int) -> dict[str, Any]:
    return {
        "attack_type": "heavy_weapons",
        "facility": f"F-{n % 7}",
        "occurred_at": (T0 + timedelta(hours=n)).isoformat(),
        "victims": {"health_workers_killed": n % 3, "patients_injured": n % 5},
        "description": f"Shelling struck the emergency ward, report {n}",
        "certainty": "confirmed" if n % 2 else "probable",
    }


def fill(org: Any, records: int = 5, versions: int = 2) -> list[Entry]:
    """`records` incidents with `versions` versions each, interleaved, plus a notice."""
    made = []
    for version in range(1, versions + 1):
        for record in range(1, records + 1):
            made.append(
                services.append(
                    org=org,
                    kind="incident",
                    record_id=record,
                    version=version,
                    fields=incident_fields(record * 10 + version),
                    at=T0 + timedelta(minutes=len(made)),
                )
            )
    made.append(
        services.append(
            org=org,
            kind="notice",
            record_id=1,
            version=1,
            fields={"recipient": "party-a", "counts": {"people": 14, "vehicles": 2}},
            at=T0 + timedelta(minutes=len(made)),
        )
    )
    return made
