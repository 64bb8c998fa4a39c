#!/usr/bin/env python3
"""Verify a Salama evidence bundle, offline.

    python verify_bundle.py DIR [--key VKEY] [--witness VKEY ...]

Needs only Python 3.9 or later and the `cryptography` package: no Salama, no Django, no
database, no network. Exit status 0 only when everything verifies.

What it checks, in order:
  1. every entry (entries.jsonl) is canonical JSON in format 1, stands at the place it names,
     has the leaf hash the bundle records for it, and points to its record's previous version;
  2. the Merkle tree (RFC 9162: leaf SHA-256(0x00 || entry), node SHA-256(0x01 || left || right))
     recomputed from the entries has, at every checkpoint's size, that checkpoint's root;
  3. every checkpoint (checkpoints.jsonl) is a C2SP signed note signed by the log's key, names
     the log's origin, and no checkpoint is smaller than one before it (so all are consistent:
     each is the same tree at a larger size);
  4. every witness cosignature (C2SP tlog-cosignature v1) verifies under its witness's key;
  5. every disclosure (disclosures.jsonl) opens a commitment of its entry, and every attachment
     file has the SHA-256 its disclosure states.
Entries whose payload was destroyed (a purge or retention) have only their commitments: that
is reported, not a failure.

The log's key comes from log.json unless --key gives the one you obtained yourself (from the
organisation's ledger page, its published documents, or a witness); check its fingerprint.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import struct
import sys
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

DASH = "\u2014 "
ENTRY_KEYS = {"v", "index", "kind", "record", "version", "prev", "at", "commitments", "attachments"}


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf_hash(entry: bytes) -> bytes:
    return sha256(b"\x00" + entry)


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def push(frontier: list, leaf: bytes) -> list:
    frontier = frontier + [(0, leaf)]
    while len(frontier) > 1 and frontier[-1][0] == frontier[-2][0]:
        height, right = frontier.pop()
        _height, left = frontier.pop()
        frontier.append((height + 1, node_hash(left, right)))
    return frontier


def root_of(frontier: list) -> bytes:
    if not frontier:
        return sha256(b"")
    root = frontier[-1][1]
    for _height, left in reversed(frontier[:-1]):
        root = node_hash(left, root)
    return root


class Key:
    def __init__(self, text: str) -> None:
        name, hex_id, encoded = text.strip().split("+", 2)
        raw = base64.b64decode(encoded, validate=True)
        if len(raw) != 33:
            raise ValueError("not an Ed25519 verifier key")
        self.name, self.kind, self.public = name, raw[0], raw[1:]
        self.id = sha256(name.encode() + b"\n" + raw[:1] + self.public)[:4]
        if self.id.hex() != hex_id:
            raise ValueError("the verifier key's id does not match its key")
        self.text = text.strip()

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except InvalidSignature:
            return False
        return True


def note_text(note: str) -> tuple[str, list]:
    cut = note.rfind("\n\n")
    if cut < 0:
        raise ValueError("not a signed note")
    lines = []
    for line in note[cut + 2 :].splitlines():
        if not line.startswith(DASH):
            raise ValueError("a malformed signature line")
        name, _space, encoded = line[len(DASH) :].rpartition(" ")
        lines.append((name, base64.b64decode(encoded, validate=True)))
    return note[: cut + 1], lines


def signed_by(note: str, key: Key) -> str | None:
    text, lines = note_text(note)
    for name, signature in lines:
        if name == key.name and signature[:4] == key.id and key.kind == 1:
            return text if key.verify(signature[4:], text.encode()) else None
    return None


def cosigned(text: str, line: str, witness: Key) -> bool:
    name, _space, encoded = line.strip()[len(DASH) :].rpartition(" ")
    blob = base64.b64decode(encoded, validate=True)
    if name != witness.name or witness.kind != 4 or len(blob) != 76 or blob[:4] != witness.id:
        return False
    (stamp,) = struct.unpack(">Q", blob[4:12])
    message = f"cosignature/v1\ntime {stamp}\n".encode() + text.encode()
    return witness.verify(blob[12:], message)


def canonical(value: object) -> str:
    # Entries hold ASCII keys, integers, null, and strings: for these, sorted keys and compact
    # separators are exactly RFC 8785.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def read_lines(path: Path) -> list:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


class Checker:
    def __init__(self) -> None:
        self.problems: list = []

    def bad(self, index: int | None, what: str, precise: bool = True) -> None:
        # precise=False: only a checkpoint's root shows it; the fault lies from `index` on.
        self.problems.append((index, what, precise))

    def first_bad(self) -> int | None:
        for precise in (True, False):
            found = [i for i, _w, p in self.problems if i is not None and p == precise]
            if found:
                return min(found)
        return None


def check_entries(bundle: Path, checker: Checker, sizes: set) -> tuple[list, dict]:
    frontier: list = []
    roots = {0: sha256(b"")}
    bodies = []
    chains: dict = {}
    for position, row in enumerate(read_lines(bundle / "entries.jsonl")):
        body = row["body"]
        leaf = leaf_hash(body.encode("utf-8"))
        bodies.append(None)
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or set(data) != ENTRY_KEYS or data["v"] != 1:
                raise ValueError("unknown entry format")
            if canonical(data) != body:
                raise ValueError("not canonical JSON")
        except ValueError as error:
            checker.bad(position, "entry #%d is not a well-formed entry (%s)" % (position, error))
            data = None
        if row.get("leaf") != leaf.hex():
            checker.bad(
                position, "entry #%d was changed: its hash is not the one recorded" % position
            )
        if data is not None:
            bodies[-1] = data
            if data["index"] != position:
                # later than it says: entries were slipped in before it; earlier: some were lost
                checker.bad(
                    min(position, int(data["index"])),
                    "entry #%d says it stands at #%d" % (position, data["index"]),
                )
            key = (data["kind"], data["record"])
            before = chains.get(key)
            if before is not None and data["version"] <= before[0]:
                checker.bad(position, "entry #%d repeats or goes back on a version" % position)
            if data["prev"] != (before[1] if before else None):
                # this entry was changed, or (if its own hash holds) the version it points to
                checker.bad(
                    before[2] if before and row.get("leaf") == leaf.hex() else position,
                    "entry #%d does not point to its previous version" % position,
                )
            chains[key] = (data["version"], leaf.hex(), position)
        frontier = push(frontier, leaf)
        if position + 1 in sizes:
            roots[position + 1] = root_of(frontier)
    return bodies, roots


def check_checkpoints(
    bundle: Path, checker: Checker, log: Key, origin: str, count: int, roots: dict, witnesses: dict
) -> tuple[int, int]:
    checkpoints = read_lines(bundle / "checkpoints.jsonl")
    good, largest, cosignatures = [0], 0, 0
    for number, row in enumerate(checkpoints, 1):
        try:
            text = signed_by(row["note"], log)
        except ValueError:
            text = None
        if text is None:
            checker.bad(None, "checkpoint %d is not signed by the log's key" % number)
            continue
        lines = text.split("\n")
        size, root = int(lines[1]), base64.b64decode(lines[2])
        start = max(s for s in good if s <= size)
        if lines[0] != origin:
            checker.bad(None, "checkpoint %d names another log" % number)
            continue
        if size < largest:
            checker.bad(
                size, "checkpoint %d is smaller than an earlier one (a fork)" % number, False
            )
        if size > count:
            checker.bad(count, "checkpoint %d covers entries the bundle lacks" % number, False)
        elif roots.get(size) != root:
            checker.bad(
                start,
                "checkpoint %d: its root does not match entries #%d..#%d (a fork)"
                % (number, start, size - 1),
                False,
            )
        else:
            good.append(size)
        largest = max(largest, size)
        for cosig in row.get("cosignatures", []):
            cosignatures += 1
            witness = witnesses.get(cosig["witness"])
            if witness is None or not cosigned(text, cosig["line"], witness):
                checker.bad(
                    None,
                    "checkpoint %d: the cosignature of %s does not verify"
                    % (number, cosig["witness"]),
                )
    return len(checkpoints), cosignatures


def check_disclosures(bundle: Path, checker: Checker, bodies: list) -> int:
    opened = 0
    for row in read_lines(bundle / "disclosures.jsonl"):
        index = row["index"]
        data = bodies[index] if 0 <= index < len(bodies) else None
        if data is None:
            checker.bad(index, "disclosures for entry #%d, which is not there" % index)
            continue
        for text in row.get("fields", []):
            if hashlib.sha256(text.encode("utf-8")).hexdigest() not in data["commitments"]:
                checker.bad(index, "entry #%d: a disclosure does not match" % index)
            else:
                opened += 1
        for item in row.get("attachments", []):
            text = item["disclosure"]
            if hashlib.sha256(text.encode("utf-8")).hexdigest() not in data["attachments"]:
                checker.bad(index, "entry #%d: an attachment's disclosure does not match" % index)
                continue
            facts = json.loads(text)[2]
            if item.get("file"):
                content = (bundle / item["file"]).read_bytes()
                if hashlib.sha256(content).hexdigest() != facts["working_sha256"]:
                    checker.bad(index, "entry #%d: an attachment was swapped" % index)
    return opened


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a Salama evidence bundle offline.")
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--key", help="the log's verifier key, as you obtained it")
    parser.add_argument("--witness", action="append", default=[], help="a witness's key")
    args = parser.parse_args(argv)
    bundle: Path = args.bundle
    meta = json.loads((bundle / "log.json").read_text(encoding="utf-8"))
    log = Key(args.key or meta["vkey"])
    witnesses = {}
    for text in args.witness or meta.get("witnesses", []):
        witness = Key(text)
        witnesses[witness.name] = witness
    checker = Checker()
    sizes = {int(r["size"]) for r in read_lines(bundle / "checkpoints.jsonl")}
    bodies, roots = check_entries(bundle, checker, sizes)
    checkpoints, cosignatures = check_checkpoints(
        bundle, checker, log, meta["origin"], len(bodies), roots, witnesses
    )
    opened = check_disclosures(bundle, checker, bodies)
    destroyed = meta.get("payload_destroyed", [])
    print("log %s, key %s" % (meta["origin"], log.text))
    print(
        "%d entries, %d checkpoints, %d cosignatures, %d disclosures opened"
        % (len(bodies), checkpoints, cosignatures, opened)
    )
    if destroyed:
        print(
            "payload destroyed (commitments only): %d entries, first #%d"
            % (len(destroyed), destroyed[0])
        )
    if not checker.problems:
        print("OK: the bundle verifies")
        return 0
    first = checker.first_bad()
    print("FAILED: first bad entry #%d" % first if first is not None else "FAILED")
    for _index, what, _precise in checker.problems[:50]:
        print("  " + what)
    return 1


if __name__ == "__main__":
    sys.exit(main())
