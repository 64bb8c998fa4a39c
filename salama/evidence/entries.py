"""The format of a ledger entry and of its disclosures (docs/evidence.md states it for readers).

An entry is the canonical JSON (RFC 8785) of

    {"v": 1, "index": 17, "kind": "incident", "record": 42, "version": 3,
     "prev": <hex leaf hash of version 2's entry, or null>,
     "at": "2026-12-05T09:30:00.000000Z",
     "commitments": [<hex SHA-256 of each disclosure, and of decoys>, sorted],
     "attachments": [<hex SHA-256 of each attachment's disclosure>, sorted]}

and its UTF-8 bytes are the Merkle leaf (``index`` is its place in the tree, so an entry moved,
dropped or slipped in shows where it happened). A field's disclosure is the canonical JSON of
``[salt, name, value]`` with a fresh 128-bit salt (base64url, no padding); an attachment's is
``[salt, "attachment", {"sha256": <original>, "working_sha256": <copy without metadata>,
"type": <media type>}]`` — the salt keeps anyone who holds the photo from confirming that it is
in the ledger. Decoy commitments (random hashes) pad the list to a multiple of 8 with at least
two of them, so the number of fields does not show.
"""

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import rfc8785

FORMAT = 1
DECOY_BLOCK = 8
MIN_DECOYS = 2


def canonical(value: Any) -> bytes:
    return rfc8785.dumps(value)


def salt() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")


def disclosure(name: str, value: Any) -> str:
    return canonical([salt(), name, value]).decode()


def commitment(disclosure_text: str) -> str:
    return hashlib.sha256(disclosure_text.encode()).hexdigest()


def decoys(count: int) -> list[str]:
    wanted = max(MIN_DECOYS, -count % DECOY_BLOCK)
    while (count + wanted) % DECOY_BLOCK:
        wanted += 1
    return [secrets.token_bytes(32).hex() for _ in range(wanted)]


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Draft:
    """An entry being made: its body and the disclosures to seal apart."""

    body: bytes
    at: datetime
    fields: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)


def draft(
    *,
    index: int,
    kind: str,
    record_id: int,
    version: int,
    prev: str | None,
    at: datetime,
    fields: dict[str, Any],
    attachments: list[dict[str, str]],
) -> Draft:
    field_disclosures = [disclosure(str(name), value) for name, value in fields.items()]
    file_disclosures = [disclosure("attachment", facts) for facts in attachments]
    commitments = [commitment(d) for d in field_disclosures] + decoys(len(field_disclosures))
    body = {
        "v": FORMAT,
        "index": index,
        "kind": kind,
        "record": record_id,
        "version": version,
        "prev": prev,
        "at": stamp(at),
        "commitments": sorted(commitments),
        "attachments": sorted(commitment(d) for d in file_disclosures),
    }
    return Draft(canonical(body), at, field_disclosures, file_disclosures)


class BadEntry(ValueError):
    pass


def parse(body: str) -> dict[str, Any]:
    """The entry's content, after checking it is canonical and well formed."""
    try:
        data = json.loads(body)
    except ValueError as error:
        raise BadEntry("not JSON") from error
    if not isinstance(data, dict):
        raise BadEntry("not canonical JSON")
    # An entry holds ASCII keys, integers, null and ASCII strings, for which sorted keys and
    # compact separators are RFC 8785: the quick form first, the full one only if they differ.
    quick = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if quick != body and canonical(data).decode() != body:
        raise BadEntry("not canonical JSON")
    keys = {"v", "index", "kind", "record", "version", "prev", "at", "commitments", "attachments"}
    if set(data) != keys or data["v"] != FORMAT:
        raise BadEntry("unknown entry format")
    return data


def opens(disclosure_text: str, commitments: list[str]) -> bool:
    return commitment(disclosure_text) in commitments


def disclosed(disclosure_text: str) -> tuple[str, Any]:
    _salt, name, value = json.loads(disclosure_text)
    return name, value
