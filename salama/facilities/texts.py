"""The facilities' outbound texts (editable templates, salama.messaging.texts). None names the
facility, a place or a person: the lead knows what they sent, the coordinator reads the page."""

from django.utils.translation import gettext_lazy as _

from salama.messaging.texts import TextSpec, define

_TIME = "23:59"


def register() -> None:
    define(
        TextSpec(
            "facility_ok",
            _("Noted {time}: {summary}"),
            ("time", "summary"),
            _("The reply to a facility update: what was understood, in neutral words."),
            {"time": _TIME, "summary": "partial, fuel 2d, beds 40/60"},
        )
    )
    define(
        TextSpec(
            "facility_late",
            _("Kept as history {time}: a newer status exists."),
            ("time",),
            _("The reply to a facility update older than the current status."),
            {"time": _TIME},
        )
    )
    define(
        TextSpec(
            "facility_refused",
            _("Nothing changed: {reason}"),
            ("reason",),
            _("The reply to a facility update that could not be applied (unknown code, ...)."),
            {"reason": "daily use cannot be zero"},
        )
    )
    define(
        TextSpec(
            "facility_alert",
            _("Status alert {alert}: see the facilities page."),
            ("alert",),
            _("To the coordinators: a facility's functionality dropped or a stock ran low."),
            {"alert": "9999999"},
        )
    )
