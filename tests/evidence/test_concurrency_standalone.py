"""Appends from several connections at once form one sequence; the standalone verifier runs in a
fresh virtual environment that holds only `cryptography` (and its cffi)."""

import subprocess
import threading
import venv
from pathlib import Path
from typing import Any

import cryptography
import pytest
from django.db import connection

from salama.evidence import services
from salama.evidence.models import Entry, Head
from salama.evidence.verifying import verify_ledger
from tests.evidence.bundles import export, run_verifier
from tests.evidence.helpers import T0, fill, incident_fields


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_form_one_sequence_without_gaps_or_forks() -> None:
    from tests.conftest import build_world

    org = build_world().org
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer(worker: int) -> None:
        try:
            start.wait()
            for n in range(12):
                services.append(
                    org=org,
                    kind="incident",
                    record_id=worker * 100 + n % 4,
                    version=n // 4 + 1,
                    fields=incident_fields(n),
                )
                if worker == 0 and n % 4 == 3:
                    services.sign_checkpoint(org_id=org.pk, slot_at=T0.replace(minute=n))
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    indexes = list(Entry.objects.for_org(org).order_by("index").values_list("index", flat=True))
    assert indexes == list(range(48))
    assert Head.objects.get(org_id=org.pk).size == 48
    report = verify_ledger(org.pk)
    assert report.ok and report.checkpoints == 3, report.problems


def only_cryptography_env(root: Path) -> Path:
    """A virtual environment without pip, Django or Salama: a .pth file points at a directory
    holding only cryptography, cffi and pycparser, linked from this environment."""
    venv.EnvBuilder(with_pip=False, system_site_packages=False).create(root / "env")
    packages = root / "only-crypto"
    packages.mkdir()
    site = Path(cryptography.__file__).resolve().parents[1]
    for name in ("cryptography", "cffi", "pycparser"):
        (packages / name).symlink_to(site / name)
    for backend in site.glob("_cffi_backend*.so"):
        (packages / backend.name).symlink_to(backend)
    python = root / "env" / "bin" / "python"
    purelib = subprocess.run(  # noqa: S603 - the environment we just made
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(purelib) / "only-crypto.pth").write_text(str(packages) + "\n")
    return python


def test_standalone_verifier_runs_with_only_cryptography(world: Any, tmp_path: Path) -> None:
    org = world.org
    fill(org, records=3, versions=2)
    services.sign_checkpoint(org_id=org.pk, slot_at=T0)
    bundle = export(org.pk, tmp_path / "bundle", disclose=[("incident", 2)])
    python = only_cryptography_env(tmp_path)
    probe = subprocess.run(  # noqa: S603
        [str(python), "-c", "import cryptography, django"], capture_output=True, check=False
    )
    assert probe.returncode != 0 and b"No module named 'django'" in probe.stderr
    good = run_verifier(bundle, python=str(python))
    assert good.returncode == 0, good.stdout + good.stderr
    entries = bundle / "entries.jsonl"
    lines = entries.read_text().splitlines()
    lines[3] = lines[3].replace('"version\\":2', '"version\\":5')
    entries.write_text("\n".join(lines) + "\n")
    bad = run_verifier(bundle, python=str(python))
    assert bad.returncode == 1 and "first bad entry #3" in bad.stdout, bad.stdout
