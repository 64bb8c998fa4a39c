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


class KeyringLocked(ImproperlyConfigured):
    """Key unlock mode: the master key is sealed and nobody has unlocked it since start."""


class WrongPassphrase(ValueError):
    pass


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
    if settings.MASTER_KEY or master_key_path().exists() or sealed_path().exists():
        return False
    keyring_dir().mkdir(parents=True, exist_ok=True, mode=0o700)
    _write_atomic(master_key_path(), base64.b64encode(secrets.token_bytes(32)).decode())
    return True


def _master_key() -> bytes:
    source = settings.MASTER_KEY or ""
    if not source:
        path = master_key_path()
        if path.exists():
            source = path.read_text().strip()
        elif sealed_path().exists():
            source = _unsealed_source()
        else:
            raise ImproperlyConfigured(
                f"No master key: set SALAMA_MASTER_KEY or run `salama keys init` ({path})."
            )
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
    # A plain string path and os.stat: this runs on every seal and lookup hash (twice per API
    # check-in), and a Path built per call cost more than the stat itself. The stat stays: a
    # purge or rotation takes effect at once in every process.
    path = os.path.join(settings.KEYRING_DIR, f"org-{int(org_id)}.json")
    try:
        mtime = os.stat(path).st_mtime
    except FileNotFoundError:
        _cache.pop(org_id, None)
        raise KeyUnavailable(f"no keys for organisation {org_id}") from None
    cached = _cache.get(org_id)
    if cached and cached.mtime == mtime:
        return cached
    raw = json.loads(Path(path).read_text())
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


def signing_seed(org_id: int) -> bytes:
    """The organisation's checkpoint signing key (an Ed25519 seed, key id "s1"), made on first
    use and kept wrapped by the master key like its data keys. Destroyed with them by a purge:
    after that no checkpoint can be signed in the organisation's name, while the ones already
    signed still verify with the public key the ledger keeps."""
    org = _load(org_id)
    if "s1" in org.keys:
        return org.keys["s1"]
    with _locked():
        org = _load(org_id)
        if "s1" not in org.keys:
            _save(org_id, org.active, org.lookup, {**org.keys, "s1": secrets.token_bytes(32)})
        return _load(org_id).keys["s1"]


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


# --- Key unlock mode ----------------------------------------------------------------------------
# master.sealed holds the master key encrypted (AES-256-GCM) under a key derived from an operator
# passphrase with scrypt. There is then no master.key on disk: the process takes the passphrase
# from SALAMA_MASTER_PASSPHRASE_FILE (a supervisor's credential, on a RAM filesystem), or reads
# the key that `salama keys unlock` left in UNLOCKED_KEY_DIR, which must be a RAM filesystem, so a
# server seized while powered off holds nothing that opens the keyring.

SCRYPT_N = 2**17  # 128 MiB and about half a second per attempt
RAM_FILESYSTEMS = {"tmpfs", "ramfs"}
_unsealed: dict[tuple[str, float], str] = {}


def sealed_path() -> Path:
    return keyring_dir() / "master.sealed"


def unlocked_path() -> Path:
    tag = hashlib.sha256(str(keyring_dir().resolve()).encode()).hexdigest()[:12]
    return Path(settings.UNLOCKED_KEY_DIR) / f"salama-master-{tag}.key"


def _derive(passphrase: str, salt: bytes, n: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=n, r=8, p=1).derive(passphrase.encode())


def seal(passphrase: str, *, n: int = SCRYPT_N) -> Path:
    """Wrap the current master key (master.key) with `passphrase` and destroy master.key."""
    if settings.MASTER_KEY:
        raise ImproperlyConfigured("Unset SALAMA_MASTER_KEY before sealing the master key.")
    if len(passphrase) < 12:
        raise ValueError("The passphrase must be at least 12 characters long.")
    with _locked():
        plain = master_key_path()
        if not plain.exists():
            raise ImproperlyConfigured(f"No master key at {plain} to seal.")
        key = base64.b64decode(plain.read_text().strip())
        salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
        box = AESGCM(_derive(passphrase, salt, n)).encrypt(nonce, key, b"salama-master")
        body = {"v": 1, "kdf": "scrypt", "n": n, "r": 8, "p": 1}
        body |= {"salt": _b64(salt), "box": _b64(nonce + box)}
        _write_atomic(sealed_path(), json.dumps(body))
        _shred(plain)
    return sealed_path()


def unseal(passphrase: str) -> bytes:
    raw = json.loads(sealed_path().read_text())
    blob = _unb64(raw["box"])
    try:
        return AESGCM(_derive(passphrase, _unb64(raw["salt"]), int(raw["n"]))).decrypt(
            blob[:12], blob[12:], b"salama-master"
        )
    except InvalidTag:
        raise WrongPassphrase("wrong passphrase") from None


def _unsealed_source() -> str:
    ram = unlocked_path()
    if ram.exists():
        return ram.read_text().strip()
    passphrase_file = settings.MASTER_PASSPHRASE_FILE
    if passphrase_file:
        cache_key = (passphrase_file, sealed_path().stat().st_mtime)
        if cache_key not in _unsealed:
            passphrase = Path(passphrase_file).read_text().rstrip("\r\n")
            _unsealed[cache_key] = base64.b64encode(unseal(passphrase)).decode()
        return _unsealed[cache_key]
    raise KeyringLocked(
        "The keyring is locked (key unlock mode): run `salama keys unlock`, or give the "
        "passphrase in SALAMA_MASTER_PASSPHRASE_FILE."
    )


def is_ram_filesystem(directory: Path) -> bool:
    """Whether `directory` lies on tmpfs or ramfs (read from /proc/mounts)."""
    target = str(directory.resolve())
    best, kind = "", ""
    with open("/proc/mounts") as mounts:
        for line in mounts:
            parts = line.split()
            point = parts[1].replace("\\040", " ")
            inside = target == point or target.startswith(point.rstrip("/") + "/")
            if inside and len(point) >= len(best):
                best, kind = point, parts[2]
    return kind in RAM_FILESYSTEMS


def unlock(passphrase: str) -> Path:
    """Check the passphrase and leave the master key in UNLOCKED_KEY_DIR for the processes of
    this host; refused unless that directory is on a RAM filesystem."""
    key = unseal(passphrase)
    directory = Path(settings.UNLOCKED_KEY_DIR)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not is_ram_filesystem(directory):
        raise ImproperlyConfigured(
            f"{directory} is not a RAM filesystem (tmpfs): the unlocked key would survive a "
            "power-off. Set SALAMA_UNLOCKED_KEY_DIR to a tmpfs directory."
        )
    _write_atomic(unlocked_path(), base64.b64encode(key).decode())
    return unlocked_path()


def lock() -> None:
    """Forget the unlocked key (this process and the RAM copy); running processes that cached
    it keep it until they restart."""
    path = unlocked_path()
    if path.exists():
        _shred(path)
    _master.clear()
    _unsealed.clear()
    _cache.clear()


def _shred(path: Path) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.write(secrets.token_bytes(max(size, 1)))
        handle.flush()
        os.fsync(handle.fileno())
    path.unlink()


def check_unlocked() -> None:
    """At start: refuse to run with a locked keyring rather than fail on the first page."""
    if not settings.MASTER_KEY and not master_key_path().exists() and sealed_path().exists():
        _master_key()
