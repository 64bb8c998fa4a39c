"""Key unlock mode: the master key wrapped by an operator passphrase; without it, a server
seized while powered off holds nothing that opens the keyring."""

import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from salama.lib import keyring
from salama.lib.startup import check_deployment

PASSPHRASE = "long operator passphrase 42"
FAST = 2**12  # tests only: the default work factor costs half a second per attempt


@pytest.fixture
def sealed(_keyring: Path, settings: Any, tmp_path: Path) -> dict[str, Any]:
    ram = Path("/dev/shm") / f"salama-test-{tmp_path.name}"
    settings.UNLOCKED_KEY_DIR = ram
    settings.MASTER_PASSPHRASE_FILE = ""
    keyring.ensure_org_keys(7)
    ciphertext = keyring.encrypt(7, "K12 real name")
    master = keyring.master_key_path().read_text().strip()
    keyring.seal(PASSPHRASE, n=FAST)
    keyring.lock()
    yield {"ciphertext": ciphertext, "master": master, "ram": ram}
    keyring.lock()
    shutil.rmtree(ram, ignore_errors=True)


def test_sealed_keyring_holds_no_usable_key_at_rest(sealed: dict, _keyring: Path) -> None:
    assert not keyring.master_key_path().exists()
    for path in _keyring.iterdir():
        assert sealed["master"] not in path.read_text(errors="ignore")
    with pytest.raises(keyring.KeyringLocked):
        keyring.decrypt(sealed["ciphertext"])
    with pytest.raises(keyring.KeyringLocked):
        check_deployment()
    # `keys init` must not quietly make a new master key beside the sealed one.
    assert keyring.ensure_master_key() is False


def test_passphrase_file_unlocks_for_a_supervisor(
    sealed: dict, settings: Any, tmp_path: Path
) -> None:
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE + "\n")
    settings.MASTER_PASSPHRASE_FILE = str(secret)
    assert keyring.decrypt(sealed["ciphertext"]) == "K12 real name"
    settings.DEMO = True  # the secret-key checks are not what this test is about
    check_deployment()


def test_wrong_passphrase_is_refused(sealed: dict, settings: Any, tmp_path: Path) -> None:
    with pytest.raises(keyring.WrongPassphrase):
        keyring.unlock("not the passphrase at all")
    secret = tmp_path / "passphrase"
    secret.write_text("wrong wrong wrong")
    settings.MASTER_PASSPHRASE_FILE = str(secret)
    with pytest.raises(keyring.WrongPassphrase):
        keyring.decrypt(sealed["ciphertext"])


def test_unlock_command_keeps_the_key_in_ram_only(
    sealed: dict, settings: Any, monkeypatch: Any, tmp_path: Path
) -> None:
    monkeypatch.setattr("getpass.getpass", lambda prompt="": PASSPHRASE)
    call_command("keys", "unlock")
    assert keyring.unlocked_path().parent == sealed["ram"]
    assert keyring.decrypt(sealed["ciphertext"]) == "K12 real name"
    keyring.ensure_org_keys(8)  # new organisations work while unlocked
    call_command("keys", "lock")
    assert not keyring.unlocked_path().exists()
    with pytest.raises(keyring.KeyringLocked):
        keyring.decrypt(sealed["ciphertext"])
    # A directory on disk is refused for the unlocked key.
    settings.UNLOCKED_KEY_DIR = tmp_path / "on-disk"
    if not keyring.is_ram_filesystem(tmp_path):
        from django.core.exceptions import ImproperlyConfigured

        with pytest.raises(ImproperlyConfigured):
            keyring.unlock(PASSPHRASE)


def test_short_passphrase_is_refused(_keyring: Path) -> None:
    with pytest.raises(ValueError):
        keyring.seal("short", n=FAST)
    assert keyring.master_key_path().exists()
