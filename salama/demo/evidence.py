"""L1 demo: the evidence ledger of the demo organisation holds a few records of the documented
sample kind "sample_report" (three reports, two of them corrected once, one with a photo whose
camera metadata is stripped in the working copy), checkpoints signed for two past slots and
the current one, and a demo witness's cosignature. Incident versions join it once incidents
append theirs. Idempotent: nothing is added once the ledger has an entry. All fictional."""

import io
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from salama.accounts.models import Organisation
from salama.evidence import notes, services
from salama.evidence.checkpoints import slot_of
from salama.evidence.models import Entry
from salama.lib import clock

KIND = "sample_report"
WITNESS = "witness.demo.invalid/partner"
REPORTS = [
    {"facility": "Field Hospital M1", "what": "shelling", "damage": "partial", "killed": 0},
    {"facility": "Hanano Clinic", "what": "airstrike", "damage": "destroyed", "killed": 2},
    {"facility": "Ambulance Point East", "what": "obstruction", "damage": "none", "killed": 0},
]


def _photo() -> bytes:
    image = Image.new("RGB", (64, 48), (120, 110, 100))
    exif = Image.Exif()
    exif[0x010F] = "DemoPhone"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def load() -> None:
    org = Organisation.objects.filter(slug="demo").first()
    if org is None or Entry.objects.for_org(org).exists():
        return
    now = clock.now()
    start = now - timedelta(days=3)
    picture = services.store_attachment(
        org=org, data=_photo(), content_type="image/jpeg", reporter_codename="K12"
    )
    for number, fields in enumerate(REPORTS, 1):
        services.append(
            org=org,
            kind=KIND,
            record_id=number,
            version=1,
            fields={**fields, "reported_at": (start + timedelta(hours=number)).isoformat()},
            attachments=[picture.pk] if number == 1 else [],
            at=start + timedelta(hours=number),
        )
    services.sign_checkpoint(org_id=org.pk, slot_at=slot_of(start + timedelta(days=1)))
    for number in (1, 2):
        corrected = {**REPORTS[number - 1], "verified": True, "certainty": "confirmed"}
        services.append(
            org=org,
            kind=KIND,
            record_id=number,
            version=2,
            fields=corrected,
            at=start + timedelta(days=1, hours=number),
        )
    services.sign_checkpoint(org_id=org.pk, slot_at=slot_of(start + timedelta(days=2)))
    latest = services.sign_checkpoint(org_id=org.pk, slot_at=slot_of(now))
    witness = Ed25519PrivateKey.generate()  # the partner's key; only its public half is kept
    services.add_witness(
        org=org, vkey=notes.vkey(WITNESS, notes.COSIGNATURE, notes.raw_public(witness))
    )
    if latest is not None:
        text, _signatures = notes.split(latest.note)
        line = notes.cosign(text, WITNESS, witness, int(now.timestamp()))
        services.add_cosignature(org=org, checkpoint=latest, line=line)
