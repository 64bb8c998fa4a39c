"""The evidence ledger's rows.

The ledger outlives its organisation's data: the purge (salama.privacy.purge) deletes every row
with a foreign key to Organisation, so the rows that make the tree — entries, nodes, the head,
checkpoints, cosignatures, the log's public keys, the shred markers — hold the organisation as a
plain indexed integer `org_id` and survive it; what a purge must destroy — the per-record keys,
the disclosures, the attachments — points at the organisation and goes with it. Entries, nodes,
checkpoints and cosignatures are append-only: on PostgreSQL a trigger refuses UPDATE and DELETE
(migration 0002), as it does for the audit log.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from salama.accounts.models import OrgQuerySet, OrgScoped
from salama.lib import clock
from salama.lib.fields import EncryptedTextField


class Entry(models.Model):
    """One leaf. `body` is the canonical JSON (RFC 8785) whose UTF-8 bytes are the leaf; the
    format is in docs/evidence.md and `salama.evidence.entries`."""

    org_id = models.BigIntegerField(db_index=True)
    index = models.BigIntegerField()
    kind = models.CharField(max_length=40)
    record_id = models.BigIntegerField()
    version = models.IntegerField()
    body = models.TextField()
    leaf_hash = models.CharField(max_length=64)
    at = models.DateTimeField()

    objects = OrgQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org_id", "index"], name="evidence_entry_one_index"),
            models.UniqueConstraint(
                fields=["org_id", "kind", "record_id", "version"],
                name="evidence_entry_one_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.record_id} v{self.version} #{self.index}"


class Node(models.Model):
    """A perfect subtree's hash above the leaves: height >= 1, covering leaves
    [position * 2**height, (position + 1) * 2**height). Proofs are read from these."""

    org_id = models.BigIntegerField()
    height = models.SmallIntegerField()
    position = models.BigIntegerField()
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org_id", "height", "position"], name="evidence_node_one"
            )
        ]

    def __str__(self) -> str:
        return f"{self.height}/{self.position}"


class Head(models.Model):
    """The one row per organisation that every append locks (SELECT ... FOR UPDATE), so appends
    from every process form one sequence. `frontier` is the list of [height, hex hash] of the
    perfect subtrees, left to right: the root follows from it in O(log n)."""

    org_id = models.BigIntegerField(unique=True)
    size = models.BigIntegerField(default=0)
    frontier = models.JSONField(default=list)
    updated_at = models.DateTimeField(default=clock.now)

    objects = OrgQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.org_id}: {self.size}"


class LogKey(models.Model):
    """The public half of an organisation's checkpoint key (the private half is in the keyring).
    Kept without a foreign key: the ledger must verify after a purge."""

    org_id = models.BigIntegerField(unique=True)
    name = models.CharField(max_length=200)
    public_key = models.CharField(max_length=64)  # base64 of the 32 raw Ed25519 bytes
    created_at = models.DateTimeField(default=clock.now)

    objects = OrgQuerySet.as_manager()

    def __str__(self) -> str:
        return self.name


class Checkpoint(models.Model):
    """A signed note in the C2SP checkpoint format, one per schedule slot."""

    org_id = models.BigIntegerField(db_index=True)
    size = models.BigIntegerField()
    root = models.CharField(max_length=64)
    note = models.TextField()
    slot_at = models.DateTimeField()
    signed_at = models.DateTimeField(default=clock.now)

    objects = OrgQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org_id", "slot_at"], name="evidence_checkpoint_slot")
        ]

    def __str__(self) -> str:
        return f"{self.org_id}@{self.size}"


class Witness(OrgScoped):
    """A partner organisation that cosigns checkpoints: its C2SP verifier key."""

    name = models.CharField(_("name"), max_length=200)
    vkey = models.CharField(_("verifier key"), max_length=300)
    added_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="evidence_witness_one_name")
        ]

    def __str__(self) -> str:
        return self.name


class Cosignature(models.Model):
    """A witness's cosignature line (C2SP tlog-cosignature v1), checked before it was stored."""

    org_id = models.BigIntegerField(db_index=True)
    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.PROTECT, related_name="cosigs")
    witness_name = models.CharField(max_length=200)
    vkey = models.CharField(max_length=300)
    line = models.TextField()
    cosigned_at = models.DateTimeField()
    received_at = models.DateTimeField(default=clock.now)

    objects = OrgQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["checkpoint", "witness_name"], name="evidence_cosig_one_per_witness"
            )
        ]

    def __str__(self) -> str:
        return self.witness_name


class RecordKey(OrgScoped):
    """The per-record key (32 random bytes, base64) that seals a record's disclosures, itself
    sealed by the organisation's data key. Deleting this row shreds the record."""

    kind = models.CharField(max_length=40)
    record_id = models.BigIntegerField()
    key = EncryptedTextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org", "kind", "record_id"], name="evidence_recordkey_one"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.record_id}"


class Payload(OrgScoped):
    """An entry's disclosures — the salts and values of its commitments — sealed with AES-GCM
    under the record's key (base64url of nonce || ciphertext)."""

    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="payload")
    box = models.TextField()

    def __str__(self) -> str:
        return f"payload of {self.entry_id}"


class Shred(models.Model):
    """That a record's payload was destroyed, when and why (ids only; survives the purge)."""

    org_id = models.BigIntegerField(db_index=True)
    kind = models.CharField(max_length=40)
    record_id = models.BigIntegerField()
    reason = models.CharField(max_length=40)
    at = models.DateTimeField(default=clock.now)

    objects = OrgQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.kind} {self.record_id} ({self.reason})"


class Attachment(OrgScoped):
    """A photo or document, encrypted at rest. `address` is the organisation's keyed hash of the
    original's SHA-256 (content-addressed within the organisation, without showing the bare file
    hash). The original is kept as the evidentiary copy; pages and exports use `working`, the
    copy with EXIF and GPS stripped. The reporter appears only by codename."""

    address = models.CharField(max_length=64)
    content_type = models.CharField(max_length=60)
    size = models.IntegerField()
    original = EncryptedTextField()  # base64 of the bytes
    working = EncryptedTextField()
    reporter_codename = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "address"], name="evidence_attachment_address")
        ]

    def __str__(self) -> str:
        return f"attachment {self.pk}"
