"""Signed checkpoints and witness cosignatures.

The worker signs one checkpoint per organisation and schedule slot (EVIDENCE_CHECKPOINT_MINUTES,
aligned to the clock), whether or not anything was appended, so checkpoints do not tell when
incidents happen. Before signing, the new head is checked against the last signed checkpoint
with a consistency proof from the stored nodes: a checkpoint inconsistent with an earlier one is
never signed (the refusal goes to the audit log and the error log).

The signing key is one per organisation (its origin and key name
``<EVIDENCE_HOST>/ledger/<org id>``): each organisation's ledger is a separate log that its
partners witness, one organisation's key never speaks for another, and the purge that destroys
the organisation's keys leaves nobody able to sign in its name, while its old checkpoints still
verify with the public key kept in LogKey.
"""

import base64
import logging
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Organisation
from salama.evidence import notes, selectors, tree
from salama.evidence.appending import frontier_of, lock_head
from salama.evidence.models import Checkpoint, Cosignature, Head, LogKey, Witness
from salama.lib import clock, keyring

log = logging.getLogger("salama.evidence")


class Inconsistent(Exception):
    pass


def origin(org_id: int) -> str:
    return f"{settings.EVIDENCE_HOST}/ledger/{org_id}"


def signing_key(org_id: int) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.from_private_bytes(keyring.signing_seed(org_id))
    public = base64.b64encode(notes.raw_public(key)).decode()
    LogKey.objects.get_or_create(
        org_id=org_id, defaults={"name": origin(org_id), "public_key": public}
    )
    return key


def log_verifier(org_id: int) -> notes.Verifier | None:
    row = LogKey.objects.for_org(org_id).first()
    if row is None:
        return None
    return notes.Verifier(row.name, notes.ED25519, base64.b64decode(row.public_key))


def log_vkey(row: LogKey) -> str:
    return notes.vkey(row.name, notes.ED25519, base64.b64decode(row.public_key))


def slot_of(moment: datetime) -> datetime:
    minutes = settings.EVIDENCE_CHECKPOINT_MINUTES
    epoch = int(moment.timestamp()) // (minutes * 60) * minutes * 60
    return datetime.fromtimestamp(epoch, tz=UTC)


def sign_checkpoint(*, org_id: int, slot_at: datetime) -> Checkpoint | None:
    """Sign the head as it stands, for one slot; None if that slot is signed already.
    Raises Inconsistent (and signs nothing) if the head does not extend the last checkpoint."""
    key = signing_key(org_id)
    try:
        with transaction.atomic():
            head = lock_head(org_id)
            root = tree.frontier_root(frontier_of(head))
            last = selectors.latest_checkpoint(org_id)
            if last is not None:
                _check_extends(org_id, last, head.size, root)
            text = notes.checkpoint_text(origin(org_id), head.size, root)
            return Checkpoint.objects.create(
                org_id=org_id,
                size=head.size,
                root=root.hex(),
                note=notes.sign(text, origin(org_id), key),
                slot_at=slot_at,
            )
    except IntegrityError:
        return None


def _check_extends(org_id: int, last: Checkpoint, size: int, root: bytes) -> None:
    if size < last.size:
        raise Inconsistent(f"the tree shrank from {last.size} to {size}")
    proof = selectors.consistency_proof(org_id, last.size, size)
    if not tree.verify_consistency(last.size, size, bytes.fromhex(last.root), root, proof):
        raise Inconsistent(f"the tree at {size} does not extend the checkpoint at {last.size}")


def sign_due_checkpoints() -> bool:
    """The worker job: a checkpoint for every active organisation with a ledger whose current
    slot is not signed yet."""
    slot_at = slot_of(clock.now())
    active = set(Organisation.objects.filter(is_active=True).values_list("pk", flat=True))
    done = set(Checkpoint.objects.filter(slot_at=slot_at).values_list("org_id", flat=True))
    did = False
    for org_id in Head.objects.values_list("org_id", flat=True):
        if org_id not in active or org_id in done or not keyring.has_keys(org_id):
            continue
        try:
            did = sign_checkpoint(org_id=org_id, slot_at=slot_at) is not None or did
        except Inconsistent as error:
            log.error("checkpoint refused", extra={"org_id": org_id, "reason": str(error)})
            audit.record("evidence.checkpoint_refused", org_id=org_id, detail={"why": str(error)})
    return did


def next_slot(moment: datetime) -> datetime:
    return slot_of(moment) + timedelta(minutes=settings.EVIDENCE_CHECKPOINT_MINUTES)


# --- Witnesses ---------------------------------------------------------------------------------


def add_witness(*, org: Organisation, vkey: str) -> Witness:
    try:
        found = notes.parse_vkey(vkey)
    except notes.BadNote as error:
        raise ValidationError(_("This is not a witness's verifier key.")) from error
    if found.kind != notes.COSIGNATURE:
        raise ValidationError(_("A witness's key must be a cosignature (type 4) key."))
    witness, _created = Witness.objects.update_or_create(
        org=org, name=found.name, defaults={"vkey": vkey.strip()}
    )
    return witness


def add_cosignature(*, org: Organisation, checkpoint: Checkpoint, line: str) -> Cosignature:
    """Store a witness's cosignature of a checkpoint after checking it against the witness's
    registered key."""
    if checkpoint.org_id != org.pk:
        raise ValidationError(_("No such checkpoint."))
    name = line.strip()[len(notes.DASH) :].rpartition(" ")[0]
    witness = Witness.objects.for_org(org).filter(name=name).first()
    if witness is None:
        raise ValidationError(_("This witness is not registered."))
    text, _signatures = notes.split(checkpoint.note)
    try:
        stamp = notes.verify_cosignature(text, line, notes.parse_vkey(witness.vkey))
    except notes.BadNote as error:
        raise ValidationError(_("The cosignature does not verify.")) from error
    cosig, _created = Cosignature.objects.get_or_create(
        checkpoint=checkpoint,
        witness_name=witness.name,
        defaults={
            "org_id": org.pk,
            "vkey": witness.vkey,
            "line": line.strip(),
            "cosigned_at": datetime.fromtimestamp(stamp, tz=UTC),
        },
    )
    return cosig
