"""Attacks on the ledger, each caught by `verify` live and by the standalone verifier on a bundle
exported afterwards, naming the first bad entry. The attacker is a database superuser: the
append-only trigger is switched off for the session (session_replication_role = replica), as
such an attacker would."""

import base64
import contextlib
import importlib.util
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import DatabaseError, connection, transaction
from PIL import Image

from salama.evidence import notes, services, tree
from salama.evidence.checkpoints import Inconsistent, origin
from salama.evidence.models import Attachment, Checkpoint, Entry, Head
from salama.evidence.verifying import Report, verify_ledger
from salama.lib import keyring
from tests.evidence.bundles import VERIFIER, export, run_verifier
from tests.evidence.helpers import T0, fill

pytestmark = [pytest.mark.postgres]

spec = importlib.util.spec_from_file_location("verify_bundle", VERIFIER)
assert spec and spec.loader
standalone = importlib.util.module_from_spec(spec)
spec.loader.exec_module(standalone)


def photo(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def ledger(world: Any) -> Any:
    """Eleven entries (a checkpoint after six), one with a photo, a witness's cosignature."""
    org = world.org
    fill(org, records=5, versions=1)  # five incidents and a notice
    services.sign_checkpoint(org_id=org.pk, slot_at=T0)
    picture = services.store_attachment(
        org=org, data=photo("red"), content_type="image/jpeg", reporter_codename="K12"
    )
    for record in range(1, 6):
        services.append(
            org=org,
            kind="incident",
            record_id=record,
            version=2,
            fields={"description": f"update {record}"},
            attachments=[picture.pk] if record == 3 else [],
        )
    last = services.sign_checkpoint(org_id=org.pk, slot_at=T0.replace(hour=4))
    witness_key = Ed25519PrivateKey.generate()
    services.add_witness(
        org=org,
        vkey=notes.vkey("witness.example/w1", notes.COSIGNATURE, notes.raw_public(witness_key)),
    )
    assert last is not None
    text = last.note[: last.note.rfind("\n\n") + 1]
    line = notes.cosign(text, "witness.example/w1", witness_key, 1_800_000_000)
    services.add_cosignature(org=org, checkpoint=last, line=line)
    return org


@contextlib.contextmanager
def as_superuser() -> Iterator[Any]:
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            yield cursor
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")


def standalone_result(org_id: int, directory: Path) -> tuple[int, str]:
    export(org_id, directory, disclose=[("incident", 3)], attachments=True)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = standalone.main([str(directory)])
    return status, out.getvalue()


def assert_caught(org: Any, tmp_path: Path, first: int | None, words: str) -> Report:
    report = verify_ledger(org.pk)
    assert not report.ok
    assert report.first_bad == first, report.problems
    assert any(words in p.what for p in report.problems), report.problems
    status, printed = standalone_result(org.pk, tmp_path / "bundle")
    assert status == 1, printed
    if first is not None:
        assert f"first bad entry #{first}" in printed, printed
    return report


def test_the_untouched_ledger_verifies(ledger: Any, tmp_path: Path) -> None:
    report = verify_ledger(ledger.pk)
    assert report.ok and report.problems == [] and report.destroyed == []
    assert (report.entries, report.checkpoints, report.cosignatures) == (11, 2, 1)
    status, printed = standalone_result(ledger.pk, tmp_path / "b")
    assert status == 0, printed
    result = run_verifier(tmp_path / "b")
    assert result.returncode == 0 and "1 cosignatures" in result.stdout


def test_the_database_refuses_update_and_delete_of_entries(ledger: Any) -> None:
    for statement in (
        "UPDATE evidence_entry SET body = body || ' ' WHERE index = 3",
        "DELETE FROM evidence_entry WHERE index = 3",
        "UPDATE evidence_checkpoint SET size = 1",
        "DELETE FROM evidence_node",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert verify_ledger(ledger.pk).ok


def test_changing_any_byte_of_an_entry_is_caught(ledger: Any) -> None:
    entry = Entry.objects.get(org_id=ledger.pk, index=7)
    body = entry.body
    for place in range(0, len(body), 3):
        changed = body[:place] + ("1" if body[place] != "1" else "2") + body[place + 1 :]
        with as_superuser() as cursor:
            cursor.execute("UPDATE evidence_entry SET body = %s WHERE id = %s", [changed, entry.pk])
        report = verify_ledger(ledger.pk, payloads=False)
        assert report.first_bad == 7, (place, report.problems)
    with as_superuser() as cursor:
        cursor.execute("UPDATE evidence_entry SET body = %s WHERE id = %s", [body, entry.pk])
    assert verify_ledger(ledger.pk).ok


def test_an_update_made_directly_in_the_database_is_caught(ledger: Any, tmp_path: Path) -> None:
    with as_superuser() as cursor:
        cursor.execute(
            "UPDATE evidence_entry SET body = replace(body, '\"version\":2', '\"version\":3') "
            "WHERE org_id = %s AND index = 8",
            [ledger.pk],
        )
    assert_caught(ledger, tmp_path, 8, "was changed")


def test_an_update_that_also_rewrites_the_hashes_is_caught_by_the_checkpoint(
    ledger: Any, tmp_path: Path
) -> None:
    entry = Entry.objects.get(org_id=ledger.pk, index=2)
    data = json.loads(entry.body)
    data["at"] = "2026-11-01T00:00:00.000000Z"
    body = json.dumps(data, sort_keys=True, separators=(",", ":"))
    leaf = tree.leaf_hash(body.encode()).hex()
    with as_superuser() as cursor:
        cursor.execute(
            "UPDATE evidence_entry SET body = %s, leaf_hash = %s WHERE id = %s",
            [body, leaf, entry.pk],
        )
        cursor.execute("DELETE FROM evidence_node WHERE org_id = %s", [ledger.pk])
    # Its next version (#8) no longer points to it, and the checkpoints' roots do not match.
    report = verify_ledger(ledger.pk)
    assert report.first_bad == 2 and any("a fork" in p.what for p in report.problems)
    status, printed = standalone_result(ledger.pk, tmp_path / "b")
    assert status == 1 and "first bad entry #2" in printed and "a fork" in printed


def test_a_deleted_entry_is_caught(ledger: Any, tmp_path: Path) -> None:
    with as_superuser() as cursor:
        cursor.execute(
            "DELETE FROM evidence_payload WHERE entry_id IN (SELECT id FROM evidence_entry "
            "WHERE org_id = %s AND index = 4)",
            [ledger.pk],
        )
        cursor.execute("DELETE FROM evidence_entry WHERE org_id = %s AND index = 4", [ledger.pk])
    assert_caught(ledger, tmp_path, 4, "is missing")


def test_reordered_entries_are_caught(ledger: Any, tmp_path: Path) -> None:
    with as_superuser() as cursor:
        cursor.execute(
            "UPDATE evidence_entry SET index = -1 WHERE org_id = %s AND index = 5", [ledger.pk]
        )
        cursor.execute(
            "UPDATE evidence_entry SET index = 5 WHERE org_id = %s AND index = 9", [ledger.pk]
        )
        cursor.execute(
            "UPDATE evidence_entry SET index = 9 WHERE org_id = %s AND index = -1", [ledger.pk]
        )
    assert_caught(ledger, tmp_path, 5, "says it stands at")


def test_an_inserted_entry_is_caught(ledger: Any, tmp_path: Path) -> None:
    forged = Entry.objects.get(org_id=ledger.pk, index=7)
    with as_superuser() as cursor:
        cursor.execute(
            "UPDATE evidence_entry SET index = index + 1000 WHERE org_id = %s AND index >= 7",
            [ledger.pk],
        )
        cursor.execute(
            "UPDATE evidence_entry SET index = index - 999 WHERE org_id = %s AND index >= 1000",
            [ledger.pk],
        )
        data = json.loads(forged.body) | {"record": 99, "version": 1, "prev": None}
        body = json.dumps(data, sort_keys=True, separators=(",", ":"))
        cursor.execute(
            "INSERT INTO evidence_entry"
            " (org_id, index, kind, record_id, version, body, leaf_hash, at)"
            " VALUES (%s, 7, 'incident', 99, 1, %s, %s, now())",
            [ledger.pk, body, tree.leaf_hash(body.encode()).hex()],
        )
    assert_caught(ledger, tmp_path, 7, "says it stands at")


def test_a_swapped_attachment_is_caught(ledger: Any, tmp_path: Path) -> None:
    picture = Attachment.objects.get(org_id=ledger.pk)
    swapped = keyring.encrypt(ledger.pk, base64.b64encode(photo("blue")).decode())
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE evidence_attachment SET original = %s WHERE id = %s", [swapped, picture.pk]
        )
    entry = Entry.objects.get(org_id=ledger.pk, kind="incident", record_id=3, version=2)
    report = verify_ledger(ledger.pk)
    assert report.first_bad == entry.index and "swapped" in report.problems[0].what
    # In a bundle: the working copy replaced by another photo.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE evidence_attachment SET original = %s WHERE id = %s",
            [keyring.encrypt(ledger.pk, base64.b64encode(photo("red")).decode()), picture.pk],
        )
    bundle = export(ledger.pk, tmp_path / "b", disclose=[("incident", 3)], attachments=True)
    (file,) = (bundle / "attachments").iterdir()
    assert run_verifier(bundle).returncode == 0
    file.write_bytes(photo("blue"))
    result = run_verifier(bundle)
    assert result.returncode == 1 and f"first bad entry #{entry.index}" in result.stdout


