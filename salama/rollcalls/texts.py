"""The roll call's outbound texts, as editable templates (salama.messaging.texts)."""

from django.utils.translation import gettext_lazy as _

from salama.messaging.texts import TextSpec, define

define(
    TextSpec(
        "rollcall_question",
        _("Are you well?"),
        (),
        _("The question a new safety roll call starts with (the composer can change it)."),
    )
)
define(
    TextSpec(
        "rollcall",
        _("{question} Reply {options}"),
        ("question", "options"),
        _("A roll call to one person's phone."),
        {"question": "Are you well?", "options": "1 SAFE, 2 HELP, 3 INJURED"},
    )
)
define(
    TextSpec(
        "rollcall_shared",
        _("{question} Reply the number and your codes, e.g. 1 K12 K14: {options}"),
        ("question", "options"),
        _("A roll call to a shared phone: it goes once and asks for codenames."),
        {"question": "Are you well?", "options": "1 SAFE, 2 HELP, 3 INJURED"},
    )
)
define(
    TextSpec(
        "rollcall_digest",
        _("Roll call {number}: {answered} of {total} answered"),
        ("number", "answered", "total"),
        _("At the deadline, to the leads and the coordinator on duty. Counts only."),
        {"number": "9999", "answered": "9999", "total": "9999"},
    )
)
