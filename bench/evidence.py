"""L1: the evidence ledger. Targets: an append < 5 ms at 1,000,000 entries; `salama evidence
verify` over 100,000 entries < 30 s; an inclusion proof < 10 ms; the standalone verifier over a
100,000-entry bundle < 60 s.

Two organisations' ledgers are built in their own database (kept between runs): a large one
(1,000,000 entries; QUICK 20,000) and a 100,000-entry one (QUICK 2,000). Built in bulk — real
entry bodies (salted commitments and decoys), leaf hashes, tree nodes and head, without sealed
disclosures (verify reports them as "payload destroyed"; it still reads and hashes every entry) —
then measured through the real services: appends to the large ledger, inclusion proofs from its
stored nodes, a checkpoint signed on each, `verify` over the smaller one, and
tools/verify_bundle.py over a bundle exported from it, run as a partner would.

    python -m bench.evidence build LARGE SMALL   -> JSON on the last line
    python -m bench.evidence measure RUNS        -> JSON on the last line
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import common

MARK_START = "<!-- bench:evidence:start -->"
MARK_END = "<!-- bench:evidence:end -->"
EPOCH = datetime(2026, 11, 1, tzinfo=UTC)
TARGETS = {"append": 5.0, "inclusion_proof": 10.0, "verify_s": 30.0, "standalone_s": 60.0}
SLUGS = ("bench-ev-large", "bench-ev-small")
BATCH = 5000


def _fill(org_id: int, count: int) -> None:
    from salama.evidence import entries, tree
    from salama.evidence.models import Entry, Head, Node

    frontier: list[tuple[int, bytes]] = []
    rows: list[Entry] = []
    nodes: list[Node] = []
    for index in range(count):
        at = EPOCH + timedelta(seconds=index)
        made = entries.draft(
            index=index, kind="bench", record_id=index, version=1, prev=None, at=at,
            fields={"attack_type": "heavy_weapons", "n": index, "text": "x" * 60},
            attachments=[],
        )  # fmt: skip
        leaf = tree.leaf_hash(made.body)
        hashes: list[bytes] = []
        frontier = tree.push(frontier, leaf, hashes)
        rows.append(
            Entry(org_id=org_id, index=index, kind="bench", record_id=index, version=1,
                  body=made.body.decode(), leaf_hash=leaf.hex(), at=at)
        )  # fmt: skip
        for (height, position), digest in zip(tree.completed(index + 1), hashes, strict=True):
            nodes.append(Node(org_id=org_id, height=height, position=position, hash=digest.hex()))
        if len(rows) >= BATCH:
            Entry.objects.bulk_create(rows)
            Node.objects.bulk_create(nodes)
            rows, nodes = [], []
    Entry.objects.bulk_create(rows)
    Node.objects.bulk_create(nodes)
    Head.objects.update_or_create(
        org_id=org_id,
        defaults={"size": count, "frontier": [[h, d.hex()] for h, d in frontier]},
    )


def build(large: int, small: int) -> dict[str, Any]:
    from salama.accounts.models import Organisation
    from salama.accounts.services import create_organisation
    from salama.evidence.models import Entry
    from salama.lib import keyring

    keyring.ensure_master_key()
    started = time.monotonic()
    built = False
    for slug, count in zip(SLUGS, (large, small), strict=True):
        org = Organisation.objects.filter(slug=slug).first() or create_organisation(
            name=slug, slug=slug, time_zone="UTC"
        )
        keyring.ensure_org_keys(org.pk)
        have = Entry.objects.for_org(org).count()
        if have == 0:
            _fill(org.pk, count)
            built = True
        elif have < count:  # measured appends added a few; a smaller dataset is rebuilt by hand
            pass
    return {"built": built, "seconds": round(time.monotonic() - started, 1)}


def measure(runs: int) -> dict[str, Any]:
    from salama.accounts.models import Organisation
    from salama.evidence import selectors, services
    from salama.evidence.bundle import export_bundle
    from salama.evidence.checkpoints import slot_of
    from salama.evidence.models import Head
    from salama.evidence.verifying import verify_ledger
    from salama.lib import clock

    large = Organisation.objects.get(slug=SLUGS[0])
    small = Organisation.objects.get(slug=SLUGS[1])
    size = Head.objects.get(org_id=large.pk).size
    appends = []
    for n in range(runs * 30):
        started = time.perf_counter()
        services.append(
            org=large, kind="bench_live", record_id=int(time.time() * 1000) * 1000 + n,
            version=1, fields={"attack_type": "heavy_weapons", "text": "x" * 60},
        )  # fmt: skip
        appends.append((time.perf_counter() - started) * 1000)
    size = Head.objects.get(org_id=large.pk).size
    rng = random.Random(3)  # noqa: S311
    proofs = []
    for _ in range(runs * 30):
        index = rng.randrange(size)
        started = time.perf_counter()
        selectors.inclusion_proof(large.pk, index, size)
        proofs.append((time.perf_counter() - started) * 1000)
    slot = slot_of(clock.now()) + timedelta(seconds=random.randrange(10**6))  # noqa: S311
    services.sign_checkpoint(org_id=small.pk, slot_at=slot)
    started = time.perf_counter()
    report = verify_ledger(small.pk)
    verify_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as directory:
        bundle = Path(directory) / "bundle"
        export_bundle(org_id=small.pk, directory=bundle)
        started = time.perf_counter()
        result = subprocess.run(  # noqa: S603
            [sys.executable, str(bundle / "verify_bundle.py"), str(bundle)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        standalone_s = time.perf_counter() - started
    return {
        "large_entries": size,
        "small_entries": report.entries,
        "append": {"ms": appends},
        "inclusion_proof": {"ms": proofs},
        "verify_s": round(verify_s, 2),
        "verify_ok": report.ok,
        "standalone_s": round(standalone_s, 2),
        "standalone_ok": result.returncode == 0,
    }


def run(cluster: Any, cfg: dict[str, Any], quick: bool) -> dict[str, Any]:
    """The phase of `make bench` (bench/run.py): its own database, kept between runs."""
    size = (cfg["ledger_large"], cfg["ledger_small"])
    out = common.build_and_measure(cluster, "evidence", quick, size, 3 if quick else 7)
    return common.spread_runs(out)


def render(results: dict[str, Any]) -> str:
    ev = results["evidence"]
    head = (
        f"Evidence ledger (L1): appends and proofs on {ev['large_entries']:,} entries, verify and"
        f" the standalone verifier over {ev['small_entries']:,} ({results['date']})."
    )
    rows = [
        f"| {name} | median {ms['median']:.2f} ms ({ms['min']:.2f}–{ms['max']:.2f}) |"
        f" < {TARGETS[name]:.0f} ms |"
        for name in ("append", "inclusion_proof")
        for ms in [ev[name]["ms"]]
    ]
    rows.append(f"| verify | {ev['verify_s']:.1f} s | < {TARGETS['verify_s']:.0f} s |")
    rows.append(
        f"| standalone verifier | {ev['standalone_s']:.1f} s | < {TARGETS['standalone_s']:.0f} s |"
    )
    return "\n".join(common.table(head, ("case", "measured", "target"), rows))


if __name__ == "__main__":
    common.phase_main(build, measure)
