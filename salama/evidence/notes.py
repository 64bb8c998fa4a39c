"""C2SP signed notes, checkpoints and cosignatures (our own reading of the specs
c2sp.org/signed-note, c2sp.org/tlog-checkpoint and c2sp.org/tlog-cosignature).

A checkpoint's text is three lines — the origin, the tree size in decimal, the root hash in
standard base64 — each ending in a newline. A signed note is that text, a blank line, and
signature lines ``— <key name> <base64(key id || signature)>``. For Ed25519 (type 0x01) the
key id is the first 4 bytes of SHA-256(key name || 0x0A || 0x01 || public key) and the
signature covers the text. A witness's cosignature (type 0x04) carries
``key id || timestamp (8 bytes, big endian, seconds) || signature`` where the signature covers
``"cosignature/v1\\ntime <timestamp>\\n" || checkpoint text``. A verifier key (vkey) reads
``<name>+<hex key id>+<base64(type || public key)>``.
"""

import base64
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = 0x01
COSIGNATURE = 0x04
DASH = "\u2014 "


class BadNote(ValueError):
    pass


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name: str, kind: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + public).digest()[:4]


def vkey(name: str, kind: int, public: bytes) -> str:
    encoded = base64.b64encode(bytes([kind]) + public).decode()
    return f"{name}+{key_id(name, kind, public).hex()}+{encoded}"


@dataclass(frozen=True)
class Verifier:
    name: str
    kind: int
    public: bytes

    @property
    def id(self) -> bytes:
        return key_id(self.name, self.kind, self.public)


def parse_vkey(text: str) -> Verifier:
    try:
        name, hex_id, encoded = text.strip().split("+", 2)
        raw = base64.b64decode(encoded, validate=True)
    except ValueError as error:
        raise BadNote("not a verifier key") from error
    if not name or " " in name or len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE):
        raise BadNote("not an Ed25519 verifier key")
    found = Verifier(name, raw[0], raw[1:])
    if found.id.hex() != hex_id:
        raise BadNote("the verifier key's id does not match its key")
    return found


def checkpoint_text(origin: str, size: int, root: bytes) -> str:
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def sign(text: str, name: str, key: Ed25519PrivateKey) -> str:
    signature = key_id(name, ED25519, raw_public(key)) + key.sign(text.encode())
    return f"{text}\n{DASH}{name} {base64.b64encode(signature).decode()}\n"


def split(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """The text and its signature lines (name, decoded signature)."""
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise BadNote("not a signed note")
    text, lines = note[: cut + 1], note[cut + 2 :].splitlines()
    found = []
    for line in lines:
        if not line.startswith(DASH):
            raise BadNote("a signature line is malformed")
        name, _space, encoded = line[len(DASH) :].rpartition(" ")
        try:
            found.append((name, base64.b64decode(encoded, validate=True)))
        except ValueError as error:
            raise BadNote("a signature line is malformed") from error
    return text, found


def verify(note: str, verifier: Verifier) -> str:
    """The note's text if the log's key signed it; BadNote otherwise."""
    text, signatures = split(note)
    public = Ed25519PublicKey.from_public_bytes(verifier.public)
    for name, signature in signatures:
        if name == verifier.name and signature[:4] == verifier.id:
            try:
                public.verify(signature[4:], text.encode())
            except InvalidSignature:
                break
            return text
    raise BadNote("not signed by the log's key")


def parse_checkpoint(text: str) -> tuple[str, int, bytes]:
    lines = text.split("\n")
    if len(lines) < 4 or not lines[1].isdigit():
        raise BadNote("not a checkpoint")
    root = base64.b64decode(lines[2])
    if len(root) != 32:
        raise BadNote("not a checkpoint")
    return lines[0], int(lines[1]), root


def cosigned_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()


def cosign(text: str, name: str, key: Ed25519PrivateKey, timestamp: int) -> str:
    """A witness's cosignature line (for tests, the demo and the docs' example)."""
    signature = key.sign(cosigned_message(text, timestamp))
    blob = key_id(name, COSIGNATURE, raw_public(key)) + struct.pack(">Q", timestamp) + signature
    return f"{DASH}{name} {base64.b64encode(blob).decode()}"


def verify_cosignature(text: str, line: str, witness: Verifier) -> int:
    """The cosignature's timestamp if `line` is the witness's valid cosignature of `text`."""
    line = line.strip()
    if not line.startswith(DASH):
        raise BadNote("a signature line is malformed")
    name, _space, encoded = line[len(DASH) :].rpartition(" ")
    try:
        blob = base64.b64decode(encoded, validate=True)
    except ValueError as error:
        raise BadNote("a signature line is malformed") from error
    if name != witness.name or witness.kind != COSIGNATURE or len(blob) != 76:
        raise BadNote("not a cosignature by this witness")
    if blob[:4] != witness.id:
        raise BadNote("not a cosignature by this witness")
    (timestamp,) = struct.unpack(">Q", blob[4:12])
    try:
        Ed25519PublicKey.from_public_bytes(witness.public).verify(
            blob[12:], cosigned_message(text, timestamp)
        )
    except InvalidSignature:
        raise BadNote("the cosignature does not verify") from None
    return int(timestamp)
