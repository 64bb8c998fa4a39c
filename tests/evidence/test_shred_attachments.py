"""Crypto-shredding (retention and by record) and attachments (encrypted, content-addressed,
working copies without EXIF or GPS, limits)."""

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from PIL import Image

from salama.evidence import services
from salama.evidence.attachments import original_bytes, working_bytes
from salama.evidence.models import Attachment, Payload, RecordKey, Shred
from salama.evidence.verifying import verify_ledger
from salama.privacy.retention import apply_retention
from tests.evidence.bundles import export, run_verifier
from tests.evidence.helpers import T0, fill


def photo_with_gps() -> bytes:
    image = Image.new("RGB", (16, 12), "orange")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0131] = "Camera app 1.2"  # Software
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (33.0, 30.0, 12.0)  # latitude
    gps[3], gps[4] = "E", (36.0, 17.0, 40.0)  # longitude
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_working_copy_has_no_exif_or_gps_and_the_original_is_kept(world: Any) -> None:
    data = photo_with_gps()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    stored = services.store_attachment(
        org=world.org, data=data, content_type="image/jpeg", reporter_codename="K12"
    )
    assert original_bytes(stored) == data
    working = Image.open(io.BytesIO(working_bytes(stored)))
    assert working.size == (16, 12)
    assert not working.getexif() and "exif" not in working.info
    assert b"PhoneMaker" not in working_bytes(stored)
    assert stored.reporter_codename == "K12"


def test_attachments_are_encrypted_and_stored_once(world: Any) -> None:
    data = photo_with_gps()
    first = services.store_attachment(org=world.org, data=data, content_type="image/jpeg")
    again = services.store_attachment(org=world.org, data=data, content_type="image/jpeg")
    assert first.pk == again.pk and Attachment.objects.count() == 1
    import hashlib

    assert first.address != hashlib.sha256(data).hexdigest()  # never the bare file hash
    with connection.cursor() as cursor:
        cursor.execute("SELECT original, working FROM evidence_attachment")
        original, working = cursor.fetchone()
    assert original.startswith("v1:") and working.startswith("v1:")


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"MZ\x90\x00 not a photo", "image/jpeg"),
        (b"plain text", "text/plain"),
        (b"", "image/png"),
        (b"x" * (10 * 1024 * 1024 + 1), "application/pdf"),
        (b"%PDX-1.7", "application/pdf"),
    ],
)
def test_bad_attachments_are_refused_with_nothing_stored(
    world: Any, data: bytes, content_type: str
) -> None:
    with pytest.raises(ValidationError):
        services.store_attachment(org=world.org, data=data, content_type=content_type)
    assert not Attachment.objects.exists()


def test_a_shredded_record_verifies_with_payload_destroyed(world: Any, tmp_path: Path) -> None:
    org = world.org
    picture = services.store_attachment(org=org, data=photo_with_gps(), content_type="image/jpeg")
    fill(org, records=3, versions=2)
    services.append(
        org=org, kind="incident", record_id=2, version=3, fields={}, attachments=[picture.pk]
    )
    services.sign_checkpoint(org_id=org.pk, slot_at=T0)
    gone = services.shred_record(org_id=org.pk, kind="incident", record_id=2, reason="request")
    assert gone == 3
    assert not RecordKey.objects.filter(kind="incident", record_id=2).exists()
    assert not Payload.objects.filter(entry__record_id=2, entry__kind="incident").exists()
    assert not Attachment.objects.exists()
    report = verify_ledger(org.pk)
    assert report.ok, report.problems
    assert report.destroyed == [1, 4, 7]
    out = io.StringIO()
    call_command("evidence", "verify", "--org", org.slug, stdout=out)
    assert "payload destroyed: 3 entries" in out.getvalue() and "OK" in out.getvalue()
    bundle = export(org.pk, tmp_path / "b", disclose=[("incident", 1), ("incident", 2)])
    result = run_verifier(bundle)
    assert result.returncode == 0, result.stdout
    assert "payload destroyed" in result.stdout


def test_retention_shreds_records_older_than_the_setting(world: Any) -> None:
    org = world.org
    with time_machine.travel(T0, tick=False):
        services.append(org=org, kind="incident", record_id=1, version=1, fields={"a": 1})
    with time_machine.travel(T0 + timedelta(days=20), tick=False):
        services.append(org=org, kind="incident", record_id=2, version=1, fields={"a": 2})
    org.settings = {**org.settings, "retention_evidence_days": 10}
    org.save(update_fields=["settings"])
    counts = apply_retention(org=org, now=T0 + timedelta(days=25))
    assert counts["evidence_records"] == 1
    assert list(Shred.objects.values_list("record_id", "reason")) == [(1, "retention")]
    assert RecordKey.objects.filter(record_id=2).exists()
    report = verify_ledger(org.pk)
    assert report.ok and report.destroyed == [0]
