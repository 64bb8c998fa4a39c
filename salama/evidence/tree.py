"""The Merkle tree of RFC 9162 (section 2.1), our own implementation.

Leaf hash ``SHA-256(0x00 || entry)``, node hash ``SHA-256(0x01 || left || right)``; the tree of n
leaves splits at k, the largest power of two smaller than n. Nothing here touches the database:
proofs take a function ``subtree(start, end)`` that returns the hash of the leaves [start, end);
the ledger serves it from stored nodes, the tests from a list. tools/verify_bundle.py carries its
own copy of the verifying half, so that it needs nothing but Python and `cryptography`.
"""

import hashlib
from collections.abc import Callable, Iterable

Subtree = Callable[[int, int], bytes]

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaves: list[bytes]) -> bytes:
    """MTH over leaf hashes (not entries)."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return node_hash(root_of(leaves[:k]), root_of(leaves[k:]))


# --- The frontier: the roots of the perfect subtrees of a growing tree, left to right ---------


def push(
    frontier: list[tuple[int, bytes]], leaf: bytes, made: list[bytes] | None = None
) -> list[tuple[int, bytes]]:
    """Add one leaf hash. Each item is (height, hash); returns the new frontier. The hashes of
    the subtrees this leaf completes go to `made`, lowest first (their places: `completed`).
    Appending is O(log n)."""
    items = [*frontier, (0, leaf)]
    while len(items) > 1 and items[-1][0] == items[-2][0]:
        (height, right), (_h, left) = items.pop(), items.pop()
        items.append((height + 1, node_hash(left, right)))
        if made is not None:
            made.append(items[-1][1])
    return items


def push_all(frontier: list[tuple[int, bytes]], leaves: Iterable[bytes]) -> list[tuple[int, bytes]]:
    for leaf in leaves:
        frontier = push(frontier, leaf)
    return frontier


def completed(size: int) -> list[tuple[int, int]]:
    """The (height, index) of the perfect subtrees that adding leaf number `size - 1` (the
    leaf making the tree `size` big) completes, above the leaf itself."""
    done = []
    index, height = size - 1, 0
    while index % 2 == 1:
        index //= 2
        height += 1
        done.append((height, index))
    return done


def frontier_root(frontier: list[tuple[int, bytes]]) -> bytes:
    if not frontier:
        return EMPTY_ROOT
    root = frontier[-1][1]
    for _height, left in reversed(frontier[:-1]):
        root = node_hash(left, root)
    return root


# --- Proofs (RFC 9162 2.1.3.1 and 2.1.4.1) -----------------------------------------------------


def range_hash(subtree: Subtree, start: int, end: int) -> bytes:
    """The hash of leaves [start, end) from perfect subtrees only: split as the tree does."""
    n = end - start
    if n & (n - 1) == 0 and start % n == 0:
        return subtree(start, end)
    k = split(n)
    return node_hash(range_hash(subtree, start, start + k), range_hash(subtree, start + k, end))


def inclusion_proof(subtree: Subtree, index: int, size: int) -> list[bytes]:
    if not 0 <= index < size:
        raise ValueError("leaf index outside the tree")
    proof: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = split(end - start)
        if index < start + k:
            proof.append(range_hash(subtree, start + k, end))
            end = start + k
        else:
            proof.append(range_hash(subtree, start, start + k))
            start += k
    return list(reversed(proof))


def consistency_proof(subtree: Subtree, old: int, new: int) -> list[bytes]:
    if not 0 <= old <= new:
        raise ValueError("sizes out of order")
    if old in (0, new):
        return []
    return _subproof(subtree, old, 0, new, True)


def _subproof(subtree: Subtree, m: int, start: int, end: int, whole: bool) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if whole else [range_hash(subtree, start, end)]
    k = split(n)
    if m <= k:
        return _subproof(subtree, m, start, start + k, whole) + [
            range_hash(subtree, start + k, end)
        ]
    return _subproof(subtree, m - k, start + k, end, False) + [
        range_hash(subtree, start, start + k)
    ]


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> bool:
    """RFC 9162 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162 2.1.4.2."""
    if old > new:
        return False
    if old == new:
        return old_root == new_root and not proof
    if old == 0:
        return not proof
    path = list(proof)
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old - 1, new - 1
    while fn % 2 == 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
