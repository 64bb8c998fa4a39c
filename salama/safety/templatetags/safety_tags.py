"""Board vocabulary: a state with its age and basis ("SAFE · 7 h · proxy")."""

from datetime import datetime

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from salama.lib import clock
from salama.people.models import Person

register = template.Library()


@register.filter
def age(value: datetime | None) -> str:
    if value is None:
        return _("never")
    minutes = max(0, int((clock.now() - value).total_seconds() // 60))
    if minutes < 60:
        return ngettext("%(n)d min", "%(n)d min", minutes) % {"n": minutes}
    hours = minutes // 60
    if hours < 48:
        return ngettext("%(n)d h", "%(n)d h", hours) % {"n": hours}
    days = hours // 24
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


def basis_short(basis: str) -> str:
    return {
        "self": _("self"),
        "proxy_seen": _("proxy"),
        "proxy_heard": _("proxy, heard"),
        "relayed": _("relayed"),
        "provisional": _("provisional"),
    }.get(basis, basis)


register.filter("basis_short", basis_short)


@register.filter
def state_class(person: Person) -> str:
    if person.decision:
        return "DECISION"
    return person.state or "NEVER"


@register.filter
def state_line(person: Person) -> str:
    """What everyone sees: the decision in force, else the reported state, with age and basis."""
    if person.decision:
        return (
            f"{person.get_decision_display()} ({person.get_decision_certainty_display()}) · "
            + age(person.decision_at)
        )
    if not person.state:
        return _("no check-in yet")
    return " · ".join(
        [person.get_state_display(), age(person.state_at), basis_short(person.state_basis)]
    )


@register.filter
def source_label(value: str) -> str:
    """How relayed news came (`voice_note`), in the reader's language; what a coordinator wrote
    in their own words stays as written."""
    from salama.safety.models import RelaySource

    return str(RelaySource(value).label) if value in RelaySource.values else value
