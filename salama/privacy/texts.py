"""The privacy app's outbound text: the reveal-watch alert to coordinators. It names no person,
no count of names and no place: only the alert's number."""

from django.utils.translation import gettext_lazy as _

from salama.messaging.texts import TextSpec, define


def register() -> None:
    define(
        TextSpec(
            "reveal_watch",
            _("Alert {alert}: unusual account activity. See the duty page."),
            ("alert",),
            _("To the other coordinators when one user reveals many names or numbers."),
            {"alert": "9999999"},
        )
    )
