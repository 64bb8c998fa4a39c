"""The one place the evidence ledger (salama.evidence, the floor below) is wired in.

`on_export(version)` is called once per package version, inside the transaction of its first
export (salama.negotiations.packages.export): the exact notice is appended as one ledger entry
(kind "notification_package", the package as the record, its version number as the version), so
a later incident at a notified place can be shown with the notice and its time, verifiable
offline. Each field of the notice is committed on its own (a bundle may disclose the window and
the route without the names), with the notice's own hash over its canonical JSON (RFC 8785)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from salama.evidence import services as evidence

if TYPE_CHECKING:
    from salama.negotiations.models import PackageVersion

LEDGER_KIND = "notification_package"


def on_export(version: PackageVersion) -> None:
    from salama.negotiations.packages import content_of

    content = content_of(version)
    fields = {f"notice.{name}": value for name, value in content.items()}
    fields["content_hash"] = version.content_hash
    if version.exported_at is not None:
        fields["exported_at"] = version.exported_at.isoformat()
    evidence.append(
        org=version.org, kind=LEDGER_KIND, record_id=version.package_id,
        version=version.number, fields=fields, at=version.exported_at,
    )  # fmt: skip
