"""The one place the evidence ledger (salama.evidence, issue L1) is wired in.

`on_export(version)` is called once per package version, inside the transaction of its first
export (salama.negotiations.packages.export). When the ledger exists, the integrator makes it
append the exact notice, so a later incident at a notified place can be shown with the notice and
its time, verifiable offline:

    from salama.evidence import services as evidence
    evidence.append(
        org=version.org, kind="notification_package", record_id=version.pk,
        version=version.number, fields={"hash": version.content_hash,
        "canonical": canonical(content_of(version)).decode(), "exported_at": ...},
    )

(negotiations then needs to stand above evidence in LAYERS, as planned.) Until then this does
nothing: the export is audited (accounts.AuditEvent "negotiations.exported" with the hash)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from salama.negotiations.models import PackageVersion


def on_export(version: PackageVersion) -> None:
    return None
