"""Running the standalone verifier on an exported bundle."""

import subprocess
import sys
from pathlib import Path

from salama.evidence.bundle import export_bundle

VERIFIER = Path(__file__).resolve().parents[2] / "tools" / "verify_bundle.py"


def export(org_id: int, directory: Path, **options: object) -> Path:
    export_bundle(org_id=org_id, directory=directory, **options)  # type: ignore[arg-type]
    return directory


def run_verifier(directory: Path, python: str = sys.executable) -> subprocess.CompletedProcess:
    """The copy the bundle carries, run as a partner would."""
    return subprocess.run(  # noqa: S603 - our own file, a fixed argument list
        [python, str(directory / "verify_bundle.py"), str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
