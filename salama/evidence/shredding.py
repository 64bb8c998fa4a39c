"""Crypto-shredding: destroy a record's key and its disclosures; the commitments stay.

After a shred the ledger still verifies (every entry and checkpoint is untouched) and reports
the record's entries as "payload destroyed". The attachments its entries named go too (an
attachment is stored once per organisation: a photo attached to two records goes with the
first one shredded). Called by salama.privacy — retention (records older than the
organisation's evidence retention) and the emergency purge.
"""

from datetime import datetime

from django.db import transaction

from salama.accounts import audit
from salama.evidence.appending import unseal
from salama.evidence.models import Attachment, Entry, Payload, RecordKey, Shred
from salama.evidence.verifying import entries_key
from salama.lib.fields import Sealed


def _attachment_ids(org_id: int, key: RecordKey | None, payloads: list[Payload]) -> set[int]:
    if key is None or not key.key or isinstance(key.key, Sealed):
        return set()
    found: set[int] = set()
    for payload in payloads:
        try:
            opened = unseal(entries_key(str(key.key)), org_id, payload.entry.index, payload.box)
        except Exception:  # a payload that does not open names nothing we can find
            opened = {"attachments": []}
        found.update(int(pk) for pk, _text in opened["attachments"])
    return found


def shred_record(*, org_id: int, kind: str, record_id: int, reason: str) -> int:
    """Destroy the record's key, disclosures and attachments. Returns the number of entries
    whose payload went."""
    with transaction.atomic():
        key = RecordKey.objects.for_org(org_id).filter(kind=kind, record_id=record_id).first()
        payloads = list(
            Payload.objects.for_org(org_id)
            .filter(entry__kind=kind, entry__record_id=record_id)
            .select_related("entry")
        )
        files = _attachment_ids(org_id, key, payloads)
        Attachment.objects.for_org(org_id).filter(pk__in=files).delete()
        Payload.objects.filter(pk__in=[p.pk for p in payloads]).delete()
        RecordKey.objects.for_org(org_id).filter(kind=kind, record_id=record_id).delete()
        Shred.objects.create(org_id=org_id, kind=kind, record_id=record_id, reason=reason)
        audit.record(
            "evidence.shredded",
            org_id=org_id,
            detail={"kind": kind, "record_id": record_id, "reason": reason},
        )
    return len(payloads)


def shred_older_than(*, org_id: int, before: datetime, reason: str = "retention") -> int:
    """Retention: shred every record whose latest entry is older than `before`."""
    latest: dict[tuple[str, int], datetime] = {}
    rows = Entry.objects.for_org(org_id).values_list("kind", "record_id", "at")
    for kind, record_id, at in rows.iterator(chunk_size=5000):
        key = (kind, record_id)
        latest[key] = max(at, latest.get(key, at))
    live = set(RecordKey.objects.for_org(org_id).values_list("kind", "record_id"))
    done = 0
    for (kind, record_id), at in latest.items():
        if at < before and (kind, record_id) in live:
            shred_record(org_id=org_id, kind=kind, record_id=record_id, reason=reason)
            done += 1
    return done


def mark_org_shredded(*, org_id: int) -> int:
    """The emergency purge: its keys are destroyed and its key, payload and attachment rows
    deleted by the purge itself; this notes each record as shredded, so verify says why."""
    records = set(Entry.objects.for_org(org_id).values_list("kind", "record_id"))
    Shred.objects.bulk_create(
        Shred(org_id=org_id, kind=kind, record_id=record_id, reason="purge")
        for kind, record_id in records
    )
    return len(records)
