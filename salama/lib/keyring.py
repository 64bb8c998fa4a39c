"""Per-organisation keys, kept in a directory outside the database.

Layout of SALAMA_KEYRING_DIR (never backed up with the database):

    master.key        32 random bytes, base64 (or SALAMA_MASTER_KEY in the environment)
    org-<id>.json     {"active": "d2", "lookup": "l1", "keys": {"d1": <wrapped>, "l1": <wrapped>}}

Each organisation has data keys (AES-256-GCM, for ciphertexts) and a separate lookup key
(HMAC-SHA256, for keyed hashes used to find a phone number without decrypting). Every key is
wrapped by the master key with AES-GCM, bound to its organisation and id. A ciphertext reads

    v1:<org id>:<key id>:<base64url(nonce || ciphertext+tag)>

so it names the key it needs; destroying an organisation's file makes every copy of its
ciphertexts, in every old backup, unreadable.
"""

import base64
import fcntl
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "v1"


class KeyUnavailable(Exception):
    """The key a ciphertext names is not in the keyring (deleted, purged, or another org's)."""


@dataclass
class OrgKeys:
    active: str
    lookup: str
    keys: dict[str, bytes]
    mtime: float


_cache: dict[int, OrgKeys] = {}
_master: dict[str, bytes] = {}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def keyring_dir() -> Path:
    return Path(settings.KEYRING_DIR)


def master_key_path() -> Path:
    return keyring_dir() / "master.key"


def ensure_master_key() -> bool:
    """Create the master key file if there is none. Returns whether one was created."""
    if settings.MASTER_KEY or master_key_path().exists():
        return False
    keyring_dir().mkdir(parents=True, exist_ok=True, mode=0o700)
    _write_atomic(master_key_path(), base64.b64encode(secrets.token_bytes(32)).decode())
    return True


def _master_key() -> bytes:
    source = settings.MASTER_KEY or ""
    if not source:
        path = master_key_path()
        if not path.exists():
            raise ImproperlyConfigured(
                f"No master key: set SALAMA_MASTER_KEY or run `salama keys init` ({path})."
            )
        source = path.read_text().strip()
    if source not in _master:
        key = base64.b64decode(source)
        if len(key) != 32:
            raise ImproperlyConfigured("The master key must be 32 bytes, base64-encoded.")
        _master[source] = key
    return _master[source]


def _org_path(org_id: int) -> Path:
    return keyring_dir() / f"org-{int(org_id)}.json"


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


@contextmanager
def _locked() -> Iterator[None]:
    keyring_dir().mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(keyring_dir() / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _wrap_aad(org_id: int, key_id: str) -> bytes:
    return f"salama-key:{org_id}:{key_id}".encode()


def _load(org_id: int) -> OrgKeys:
    path = _org_path(org_id)
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        _cache.pop(org_id, None)
        raise KeyUnavailable(f"no keys for organisation {org_id}") from None
    cached = _cache.get(org_id)
    if cached and cached.mtime == mtime:
        return cached
    raw = json.loads(path.read_text())
    master = AESGCM(_master_key())
    keys = {}
    for key_id, wrapped in raw["keys"].items():
        blob = _unb64(wrapped)
        keys[key_id] = master.decrypt(blob[:12], blob[12:], _wrap_aad(org_id, key_id))
    loaded = OrgKeys(active=raw["active"], lookup=raw["lookup"], keys=keys, mtime=mtime)
    _cache[org_id] = loaded
    return loaded


def _save(org_id: int, active: str, lookup: str, keys: dict[str, bytes]) -> None:
    master = AESGCM(_master_key())
    wrapped = {}
    for key_id, key in keys.items():
        nonce = secrets.token_bytes(12)
        wrapped[key_id] = _b64(nonce + master.encrypt(nonce, key, _wrap_aad(org_id, key_id)))
    body = json.dumps({"active": active, "lookup": lookup, "keys": wrapped}, indent=1)
    _write_atomic(_org_path(org_id), body)
    _cache.pop(org_id, None)


def _next_id(keys: dict[str, bytes], letter: str) -> str:
    numbers = [int(k[1:]) for k in keys if k.startswith(letter)]
    return f"{letter}{max(numbers, default=0) + 1}"


def ensure_org_keys(org_id: int) -> None:
    with _locked():
        if _org_path(org_id).exists():
            return
        keys = {"d1": secrets.token_bytes(32), "l1": secrets.token_bytes(32)}
        _save(org_id, "d1", "l1", keys)


def has_keys(org_id: int) -> bool:
    return _org_path(org_id).exists()


def encrypt(org_id: int, plaintext: str) -> str:
    org = _load(org_id)
    nonce = secrets.token_bytes(12)
    body = AESGCM(org.keys[org.active]).encrypt(
        nonce, plaintext.encode(), f"{org_id}:{org.active}".encode()
    )
    return f"{PREFIX}:{org_id}:{org.active}:{_b64(nonce + body)}"


def parse(ciphertext: str) -> tuple[int, str, bytes]:
    prefix, org, key_id, body = ciphertext.split(":", 3)
    if prefix != PREFIX:
        raise ValueError("not a Salama ciphertext")
    return int(org), key_id, _unb64(body)


def decrypt(ciphertext: str, *, org_id: int | None = None) -> str:
    cipher_org, key_id, blob = parse(ciphertext)
    if org_id is not None and org_id != cipher_org:
        raise KeyUnavailable("ciphertext belongs to another organisation")
    keys = _load(cipher_org)
    if key_id not in keys.keys:
        raise KeyUnavailable(f"key {key_id} of organisation {cipher_org} is gone")
    try:
        plain = AESGCM(keys.keys[key_id]).decrypt(
            blob[:12], blob[12:], f"{cipher_org}:{key_id}".encode()
        )
    except InvalidTag:
        raise KeyUnavailable("ciphertext does not authenticate") from None
    return plain.decode()


def key_id_of(ciphertext: str) -> str:
    return parse(ciphertext)[1]


def lookup_hash(org_id: int, value: str) -> str:
    """A keyed hash for finding a value (a phone number, a duress word) without decrypting.
    Different organisations give different hashes for the same value."""
    keys = _load(org_id)
    return hmac.new(keys.keys[keys.lookup], value.encode(), hashlib.sha256).hexdigest()


def rotate(org_id: int) -> str:
    """Add a new data key and make it the active one; returns its id. Old keys stay until
    `delete_key` once everything has been re-encrypted (salama.lib.rekey)."""
    with _locked():
        org = _load(org_id)
        new_id = _next_id(org.keys, "d")
        _save(org_id, new_id, org.lookup, {**org.keys, new_id: secrets.token_bytes(32)})
        return new_id


def data_key_ids(org_id: int) -> list[str]:
    return [k for k in _load(org_id).keys if k.startswith("d")]


def active_key_id(org_id: int) -> str:
    return _load(org_id).active


def delete_key(org_id: int, key_id: str) -> None:
    with _locked():
        org = _load(org_id)
        if key_id in (org.active, org.lookup):
            raise ValueError("the active data key and the lookup key cannot be deleted")
        keys = {k: v for k, v in org.keys.items() if k != key_id}
        _save(org_id, org.active, org.lookup, keys)


def destroy_org(org_id: int) -> None:
    """Emergency purge: remove every key of the organisation from the keyring."""
    with _locked():
        path = _org_path(org_id)
        if path.exists():
            size = path.stat().st_size
            with open(path, "r+b") as handle:
                handle.write(secrets.token_bytes(size))
                handle.flush()
                os.fsync(handle.fileno())
            path.unlink()
        _cache.pop(org_id, None)
