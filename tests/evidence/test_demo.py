"""L1 "done when" on the demo: `salama evidence verify` passes; an UPDATE of one entry's stored
text is caught; a bundle exported from the demo verifies with the standalone verifier in a
fresh virtual environment holding only cryptography; loading twice adds nothing."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from salama.accounts.models import Organisation
from salama.demo.load import load_demo
from salama.evidence.models import Checkpoint, Cosignature, Entry
from tests.evidence.bundles import run_verifier
from tests.evidence.test_concurrency_standalone import only_cryptography_env


@pytest.mark.postgres
@pytest.mark.django_db
def test_demo_ledger_verifies_exports_and_catches_an_update(tmp_path: Path) -> None:
    load_demo()
    count = Entry.objects.count()
    load_demo()
    assert Entry.objects.count() == count
    # The sample records' five entries, then every version of the demo's incidents (I1).
    assert Entry.objects.filter(kind="sample_report").count() == 5
    assert Entry.objects.filter(kind="incident").count() > 5
    assert Checkpoint.objects.count() == 3 and Cosignature.objects.count() == 1
    out = io.StringIO()
    call_command("evidence", "verify", stdout=out)
    assert f"{count} entries, 3 checkpoints, 1 cosignatures" in out.getvalue()
    bundle = tmp_path / "bundle"
    call_command(
        "evidence", "export", str(bundle), "--org", "demo", "--disclose", "all",
        "--attachments", stdout=io.StringIO(),
    )  # fmt: skip
    python = only_cryptography_env(tmp_path)
    result = run_verifier(bundle, python=str(python))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 cosignatures" in result.stdout and len(list((bundle / "attachments").iterdir())) == 1
    org = Organisation.objects.get(slug="demo")
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            "UPDATE evidence_entry SET body = replace(body, '\"version\":2', '\"version\":7')"
            " WHERE org_id = %s AND index = 3",
            [org.pk],
        )
        cursor.execute("SET session_replication_role = DEFAULT")
    caught = io.StringIO()
    with pytest.raises(CommandError):
        call_command("evidence", "verify", "--org", "demo", stdout=caught)
    assert "first bad entry #3" in caught.getvalue()
