import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from salama.demo.load import load_demo
from salama.demo.orgs import DEMO_PASSWORD, DEMO_SECOND_FACTOR, DEMO_USERS, demo_totp_secret
from salama.lib import keyring


class Command(BaseCommand):
    help = "Set up the demo (SQLite under var/, generated secrets, demo data) and serve it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument("--no-serve", action="store_true", help="set up and load only")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO:
            raise CommandError("`salama demo` runs only in demo mode.")
        if keyring.ensure_master_key():
            self.stdout.write(f"Generated a demo master key in {keyring.master_key_path()}")
        self.stdout.write(f"Demo secrets are under {settings.VAR_DIR / 'demo'} (demo only).")
        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        load_demo()
        if options["no_serve"]:
            return
        self.serve(options["port"])

    def serve(self, port: int) -> None:
        url = f"http://localhost:{port}"
        env = {**os.environ, "SALAMA_DEMO": "1"}
        web = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "gunicorn",
                "salama.wsgi",
                "--bind",
                f"localhost:{port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--access-logfile",
                "-",
                "--access-logformat",
                "%(t)s %(m)s %(s)s %(L)ss",
            ],
            env=env,
        )
        worker = subprocess.Popen([sys.executable, "-m", "salama.cli", "worker"], env=env)  # noqa: S603
        self.stdout.write(self.style.SUCCESS(f"\nSalama demo at {url}\n"))
        self.stdout.write(f"Logins (password for all: {DEMO_PASSWORD}):")
        for username, role, language in DEMO_USERS:
            self.stdout.write(f"  {role:<12} {username:<13} ({language})")
        self.stdout.write("  other organisation: other")
        self.stdout.write(
            "\nSecond factor (demo only): org admins, coordinators and liaisons type a code from"
            "\nan authenticator app after the password. Add a secret below to an app, or print"
            "\nthe current code with: SALAMA_DEMO=1 .venv/bin/salama totp-code USERNAME"
        )
        for username in DEMO_SECOND_FACTOR:
            self.stdout.write(f"  {username:<13} TOTP secret {demo_totp_secret(username)}")
        self.stdout.write("Press Ctrl+C to stop.\n")
        try:
            while web.poll() is None and worker.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for proc in (web, worker):
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in (web, worker):
                proc.wait(timeout=20)
