"""`salama evidence verify`: check an organisation's ledger as it stands in the database.

In order: every entry is canonical JSON in the known format, stands at the place it names, has
the hash recorded for it and points to its record's previous version; the stored tree nodes and
the head agree with the tree recomputed from the entries; every checkpoint is signed by the
log's key, names the log's origin, does not shrink, and its root is the recomputed root at its
size (so every two checkpoints are consistent); every cosignature verifies under its witness's
key; every disclosure opens a commitment of its entry and every attachment still has the
SHA-256 it was committed with. A record whose key and disclosures were destroyed is reported as
"payload destroyed" and is not a failure: its commitments still stand in the tree.
"""

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any

from salama.evidence import entries, notes, tree
from salama.evidence.appending import unseal
from salama.evidence.attachments import original_bytes
from salama.evidence.checkpoints import log_verifier, origin
from salama.evidence.models import (
    Attachment,
    Checkpoint,
    Cosignature,
    Entry,
    Head,
    Node,
    Payload,
    RecordKey,
    Shred,
)
from salama.lib.fields import Sealed


@dataclass
class Problem:
    index: int | None
    what: str
    # False when only a checkpoint's root shows it: the fault lies somewhere from `index` on.
    precise: bool = True


@dataclass
class Report:
    org_id: int
    entries: int = 0
    checkpoints: int = 0
    cosignatures: int = 0
    destroyed: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad(self) -> int | None:
        """The first entry an entry-level check names; else where a failed checkpoint's range
        starts."""
        for precise in (True, False):
            found = [p.index for p in self.problems if p.index is not None and p.precise == precise]
            if found:
                return min(found)
        return None

    def add(self, index: int | None, what: str, precise: bool = True) -> None:
        self.problems.append(Problem(index, what, precise))


def verify_ledger(org_id: int, *, payloads: bool = True) -> Report:
    report = Report(org_id)
    checkpoints = list(Checkpoint.objects.for_org(org_id).order_by("slot_at", "pk"))
    sizes = {c.size for c in checkpoints}
    roots: dict[int, bytes] = {0: tree.EMPTY_ROOT} if 0 in sizes else {}
    stored_nodes = {
        (h, p): digest
        for h, p, digest in Node.objects.filter(org_id=org_id)
        .values_list("height", "position", "hash")
        .iterator(chunk_size=5000)
    }
    frontier: list[tuple[int, bytes]] = []
    chains: dict[tuple[str, int], tuple[int, str, int]] = {}
    rows = (
        Entry.objects.for_org(org_id)
        .order_by("index")
        .values_list("index", "kind", "record_id", "version", "body", "leaf_hash")
        .iterator(chunk_size=2000)
    )
    count = 0  # leaves so far: the place each entry must stand at
    for index, kind, record_id, version, body, recorded in rows:
        if index != count:
            report.add(count, f"entry #{count} is missing or out of place (found #{index})")
        leaf = tree.leaf_hash(body.encode())
        _check_entry(report, count, (kind, record_id, version), body, leaf, recorded, chains)
        made: list[bytes] = []
        frontier = tree.push(frontier, leaf, made)
        for (height, position), digest in zip(tree.completed(count + 1), made, strict=True):
            if stored_nodes.pop((height, position), None) != digest.hex():
                first = position << height
                report.add(first, f"the stored tree node over entries #{first}.. differs", False)
        count += 1
        if count in sizes:
            roots[count] = tree.frontier_root(frontier)
    report.entries = count
    for height, position in stored_nodes:
        report.add(position << height, "a stored tree node stands beyond the entries", False)
    _check_head(report, org_id, count, frontier)
    _check_checkpoints(report, org_id, checkpoints, roots)
    if payloads:
        _check_payloads(report, org_id)
    return report


def _check_entry(
    report: Report,
    index: int,
    columns: tuple[str, int, int],
    body: str,
    leaf: bytes,
    recorded: str,
    chains: dict[tuple[str, int], tuple[int, str, int]],
) -> None:
    try:
        data = entries.parse(body)
    except entries.BadEntry as error:
        report.add(index, f"entry #{index} is not a well-formed entry ({error})")
        return
    if leaf.hex() != recorded:
        report.add(index, f"entry #{index} was changed: its hash is not the one recorded")
    if data["index"] != index:
        # Stands later than it says: entries were slipped in before it; earlier: some were lost.
        report.add(
            min(index, int(data["index"])), f"entry #{index} says it stands at #{data['index']}"
        )
    if (data["kind"], data["record"], data["version"]) != columns:
        report.add(index, f"entry #{index} does not match its record's columns")
    key = (data["kind"], data["record"])
    before = chains.get(key)
    if before is not None and data["version"] <= before[0]:
        report.add(index, f"entry #{index} repeats or goes back on version {before[0]}")
    if data["prev"] != (before[1] if before else None):
        # This entry was changed, or (if its own hash holds) the version it should point to.
        report.add(
            before[2] if before and leaf.hex() == recorded else index,
            f"entry #{index} does not point to its record's previous version",
        )
    chains[key] = (data["version"], leaf.hex(), index)


