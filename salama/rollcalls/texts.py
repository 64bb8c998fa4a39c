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
# Routine alerts of the gateway watchdog and the budget (salama.messaging.watchdog, .budget):
# registered here with the other M2 texts.
define(
    TextSpec(
        "gateway_warning",
        _("Alert {alert}: a gateway needs a look. See the duty page."),
        ("alert",),
        _("A gateway went silent, keeps failing or was used from an unknown address."),
        {"alert": "9999"},
    )
)
define(
    TextSpec(
        "budget_warning",
        _("Alert {alert}: 80 percent of this month's text budget is spent."),
        ("alert",),
        _("The monthly budget is 80 percent spent (once a month)."),
        {"alert": "9999"},
    )
)
define(
    TextSpec(
        "budget_cap",
        _("Alert {alert}: this month's text budget is spent. Only urgent texts go."),
        ("alert",),
        _("The monthly budget is spent: bulk and normal texts are held (once a month)."),
        {"alert": "9999"},
    )
)
define(
    TextSpec(
        "duress_changed",
        _("Alert {alert}: a safety setting was changed. See the duty page."),
        ("alert",),
        _("To the other coordinators when a coordinator changes a person's duress word."),
        {"alert": "9999"},
    )
)
