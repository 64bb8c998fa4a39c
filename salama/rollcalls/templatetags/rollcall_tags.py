"""For the alerts pages (coordinators only): whether a duress alert is a drill, and its response
plan (salama.rollcalls.duress.plan_for)."""

from django import template
from django.utils.translation import gettext as _

from salama.rollcalls import duress

register = template.Library()


@register.filter
def duress_info(alert: object) -> dict[str, object] | None:
    """The plan, whether it is a drill, and the words to show, for a duress alert; else None."""
    if getattr(alert, "kind", "") != "duress":
        return None
    found = duress.plan_for(alert)  # type: ignore[arg-type]
    if found is None:
        return None
    # The words are here (the roll-call catalogue), not in the alerts templates.
    return {
        "plan": found[0],
        "is_drill": found[1],
        "test": _("TEST"),
        "drill_note": _("A drill: nobody is in danger."),
        "plan_title": _("Response plan agreed at enrolment"),
    }
