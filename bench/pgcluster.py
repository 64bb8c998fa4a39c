"""A private PostgreSQL cluster for benchmarks and fault tests, never the shared one on 5432.

initdb and postgres refuse to run as root, so both run as the `postgres` OS user (runuser) when
this script is root; the cluster directory is chowned to it. The socket lives in the cluster
directory and the server listens on 127.0.0.1:PORT only.

    python -m bench.pgcluster start DIR [PORT]     create if missing, start, print the URL
    python -m bench.pgcluster stop DIR
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

PG_BIN = Path(os.environ.get("SALAMA_PG_BIN", "/usr/lib/postgresql/15/bin"))

# Settings for a benchmark host with 2 cores: still fsync'd and synchronous (honest commits).
CONF = """
listen_addresses = '127.0.0.1'
max_connections = 200
shared_buffers = 512MB
work_mem = 16MB
maintenance_work_mem = 512MB
max_wal_size = 4GB
checkpoint_timeout = 15min
log_min_messages = warning
"""


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def spare_port(start: int) -> int:
    for port in range(start, start + 200):
        if port_is_free(port):
            return port
    raise RuntimeError(f"no free port from {start}")


class Cluster:
    def __init__(self, directory: Path | str, port: int | None = None) -> None:
        self.dir = Path(directory).resolve()
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.port_file = self.dir / "port"
        self._port = port

    # --- running commands as postgres ---

    def _as_postgres(self, argv: list[str], check: bool = True) -> subprocess.CompletedProcess:
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(argv, check=check, capture_output=True, text=True)  # noqa: S603

    @property
    def port(self) -> int:
        if self._port is None:
            if self.port_file.exists():
                self._port = int(self.port_file.read_text())
            else:
                self._port = spare_port(55432)
        return self._port

    def url(self, db: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def exists(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def is_running(self) -> bool:
        if not self.exists():
            return False
        res = self._as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "status"], False)
        return res.returncode == 0

    def init(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(self.dir, pg.pw_uid, pg.pw_gid)
        self._as_postgres(
            [
                str(PG_BIN / "initdb"),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale",
                "C.UTF-8",
                "-D",
                str(self.data),
            ]
        )
        conf = self.data / "postgresql.conf"
        conf.write_text(conf.read_text() + CONF)

    def start(self) -> str:
        if not self.exists():
            self.init()
        if not self.is_running():
            port = self.port
            if not port_is_free(port):
                self._port = port = spare_port(port + 1)
            self._write_port(port)
            self._as_postgres(
                [
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-o",
                    f"-p {port} -k {self.dir}",
                    "-l",
                    str(self.log),
                    "-w",
                    "-t",
                    "120",
                    "start",
                ]
            )
        self.wait_ready()
        return self.url("postgres")

    def _write_port(self, port: int) -> None:
        self.port_file.write_text(str(port))
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(self.port_file, pg.pw_uid, pg.pw_gid)

    def stop(self, mode: str = "fast") -> None:
        if self.is_running():
            self._as_postgres(
                [
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-m",
                    mode,
                    "-w",
                    "-t",
                    "120",
                    "stop",
                ]
            )

    def restart_immediate(self) -> None:
        """Crash-stop (no checkpoint, like a power cut for the server) and start again."""
        self.stop("immediate")
        self.start()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            res = subprocess.run(  # noqa: S603
                [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
                check=False,
            )
            if res.returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError(f"PostgreSQL at {self.dir} did not become ready")

    def psql(self, sql: str, db: str = "postgres") -> str:
        res = subprocess.run(  # noqa: S603
            [
                str(PG_BIN / "psql"),
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                db,
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        return res.stdout.strip()

    def has_db(self, name: str) -> bool:
        found = self.psql("SELECT string_agg(datname, ' ') FROM pg_database").split()
        return name in found

    def recreate_db(self, name: str) -> str:
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("start", "stop"):
        print(__doc__)
        return 2
    cluster = Cluster(argv[1], int(argv[2]) if len(argv) > 2 else None)
    if argv[0] == "start":
        print(cluster.start())
    else:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
