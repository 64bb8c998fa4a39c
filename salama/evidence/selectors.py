"""Reads for pages, the API and the verifier: proofs from stored nodes, the latest checkpoint."""

from dataclasses import dataclass

from django.db.models import Q

from salama.evidence import tree
from salama.evidence.models import Checkpoint, Cosignature, Entry, Head, LogKey, Node


class NodeReader:
    """Serves tree.Subtree from the organisation's stored nodes and leaf hashes, with one query
    per kind of row for a whole proof."""

    def __init__(self, org_id: int) -> None:
        self.org_id = org_id
        self.cache: dict[tuple[int, int], bytes] = {}

    def _needed(self, ranges: list[tuple[int, int]]) -> None:
        leaves = [s for s, e in ranges if e - s == 1 and (0, s) not in self.cache]
        nodes = [(e - s, s) for s, e in ranges if e - s > 1]
        nodes = [((n.bit_length() - 1), s // n) for n, s in nodes]
        nodes = [(h, p) for h, p in nodes if (h, p) not in self.cache]
        if leaves:
            rows = Entry.objects.filter(org_id=self.org_id, index__in=leaves)
            for index, digest in rows.values_list("index", "leaf_hash"):
                self.cache[(0, index)] = bytes.fromhex(digest)
        if nodes:
            wanted = Q()
            for height, position in nodes:
                wanted |= Q(height=height, position=position)
            nodes_found = Node.objects.filter(Q(org_id=self.org_id) & wanted)
            for height, position, digest in nodes_found.values_list("height", "position", "hash"):
                self.cache[(height, position)] = bytes.fromhex(digest)

    def subtree(self, start: int, end: int) -> bytes:
        n = end - start
        place = (n.bit_length() - 1, start // n)
        if place not in self.cache:
            self._needed([(start, end)])
        return self.cache[place]

    def prefetch(self, ranges: list[tuple[int, int]]) -> None:
        self._needed(ranges)


def _perfect_ranges(start: int, end: int, out: list[tuple[int, int]]) -> None:
    n = end - start
    if n & (n - 1) == 0 and start % n == 0:
        out.append((start, end))
        return
    k = tree.split(n)
    _perfect_ranges(start, start + k, out)
    _perfect_ranges(start + k, end, out)


def inclusion_proof(org_id: int, index: int, size: int) -> list[bytes]:
    reader = NodeReader(org_id)
    collect = _Collector()
    tree.inclusion_proof(collect.subtree, index, size)
    reader.prefetch(collect.ranges)
    return tree.inclusion_proof(reader.subtree, index, size)


def consistency_proof(org_id: int, old: int, new: int) -> list[bytes]:
    reader = NodeReader(org_id)
    collect = _Collector()
    tree.consistency_proof(collect.subtree, old, new)
    reader.prefetch(collect.ranges)
    return tree.consistency_proof(reader.subtree, old, new)


def root_at(org_id: int, size: int) -> bytes:
    """The root of the first `size` leaves, from stored nodes."""
    if size == 0:
        return tree.EMPTY_ROOT
    reader = NodeReader(org_id)
    ranges: list[tuple[int, int]] = []
    _perfect_ranges(0, size, ranges)
    reader.prefetch(ranges)
    return tree.range_hash(reader.subtree, 0, size)


class _Collector:
    """A dry run of a proof that notes which perfect subtrees it reads."""

    def __init__(self) -> None:
        self.ranges: list[tuple[int, int]] = []

    def subtree(self, start: int, end: int) -> bytes:
        self.ranges.append((start, end))
        return b"\x00" * 32


@dataclass
class LedgerView:
    head: Head | None
    key: LogKey | None
    checkpoints: list[Checkpoint]
    cosignatures: dict[int, list[Cosignature]]


def ledger(org_id: int, limit: int = 50) -> LedgerView:
    checkpoints = list(Checkpoint.objects.for_org(org_id).order_by("-slot_at")[:limit])
    cosigs: dict[int, list[Cosignature]] = {}
    for cosig in Cosignature.objects.filter(checkpoint__in=checkpoints).order_by("witness_name"):
        cosigs.setdefault(cosig.checkpoint_id, []).append(cosig)
    return LedgerView(
        head=Head.objects.for_org(org_id).first(),
        key=LogKey.objects.for_org(org_id).first(),
        checkpoints=checkpoints,
        cosignatures=cosigs,
    )


def latest_checkpoint(org_id: int) -> Checkpoint | None:
    return Checkpoint.objects.for_org(org_id).order_by("-slot_at", "-pk").first()


def record_entries(org_id: int, kind: str, record_id: int) -> list[Entry]:
    return list(
        Entry.objects.for_org(org_id).filter(kind=kind, record_id=record_id).order_by("version")
    )
