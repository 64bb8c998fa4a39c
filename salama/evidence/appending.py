"""Appending to an organisation's ledger.

Every append locks the organisation's one Head row (SELECT ... FOR UPDATE) in the transaction
that writes the entry, its nodes, its sealed disclosures and the new head: appends from every web
process and worker form one sequence — no gap, no fork, no two entries at one index — and a
process killed half-way leaves the whole entry or nothing (the transaction). On SQLite the
immediate transactions serialise writers the same way.
"""

import base64
import json
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from salama.accounts.models import Organisation
from salama.evidence import entries, tree
from salama.evidence.models import Attachment, Entry, Head, Node, Payload, RecordKey
from salama.lib import clock

KIND_LENGTH = 40


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def lock_head(org_id: int) -> Head:
    head = Head.objects.select_for_update().filter(org_id=org_id).first()
    if head is None:  # the organisation's first append: make the row, then lock it
        try:
            with transaction.atomic():
                Head.objects.create(org_id=org_id)
        except IntegrityError:
            pass  # another process made it first
        head = Head.objects.select_for_update().get(org_id=org_id)
    return head


def frontier_of(head: Head) -> list[tuple[int, bytes]]:
    return [(int(height), bytes.fromhex(digest)) for height, digest in head.frontier]


def record_key(org: Organisation, kind: str, record_id: int) -> bytes:
    row = RecordKey.objects.for_org(org).filter(kind=kind, record_id=record_id).first()
    if row is None:
        row = RecordKey(org=org, kind=kind, record_id=record_id, key=_b64(secrets.token_bytes(32)))
        row.save()
    return _unb64(str(row.key))


def _aad(org_id: int, index: int) -> bytes:
    return f"salama-evidence:{org_id}:{index}".encode()


def seal(key: bytes, org_id: int, index: int, payload: dict[str, Any]) -> str:
    nonce = secrets.token_bytes(12)
    box = AESGCM(key).encrypt(nonce, json.dumps(payload).encode(), _aad(org_id, index))
    return _b64(nonce + box)


def unseal(key: bytes, org_id: int, index: int, box: str) -> dict[str, Any]:
    blob = _unb64(box)
    data: dict[str, Any] = json.loads(
        AESGCM(key).decrypt(blob[:12], blob[12:], _aad(org_id, index))
    )
    return data


def _check(kind: str, record_id: int, version: int, fields: dict[str, Any]) -> None:
    if (
        not kind
        or len(kind) > KIND_LENGTH
        or not kind.replace("_", "").isascii()
        or not kind.replace("_", "").isalnum()
    ):
        raise ValidationError(_("A ledger kind is a short word of letters, digits and _."))
    if record_id < 0 or version < 1:
        raise ValidationError(_("A record id and a version are positive numbers."))
    try:
        entries.canonical(fields)
    except Exception as error:
        raise ValidationError(_("A ledger field's value must be plain JSON.")) from error


def append(
    *,
    org: Organisation,
    kind: str,
    record_id: int,
    version: int,
    fields: dict[str, Any],
    attachments: Sequence[int] = (),
    at: datetime | None = None,
) -> Entry:
    """Append one version of a record (see salama.evidence.entries for the format). The
    previous version's entry hash is found by kind and record id; versions only go up."""
    _check(kind, record_id, version, fields)
    with transaction.atomic():
        head = lock_head(org.pk)
        prev = (
            Entry.objects.for_org(org)
            .filter(kind=kind, record_id=record_id)
            .order_by("-version")
            .only("version", "leaf_hash")
            .first()
        )
        if prev is not None and version <= prev.version:
            raise ValidationError(
                _("Version %(version)s is already in the ledger; versions only go up.")
                % {"version": version}
            )
        files = list(Attachment.objects.for_org(org).filter(pk__in=list(attachments)))
        if len(files) != len(set(attachments)):
            raise ValidationError(_("An attachment was not found."))
        moment = at or clock.now()
        made = entries.draft(
            index=head.size,
            kind=kind,
            record_id=record_id,
            version=version,
            prev=prev.leaf_hash if prev else None,
            at=moment,
            fields=fields,
            attachments=[facts_of(f) for f in files],
        )
        entry = _store(org.pk, head, made, kind=kind, record_id=record_id, version=version)
        payload = {
            "fields": made.fields,
            "attachments": [[f.pk, d] for f, d in zip(files, made.attachments, strict=True)],
        }
        key = record_key(org, kind, record_id)
        Payload.objects.create(org=org, entry=entry, box=seal(key, org.pk, entry.index, payload))
    return entry


def facts_of(attachment: Attachment) -> dict[str, str]:
    from salama.evidence.attachments import facts

    return facts(attachment)


def _store(
    org_id: int, head: Head, made: entries.Draft, *, kind: str, record_id: int, version: int
) -> Entry:
    index = head.size
    leaf = tree.leaf_hash(made.body)
    body = made.body.decode()
    entry = Entry.objects.create(
        org_id=org_id,
        index=index,
        kind=kind,
        record_id=record_id,
        version=version,
        body=body,
        leaf_hash=leaf.hex(),
        at=made.at,
    )
    hashes: list[bytes] = []
    frontier = tree.push(frontier_of(head), leaf, hashes)
    places = tree.completed(index + 1)
    Node.objects.bulk_create(
        Node(org_id=org_id, height=h, position=p, hash=digest.hex())
        for (h, p), digest in zip(places, hashes, strict=True)
    )
    head.size = index + 1
    head.frontier = [[h, digest.hex()] for h, digest in frontier]
    head.updated_at = clock.now()
    head.save(update_fields=["size", "frontier", "updated_at"])
    return entry
