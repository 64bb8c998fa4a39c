"""The ledger's Merkle tree against an independent RFC 6962 implementation (pymerkle, a test-only
oracle): roots at every size, inclusion proofs equal to pymerkle's, consistency proofs that link
pymerkle's own roots (its consistency layout is not RFC 9162's, so those are not compared); and
proofs served from the stored nodes equal the in-memory ones."""

import hashlib

import pytest
from pymerkle import InmemoryTree

from salama.evidence import selectors, tree
from salama.evidence.models import Entry
from tests.evidence.helpers import fill

SIZES = [*range(1, 40), 63, 64, 65, 100, 127, 128, 129, 255, 257, 300]


@pytest.fixture(scope="module")
def oracle() -> tuple[InmemoryTree, list[bytes]]:
    data = [f"entry {i}".encode() for i in range(max(SIZES))]
    reference = InmemoryTree(algorithm="sha256")
    for item in data:
        reference.append_entry(item)
    return reference, [tree.leaf_hash(item) for item in data]


def test_leaf_and_node_hashes_follow_rfc_9162() -> None:
    assert tree.leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert tree.node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    assert tree.root_of([]) == hashlib.sha256(b"").digest()


@pytest.mark.parametrize("size", SIZES)
def test_roots_agree_with_pymerkle(oracle: tuple[InmemoryTree, list[bytes]], size: int) -> None:
    reference, leaves = oracle
    expected = reference.get_state(size)
    assert tree.root_of(leaves[:size]) == expected
    assert tree.frontier_root(tree.push_all([], leaves[:size])) == expected


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 33, 64, 100, 257])
def test_inclusion_proofs_agree_with_pymerkle(
    oracle: tuple[InmemoryTree, list[bytes]], size: int
) -> None:
    reference, leaves = oracle
    root = reference.get_state(size)
    subtree = lambda a, b: tree.root_of(leaves[a:b])  # noqa: E731
    for index in range(size):
        proof = tree.inclusion_proof(subtree, index, size)
        theirs = reference.prove_inclusion(index + 1, size).serialize()["path"][1:]
        assert [p.hex() for p in proof] == theirs
        assert tree.verify_inclusion(leaves[index], index, size, proof, root)
        if size > 1:
            moved = (index + 1) % size
            assert not tree.verify_inclusion(leaves[index], moved, size, proof, root)


@pytest.mark.parametrize("new", [2, 3, 7, 8, 9, 31, 64, 65, 129, 300])
def test_consistency_proofs_link_pymerkles_roots(
    oracle: tuple[InmemoryTree, list[bytes]], new: int
) -> None:
    reference, leaves = oracle
    subtree = lambda a, b: tree.root_of(leaves[a:b])  # noqa: E731
    for old in range(1, new + 1):
        proof = tree.consistency_proof(subtree, old, new)
        old_root, new_root = reference.get_state(old), reference.get_state(new)
        assert tree.verify_consistency(old, new, old_root, new_root, proof)
        if old < new:
            forged = tree.leaf_hash(b"another history")
            assert not tree.verify_consistency(old, new, forged, new_root, proof)


def test_proofs_from_stored_nodes_equal_the_computed_ones(world: object) -> None:
    org = world.org  # type: ignore[attr-defined]
    fill(org, records=9, versions=2)
    leaves = [
        bytes.fromhex(h)
        for h in Entry.objects.for_org(org).order_by("index").values_list("leaf_hash", flat=True)
    ]
    size = len(leaves)
    subtree = lambda a, b: tree.root_of(leaves[a:b])  # noqa: E731
    for index in range(size):
        assert selectors.inclusion_proof(org.pk, index, size) == tree.inclusion_proof(
            subtree, index, size
        )
    for old in range(size + 1):
        assert selectors.consistency_proof(org.pk, old, size) == tree.consistency_proof(
            subtree, old, size
        )
        assert selectors.root_at(org.pk, old) == tree.root_of(leaves[:old])
