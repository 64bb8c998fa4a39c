"""The incidents' outbound texts (editable templates, salama.messaging.texts). None repeats what
was reported, names a place, a facility or a person: the number is enough to find it."""

from django.utils.translation import gettext_lazy as _

from salama.messaging.texts import TextSpec, define

_TIME = "23:59"


def register() -> None:
    define(
        TextSpec(
            "attack_ok",
            _("Report {number} received {time}. Thank you."),
            ("number", "time"),
            _("The reply to an attack report: its number, never its content."),
            {"number": "99999", "time": _TIME},
        )
    )
    define(
        TextSpec(
            "attack_refused",
            _("Report not stored: {reason}"),
            ("reason",),
            _("The reply to an attack report that could not be stored (no area, ...)."),
            {"reason": "name the area after the first word"},
        )
    )
