"""The `salama` command: Django's manage.py plus the project's own commands
(demo, serve, worker, rotate-key, keys, ...). Hyphenated names map to the command modules."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salama.settings")
    argv = list(sys.argv)
    argv[0] = "salama"
    if len(argv) > 1:
        argv[1] = argv[1].replace("-", "_") if not argv[1].startswith("-") else argv[1]
    if argv[1:2] == ["demo"]:
        os.environ["SALAMA_DEMO"] = "1"
        from salama.demo.secrets import ensure_demo_secrets

        ensure_demo_secrets()
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