def test_a_checkpoint_signed_by_another_key_is_caught(ledger: Any, tmp_path: Path) -> None:
    name = origin(ledger.pk)
    text = notes.checkpoint_text(name, 11, bytes.fromhex(Checkpoint.objects.last().root))  # type: ignore[union-attr]
    note = notes.sign(text, name, Ed25519PrivateKey.generate())
    with as_superuser() as cursor:
        cursor.execute(
            "INSERT INTO evidence_checkpoint (org_id, size, root, note, slot_at, signed_at)"
            " VALUES (%s, 11, %s, %s, %s, now())",
            [ledger.pk, "00" * 32, note, T0.replace(hour=9)],
        )
    assert_caught(ledger, tmp_path, None, "not signed by the log's key")


def test_a_forked_checkpoint_is_caught(ledger: Any, tmp_path: Path) -> None:
    from salama.evidence.checkpoints import signing_key

    name = origin(ledger.pk)
    fork = tree.root_of([tree.leaf_hash(b"another history")] * 8)
    note = notes.sign(notes.checkpoint_text(name, 8, fork), name, signing_key(ledger.pk))
    Checkpoint.objects.create(
        org_id=ledger.pk, size=8, root=fork.hex(), note=note, slot_at=T0.replace(hour=9)
    )
    report = assert_caught(ledger, tmp_path, 6, "a fork")
    assert any("smaller than an earlier" in p.what for p in report.problems)


def test_a_checkpoint_inconsistent_with_the_last_is_never_signed(ledger: Any) -> None:
    head = Head.objects.get(org_id=ledger.pk)
    with as_superuser() as cursor:
        cursor.execute(
            "UPDATE evidence_head SET frontier = %s WHERE id = %s",
            [json.dumps([[3, "ab" * 32], [1, "cd" * 32], [0, "ef" * 32]]), head.pk],
        )
    before = Checkpoint.objects.count()
    with pytest.raises(Inconsistent):
        services.sign_checkpoint(org_id=ledger.pk, slot_at=T0.replace(hour=10))
    assert Checkpoint.objects.count() == before


def test_a_forged_cosignature_is_refused(ledger: Any) -> None:
    from django.core.exceptions import ValidationError

    last = Checkpoint.objects.order_by("slot_at").last()
    assert last is not None
    text = last.note[: last.note.rfind("\n\n") + 1]
    line = notes.cosign(text, "witness.example/w1", Ed25519PrivateKey.generate(), 1_800_000_000)
    with pytest.raises(ValidationError):
        services.add_cosignature(org=ledger, checkpoint=last, line=line)
