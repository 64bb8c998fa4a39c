from typing import Any

from django.core.management.base import BaseCommand

from salama.worker.loop import run_forever


class Command(BaseCommand):
    help = "Run the worker loop (outbox, sweep, escalation, retention)."

    def handle(self, *args: Any, **options: Any) -> None:
        run_forever()
