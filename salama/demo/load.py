"""The demo scenario: fictional organisations, people and history. Each step is idempotent, so
loading twice duplicates nothing. Later features append their step to STEPS."""

from django.utils.module_loading import import_string

STEPS = [
    "salama.demo.orgs.load",
    "salama.demo.roster.load",
    "salama.demo.history.load",
    "salama.demo.alerts.load",
    "salama.demo.rollcalls.load",
    "salama.demo.facilities.load",  # FA1
    "salama.demo.evidence.load",  # L1
    "salama.demo.incidents.load",  # I1
    "salama.demo.reports.load",  # R1
    "salama.demo.evacuation.load",  # E1
    "salama.demo.negotiations.load",  # E2
]


def load_demo() -> None:
    for path in STEPS:
        import_string(path)()
