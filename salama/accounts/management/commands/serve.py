import os
import sys
from typing import Any

from django.core.management.base import BaseCommand

from salama.lib.startup import check_deployment


class Command(BaseCommand):
    help = "Run the web server (gunicorn). Refuses a missing or demo secret outside demo mode."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default=os.environ.get("SALAMA_BIND", "localhost:8000"))
        parser.add_argument("--workers", default=os.environ.get("SALAMA_WEB_WORKERS", "4"))

    def handle(self, *args: Any, **options: Any) -> None:
        check_deployment()
        os.execv(  # noqa: S606
            sys.executable,
            [
                sys.executable,
                "-m",
                "gunicorn",
                "salama.wsgi",
                "--bind",
                options["bind"],
                "--workers",
                str(options["workers"]),
            ],
        )
