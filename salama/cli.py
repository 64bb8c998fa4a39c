"""The `salama` command: Django's manage.py plus the project's own commands
(demo, serve, worker, rotate-key, keys, ...). Hyphenated names map to the command modules."""

import os
import secrets
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salama.settings")
    argv = list(sys.argv)
    argv[0] = "salama"
    if len(argv) > 1:
        argv[1] = argv[1].replace("-", "_") if not argv[1].startswith("-") else argv[1]
    if argv[1:2] == ["demo"]:
        os.environ["SALAMA_DEMO"] = "1"
        ensure_demo_secrets()
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


def ensure_demo_secrets() -> bool:
    """Generate the demo's Django secret under var/demo/ once, before the settings read it.
    Returns whether it was created."""
    from salama.settings import DEMO_SECRET_FILE

    if DEMO_SECRET_FILE.exists():
        return False
    DEMO_SECRET_FILE.parent.mkdir(parents=True, exist_ok=True)
    DEMO_SECRET_FILE.write_text("demo-" + secrets.token_urlsafe(48))
    DEMO_SECRET_FILE.chmod(0o600)
    return True


if __name__ == "__main__":
    main()