def _check_head(report: Report, org_id: int, count: int, frontier: list[Any]) -> None:
    head = Head.objects.for_org(org_id).first()
    expected = [[h, d.hex()] for h, d in frontier]
    if head is not None and (head.size != count or head.frontier != expected):
        report.add(min(head.size, count), "the ledger head does not match the entries", False)


def _check_checkpoints(
    report: Report, org_id: int, checkpoints: list[Checkpoint], roots: dict[int, bytes]
) -> None:
    verifier = log_verifier(org_id)
    good: list[int] = [0]  # sizes whose checkpoints match the entries
    largest = 0
    for checkpoint in checkpoints:
        report.checkpoints += 1
        label = f"checkpoint at size {checkpoint.size} ({checkpoint.slot_at:%Y-%m-%d %H:%M})"
        try:
            if verifier is None:
                raise notes.BadNote("no log key")
            name, size, root = notes.parse_checkpoint(notes.verify(checkpoint.note, verifier))
        except notes.BadNote:
            report.add(None, f"{label}: not signed by the log's key")
            continue
        if name != origin(org_id) or size != checkpoint.size:
            report.add(None, f"{label}: names another log or size")
            continue
        start = max(s for s in good if s <= size)
        if size < largest:
            report.add(size, f"{label}: smaller than an earlier checkpoint (a fork)", False)
        if size not in roots:
            report.add(
                report.entries, f"{label}: entries are missing (the ledger has fewer)", False
            )
        elif roots[size] != root:
            report.add(
                start,
                f"{label}: its root does not match entries #{start}..#{size - 1} (a fork)",
                False,
            )
        else:
            good.append(size)
        largest = max(largest, size)
    for cosig in Cosignature.objects.filter(checkpoint__in=checkpoints).select_related(
        "checkpoint"
    ):
        report.cosignatures += 1
        text = cosig.checkpoint.note[: cosig.checkpoint.note.rfind("\n\n") + 1]
        try:
            notes.verify_cosignature(text, cosig.line, notes.parse_vkey(cosig.vkey))
        except notes.BadNote:
            report.add(None, f"the cosignature of {cosig.witness_name} does not verify")


def _check_payloads(report: Report, org_id: int) -> None:
    """Every disclosure opens a commitment of its entry; attachments are unchanged."""
    record_keys = {
        (k.kind, k.record_id): entries_key(str(k.key))
        for k in RecordKey.objects.for_org(org_id)
        if k.key and not isinstance(k.key, Sealed)  # Sealed: the organisation's key is gone
    }
    files = {a.pk: a for a in Attachment.objects.for_org(org_id).defer("working")}
    boxes = dict(Payload.objects.for_org(org_id).values_list("entry_id", "box"))
    rows = Entry.objects.for_org(org_id).order_by("index")
    for entry in rows.only("pk", "index", "kind", "record_id", "body").iterator(chunk_size=2000):
        key = record_keys.get((entry.kind, entry.record_id))
        box = boxes.get(entry.pk)
        if key is None or box is None:
            report.destroyed.append(entry.index)
            continue
        try:
            payload = unseal(key, org_id, entry.index, box)
            data = entries.parse(entry.body)
        except Exception:  # any failure to open is a problem to report
            report.add(entry.index, f"entry #{entry.index}: its disclosures do not open")
            continue
        for text in payload["fields"]:
            if not entries.opens(text, data["commitments"]):
                report.add(entry.index, f"entry #{entry.index}: a disclosure does not match")
        for attachment_id, text in payload["attachments"]:
            _name, facts = entries.disclosed(text)
            found = files.get(attachment_id)
            if not entries.opens(text, data["attachments"]):
                report.add(entry.index, f"entry #{entry.index}: an attachment's commitment")
            elif found is None:
                report.destroyed.append(entry.index)
            elif hashlib.sha256(original_bytes(found)).hexdigest() != facts["sha256"]:
                report.add(entry.index, f"entry #{entry.index}: an attachment was swapped")


def entries_key(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def shredded_records(org_id: int) -> set[tuple[str, int]]:
    return set(Shred.objects.for_org(org_id).values_list("kind", "record_id"))
