"""The restore drill (docs/scaling.md, "Backups"): back up the database and, separately, the
keyring; restore both on a fresh PostgreSQL cluster; check that the data decrypts with the
restored keyring and that the database backup alone is ciphertext.

1. a private cluster (var/drill/source) with Salama migrated and a drill organisation: persons
   with encrypted real names and phone numbers, check-ins with encrypted notes;
2. `pg_dump --format=custom` of its database; the keyring copied to its own backup directory
   (in production: another place and another custodian);
3. a fresh cluster (var/drill/target): `pg_restore` into an empty database;
4. with the restored keyring, every value decrypts and numbers are found by their keyed hash;
5. with no keyring (a stolen database backup), nothing decrypts.

    python -m faults.restore_drill          (make restore-drill; CI runs it)
Exit status 1 if any check fails.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from typing import Any

from bench import common
from bench.pgcluster import PG_BIN, Cluster

VAR = common.ROOT / "var" / "drill"


def say(msg: str) -> None:
    print(f"[drill {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def main() -> int:
    shutil.rmtree(VAR, ignore_errors=True)
    VAR.mkdir(parents=True)
    source, target = Cluster(VAR / "source"), Cluster(VAR / "target")
    try:
        source.start()
        url = source.recreate_db("salama")
        env = common.salama_env(url, VAR / "app")
        say("source: migrate and fill")
        common.migrate(env)
        filled = common.py_json("faults.db", env, "drill-fill")
        say(f"filled {filled}")

        dump = VAR / "backup" / "salama.dump"
        dump.parent.mkdir(parents=True)
        common.run(
            [str(PG_BIN / "pg_dump"), "--format=custom", "--no-owner", "-f", str(dump), url], env
        )
        keys_backup = VAR / "keyring-backup"
        shutil.copytree(VAR / "app" / "keys", keys_backup)
        say(f"backed up: database {dump.stat().st_size:,} bytes; keyring separately")
        source.stop("immediate")

        target.start()
        restored = target.recreate_db("salama")
        common.run(
            [
                str(PG_BIN / "pg_restore"),
                "--no-owner",
                "--exit-on-error",
                "-d",
                restored,
                str(dump),
            ],
            env,
        )
        say("restored into a fresh cluster")

        with_keys = common.salama_env(
            restored, VAR / "restored", SALAMA_KEYRING_DIR=str(keys_backup)
        )
        check = common.py_json("faults.db", with_keys, "drill-verify")
        without = common.salama_env(
            restored, VAR / "no-keys", SALAMA_KEYRING_DIR=str(VAR / "empty-keyring")
        )
        (VAR / "empty-keyring").mkdir()
        stolen = common.py_json("faults.db", without, "drill-verify")
    finally:
        source.stop("immediate")
        target.stop("immediate")
    n = check["expected"]
    failures: list[str] = []
    if check["persons"] != n or check["checkins"] != n:
        failures.append(f"restored rows {check['persons']}/{check['checkins']}, expected {n}")
    if check["decrypted"] != 2 * n or check["sealed"]:
        failures.append(f"with the keyring: {check['decrypted']} of {2 * n} values decrypted")
    if check["numbers_found"] != n:
        failures.append(f"with the keyring: {check['numbers_found']} of {n} numbers found")
    if stolen["decrypted"] or stolen["sealed"] != 2 * n:
        failures.append(f"without the keyring {stolen['decrypted']} values decrypted")
    summary: dict[str, Any] = {"restored": check, "without_keyring": stolen}
    print("restore drill: " + json.dumps(summary))
    for failure in failures:
        print(f"restore drill: FAILED: {failure}")
    if not failures:
        print(
            "restore drill: database and keyring restored; every value decrypts with the "
            "keyring, none without it"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
