"""Appending: the entry format, commitments and decoys, sealed disclosures, versions, and a clean
verify (live and standalone)."""

import hashlib
import json
from pathlib import Path

import pytest
import rfc8785
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from salama.evidence import entries, services, tree
from salama.evidence.appending import record_key, unseal
from salama.evidence.models import Entry, Payload, RecordKey
from salama.evidence.verifying import verify_ledger
from tests.evidence.bundles import export, run_verifier
from tests.evidence.helpers import T0, fill, incident_fields


def test_an_entry_is_canonical_json_of_salted_commitments_and_no_values(world: object) -> None:
    org = world.org  # type: ignore[attr-defined]
    fields = incident_fields(3)
    entry = services.append(org=org, kind="incident", record_id=7, version=1, fields=fields, at=T0)
    data = json.loads(entry.body)
    assert entry.body.encode() == rfc8785.dumps(data)
    assert (data["index"], data["kind"], data["record"], data["version"]) == (0, "incident", 7, 1)
    assert data["prev"] is None and data["at"] == "2026-11-03T02:40:00.000000Z"
    assert entry.leaf_hash == tree.leaf_hash(entry.body.encode()).hex()
    assert "Shelling" not in entry.body and "heavy_weapons" not in entry.body
    # six fields, padded to eight commitments with at least two decoys
    assert len(data["commitments"]) == 8 and data["commitments"] == sorted(data["commitments"])
    payload = unseal(record_key(org, "incident", 7), org.pk, 0, entry.payload.box)
    assert len(payload["fields"]) == 6
    for text in payload["fields"]:
        salt, name, value = json.loads(text)
        assert len(salt) == 22 and fields[name] == value  # 128 bits, base64url
        assert hashlib.sha256(text.encode()).hexdigest() in data["commitments"]


def test_same_value_twice_gives_different_commitments(world: object) -> None:
    org = world.org  # type: ignore[attr-defined]
    one = services.append(org=org, kind="notice", record_id=1, version=1, fields={"a": "x"})
    two = services.append(org=org, kind="notice", record_id=2, version=1, fields={"a": "x"})
    assert not set(json.loads(one.body)["commitments"]) & set(json.loads(two.body)["commitments"])


def test_disclosures_are_sealed_apart_and_the_record_key_is_encrypted(world: object) -> None:
    org = world.org  # type: ignore[attr-defined]
    services.append(org=org, kind="incident", record_id=1, version=1, fields=incident_fields(1))
    box = Payload.objects.get().box
    assert "Shelling" not in box
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM evidence_recordkey")
        (stored,) = cursor.fetchone()
    assert stored.startswith(f"v1:{org.pk}:d1:")  # sealed by the organisation's data key
    assert RecordKey.objects.get().key != stored


def test_versions_chain_to_the_previous_entry_and_only_go_up(world: object) -> None:
    org = world.org  # type: ignore[attr-defined]
    made = fill(org, records=2, versions=3)
    for entry in made:
        prev = json.loads(entry.body)["prev"]
        if entry.version == 1:
            assert prev is None
        else:
            before = Entry.objects.get(
                kind=entry.kind, record_id=entry.record_id, version=entry.version - 1
            )
            assert prev == before.leaf_hash
    with pytest.raises(ValidationError):
        services.append(org=org, kind="incident", record_id=1, version=3, fields={})
    with pytest.raises(ValidationError):
        services.append(org=org, kind="bad kind!", record_id=1, version=1, fields={})
    assert Entry.objects.count() == len(made)


def test_each_organisation_has_its_own_tree(world: object) -> None:
    fill(world.org, records=2, versions=1)  # type: ignore[attr-defined]
    other = services.append(
        org=world.other_org,
        kind="incident",
        record_id=1,
        version=1,
        fields={"x": 1},  # type: ignore[attr-defined]
    )
    assert other.index == 0


def test_untouched_ledger_verifies_live_and_standalone(world: object, tmp_path: Path) -> None:
    org = world.org  # type: ignore[attr-defined]
    fill(org)
    services.sign_checkpoint(org_id=org.pk, slot_at=T0)
    fill_more = services.append(org=org, kind="notice", record_id=1, version=2, fields={"b": 2})
    services.sign_checkpoint(org_id=org.pk, slot_at=T0.replace(hour=3))
    report = verify_ledger(org.pk)
    assert report.ok, report.problems
    assert (report.entries, report.checkpoints) == (fill_more.index + 1, 2)
    call_command("evidence", "verify", "--org", org.slug)
    bundle = export(org.pk, tmp_path / "b", disclose=[("incident", 1)])
    result = run_verifier(bundle)
    assert result.returncode == 0, result.stdout
    assert "OK" in result.stdout and "disclosures opened" in result.stdout
    assert "Shelling" in (bundle / "disclosures.jsonl").read_text()
    assert "Shelling" not in (bundle / "entries.jsonl").read_text()


def test_verify_command_exits_non_zero_on_a_bad_ledger(world: object) -> None:
    org = world.org  # type: ignore[attr-defined]
    fill(org, records=1, versions=1)
    services.sign_checkpoint(org_id=org.pk, slot_at=T0)
    services.append(org=org, kind="notice", record_id=9, version=1, fields={})
    from salama.evidence.models import Checkpoint

    Checkpoint.objects.create(
        org_id=org.pk,
        size=1,
        root="00" * 32,
        note="forged\n1\nAA==\n\n— x AA==\n",
        slot_at=T0.replace(hour=5),
    )
    with pytest.raises(CommandError):
        call_command("evidence", "verify", "--org", org.slug)
    assert entries.FORMAT == 1
