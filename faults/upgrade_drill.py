"""The upgrade drill (docs/operations.md, "Upgrading"): a release's database, with its data,
migrated to this code, and checked.

The fixture, `deploy/upgrade/` (committed; fictional demo data only):
    release.sql.gz     pg_dump (plain SQL) of a database at the release's migrations with the
                       demo scenario loaded
    keyring/           that database's keyring (the demo's own keys: drill only, never a real one)
    manifest.json      the release (commit), its migration state, the row count of every table
                       and, for every encrypted column, how many values it holds and a SHA-256
                       of them decrypted

    python -m faults.upgrade_drill --make   (make upgrade-fixture: at a release, from its tree)
    python -m faults.upgrade_drill          (make upgrade-drill; CI runs it)

The drill restores the dump into a fresh private cluster, runs this code's `migrate`, and checks
that every count in the manifest still holds (tables a newer migration added are not in it) and
that every encrypted value decrypts to the same plaintext (the digests match). Exit status 1 if
any check fails.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import subprocess
import sys
import time
from typing import Any

from bench import common
from bench.pgcluster import PG_BIN, Cluster

FIXTURE = common.ROOT / "deploy" / "upgrade"
VAR = common.ROOT / "var" / "upgrade"


def say(msg: str) -> None:
    print(f"[upgrade {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def inventory() -> dict[str, Any]:
    """Inside Django: counts per table, migration state, and per encrypted column a digest of
    the decrypted values (a value that does not decrypt is reported, never hashed)."""
    from django.apps import apps
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    from salama.lib.fields import EncryptedTextField, Sealed

    counts: dict[str, int] = {}
    sealed: dict[str, dict[str, Any]] = {}
    undecryptable: list[str] = []
    for model in apps.get_models():
        if not model.__module__.startswith("salama."):
            continue
        table = model._meta.db_table
        counts[table] = model._base_manager.count()
        for field in model._meta.concrete_fields:
            if not isinstance(field, EncryptedTextField):
                continue
            digest, held = hashlib.sha256(), 0
            rows = model._base_manager.order_by("pk").values_list("pk", field.attname)
            for pk, value in rows.iterator():
                if not value:
                    continue
                if isinstance(value, Sealed):
                    undecryptable.append(f"{table}.{field.attname}#{pk}")
                    continue
                held += 1
                digest.update(f"{pk}\x00{value}\x00".encode())
            sealed[f"{table}.{field.attname}"] = {"values": held, "sha256": digest.hexdigest()}
    state: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        if app in {c.label for c in apps.get_app_configs() if c.name.startswith("salama.")}:
            state[app] = max(state.get(app, ""), name)
    return {"counts": counts, "sealed": sealed, "undecryptable": undecryptable,
            "migrations": state}  # fmt: skip


def _cluster_env(cluster: Cluster, keys: Any) -> tuple[str, dict[str, str]]:
    cluster.start()
    url = cluster.recreate_db("salama")
    return url, common.salama_env(url, VAR / "app", SALAMA_KEYRING_DIR=str(keys))


def make() -> int:
    """At a release: migrate a fresh database, load the demo, dump it with its keyring."""
    shutil.rmtree(VAR, ignore_errors=True)
    keys = VAR / "keys"
    cluster = Cluster(VAR / "cluster")
    try:
        url, env = _cluster_env(cluster, keys)
        common.run([common.SALAMA, "keys", "init"], env)
        common.migrate(env)
        common.run([common.PYTHON, "-c", "import django; django.setup(); "
                    "from salama.demo.load import load_demo; load_demo()"], env)  # fmt: skip
        found = common.py_json("faults.upgrade_drill", env, "--inventory")
        if found["undecryptable"]:
            say(f"the release's own data does not decrypt: {found['undecryptable'][:5]}")
            return 1
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=common.ROOT, capture_output=True, text=True,  # noqa: S607
            check=True,
        ).stdout.strip()  # fmt: skip
        dump = subprocess.run(
            [str(PG_BIN / "pg_dump"), "--format=plain", "--no-owner", "--no-privileges", url],
            capture_output=True, check=True, env=env,
        ).stdout  # fmt: skip
        shutil.rmtree(FIXTURE, ignore_errors=True)
        FIXTURE.mkdir(parents=True)
        (FIXTURE / "release.sql.gz").write_bytes(gzip.compress(dump, mtime=0))
        shutil.copytree(keys, FIXTURE / "keyring")
        manifest = {"release": commit, **{k: v for k, v in found.items() if k != "undecryptable"}}
        (FIXTURE / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
        say(f"fixture written: {len(dump):,} bytes of SQL, {sum(found['counts'].values())} rows")
        return 0
    finally:
        cluster.stop("fast")


def drill() -> int:
    manifest = json.loads((FIXTURE / "manifest.json").read_text())
    shutil.rmtree(VAR, ignore_errors=True)
    keys = VAR / "keys"
    shutil.copytree(FIXTURE / "keyring", keys)
    cluster = Cluster(VAR / "cluster")
    try:
        url, env = _cluster_env(cluster, keys)
        sql = gzip.decompress((FIXTURE / "release.sql.gz").read_bytes())
        subprocess.run(
            [str(PG_BIN / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-d", url],
            input=sql, check=True, env=env, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        say(f"restored the release {manifest['release'][:12]}; migrating to this code")
        common.migrate(env)
        found = common.py_json("faults.upgrade_drill", env, "--inventory")
    finally:
        cluster.stop("fast")
    problems = [f"does not decrypt: {where}" for where in found["undecryptable"]]
    for table, count in manifest["counts"].items():
        if found["counts"].get(table) != count:
            problems.append(f"{table}: {count} rows before, {found['counts'].get(table)} after")
    for column, before in manifest["sealed"].items():
        if found["sealed"].get(column) != before:
            problems.append(f"{column}: encrypted values changed ({before} → "
                            f"{found['sealed'].get(column)})")  # fmt: skip
    for problem in problems:
        say(f"FAIL {problem}")
    say(f"{len(manifest['counts'])} tables, {len(manifest['sealed'])} encrypted columns "
        f"checked: {'FAILED' if problems else 'ok'}")  # fmt: skip
    return 1 if problems else 0


def main() -> int:
    if sys.argv[1:] == ["--inventory"]:
        import django

        django.setup()
        print(json.dumps(inventory()))
        return 0
    return make() if sys.argv[1:] == ["--make"] else drill()


if __name__ == "__main__":
    raise SystemExit(main())
