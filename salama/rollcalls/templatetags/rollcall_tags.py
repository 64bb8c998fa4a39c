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


# ISO 4217 minor units where they are not two (the currencies of the region first).
MINOR_UNITS = {"IQD": 3, "JOD": 3, "KWD": 3, "BHD": 3, "OMR": 3, "LYD": 3, "TND": 3, "JPY": 0}


@register.filter
def money(value: object, currency: str = "USD") -> str:
    """An amount in its currency's real precision: 0.0312 USD is "0.03", never "0.0"; an
    amount above zero that rounds to nothing shows as "< 0.01"."""
    digits = MINOR_UNITS.get(str(currency).upper(), 2)
    amount = float(value or 0)  # type: ignore[arg-type]
    if 0 < amount < 10**-digits:
        return f"< {10**-digits:.{digits}f}"
    return f"{amount:.{digits}f}"
