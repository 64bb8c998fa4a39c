"""S2 "done when": a pg_dump taken before `salama purge --org A` and restored afterwards into a
fresh database yields nothing of A that decrypts, none of A's marker strings in clear, and all
of B. L1: the same for the evidence ledger's disclosures — A's record keys in the dump do not
decrypt, so nothing of A's shredded fields opens, B's still do; and A's ledger still verifies
after the purge, every entry "payload destroyed"."""

import os
import re
import secrets
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from salama.evidence import services as evidence
from salama.evidence.appending import unseal
from salama.evidence.verifying import entries_key, verify_ledger
from salama.lib import clock, keyring
from tests.conftest import build_world
from tests.privacy.data import (
    FREE_TEXT_A,
    FREE_TEXT_B,
    MARKERS_A,
    MARKERS_B,
    NUMBER_A,
    NUMBER_B,
    fill_both,
)

EVIDENCE_A, EVIDENCE_B = "ZQA-ledger-7731", "ZQB-ledger-4410"
CIPHERTEXT = re.compile(r"v1:(\d+):([a-z]\d+):([A-Za-z0-9_-]+)")


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/lib/postgresql/15/bin")
    assert found, f"{name} is needed (PostgreSQL client tools)"
    return found


def conn_args() -> tuple[list[str], dict[str, str]]:
    db = settings.DATABASES["default"]
    args = ["-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432)]
    args += ["-U", db.get("USER") or "postgres"]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def every_text_value(dbname: str) -> list[str]:
    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        user=db.get("USER") or "postgres",
        password=db.get("PASSWORD") or None,
        dbname=dbname,
    ) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' "
            "AND data_type IN ('text', 'character varying', 'jsonb', 'json')"
        ).fetchall()
        values = []
        for table, column in columns:
            query = f'SELECT "{column}"::text FROM "{table}" WHERE "{column}" IS NOT NULL'
            values += [row[0] for row in conn.execute(query)]  # type: ignore[arg-type]
    return values


def ledger_payloads(dbname: str) -> list[tuple[int, int, str, str]]:
    """(org id, entry index, sealed record key, sealed disclosures) of every ledger payload."""
    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        user=db.get("USER") or "postgres",
        password=db.get("PASSWORD") or None,
        dbname=dbname,
    ) as conn:
        rows = conn.execute(
            "SELECT e.org_id, e.index, k.key, p.box FROM evidence_payload p"
            " JOIN evidence_entry e ON e.id = p.entry_id"
            " JOIN evidence_recordkey k ON k.org_id = e.org_id AND k.kind = e.kind"
            " AND k.record_id = e.record_id"
        ).fetchall()
    return [(int(o), int(i), str(k), str(b)) for o, i, k, b in rows]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_backup_from_before_the_purge_yields_nothing_of_a_and_all_of_b(
    tmp_path: Path,
) -> None:
    world = build_world()
    fill_both(world)
    a, b = world.org.pk, world.other_org.pk
    for org, marker in ((world.org, EVIDENCE_A), (world.other_org, EVIDENCE_B)):
        for version in (1, 2):
            evidence.append(
                org=org, kind="incident", record_id=5, version=version, fields={"what": marker}
            )
    evidence.sign_checkpoint(org_id=a, slot_at=clock.now())
    args, env = conn_args()
    dump = tmp_path / "before.dump"
    source = connection.settings_dict["NAME"]
    subprocess.run([tool("pg_dump"), *args, "-Fc", "-f", str(dump), source], env=env, check=True)

    call_command("purge", "--org", world.org.slug, "--yes", stdout=open(os.devnull, "w"))  # noqa: SIM115
    after = verify_ledger(a)
    assert after.ok and after.entries == 2 and after.destroyed == [0, 1], after.problems

    restored = f"salama_purge_restore_{secrets.token_hex(4)}"
    subprocess.run([tool("createdb"), *args, restored], env=env, check=True)
    try:
        subprocess.run(
            [tool("pg_restore"), *args, "--no-owner", "-d", restored, str(dump)],
            env=env,
            check=True,
        )
        values = every_text_value(restored)
        sealed = ledger_payloads(restored)
    finally:
        subprocess.run([tool("dropdb"), *args, "--if-exists", restored], env=env, check=True)

    text = "\n".join(values)
    for marker in [*MARKERS_A, *FREE_TEXT_A, NUMBER_A]:
        assert marker not in text, f"{marker} of A in clear in the backup"
    for marker in FREE_TEXT_B:  # B's event label and question: not in clear either
        assert marker not in text, f"{marker} of B in clear in the backup"
    opened_b: list[str] = []
    found_a = 0
    for match in CIPHERTEXT.finditer(text):
        org_id = int(match.group(1))
        if org_id == a:
            found_a += 1
            with pytest.raises(keyring.KeyUnavailable):
                keyring.decrypt(match.group(0))
        elif org_id == b:
            opened_b.append(keyring.decrypt(match.group(0)))
    assert found_a >= 5, "the backup should hold A's ciphertexts (name, number, note, ...)"
    assert {org_id for org_id, _i, _k, _b in sealed} == {a, b}
    for org_id, index, record_key, box in sealed:
        if org_id == a:
            with pytest.raises(keyring.KeyUnavailable):
                keyring.decrypt(record_key)
        else:
            payload = unseal(entries_key(keyring.decrypt(record_key)), org_id, index, box)
            opened_b.extend(payload["fields"])
    assert EVIDENCE_A not in text
    plain_b = "\n".join(opened_b)
    for marker in [*MARKERS_B, *FREE_TEXT_B, NUMBER_B, EVIDENCE_B]:
        assert marker in plain_b, f"{marker} of B did not come back from the backup"
