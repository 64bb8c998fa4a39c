"""Evacuation's outbound texts (editable templates, salama.messaging.texts). They stay neutral:
no place, no time of movement, no word for evacuation, convoy or crossing — the assembly point
and window are shown only on the field page after login, or given in person by the lead. A
change or cancellation is the same neutral words, so the wire never tells which it was."""

from __future__ import annotations

from django.db.models import F
from django.utils.translation import gettext_lazy as _

from salama.messaging.models import Priority
from salama.messaging.outbox import queue_message
from salama.messaging.texts import TextSpec, define
from salama.people.models import ContactPoint, ContactState, Person

CONTACT = _("Please contact your lead today.")


def register() -> None:
    for key, help_text in (
        ("journey_assigned", _("To an evacuee put on a movement. Never a place or a time.")),
        ("journey_changed", _("To everyone on a movement whose plan changed. Neutral words.")),
        ("journey_cancelled", _("To everyone on a movement that was cancelled, or taken off it.")),
    ):
        define(TextSpec(key, CONTACT, (), help_text))
    define(
        TextSpec(
            "journey_noted",
            _("Noted {time}."),
            ("time",),
            _("The reply to an arrival text (ARRIVED)."),
            {"time": "23:59"},
        )
    )
    define(
        TextSpec(
            "journey_request_noted",
            _("Noted {time}: {count}. Your lead will contact you."),
            ("time", "count"),
            _("The reply to a request text (EVAC n): the number of dependants only."),
            {"time": "23:59", "count": "30"},
        )
    )
    define(
        TextSpec(
            "journey_refused",
            _("Nothing changed: {reason}"),
            ("reason",),
            _("The reply to a request text that could not be applied."),
            {"reason": "write the number of dependants, e.g. 3"},
        )
    )


def point_for(person: Person) -> ContactPoint | None:
    """The person's own number first, else a shared one; never a compromised one."""
    points = person.contact_points.filter(kind="sms").exclude(state=ContactState.COMPROMISED)
    return points.order_by("is_shared", "pk").first()


def tell(person: Person, template: str, *, cause: dict[str, object]) -> bool:
    """Queue one neutral text to `person` in their language. False: no number to reach."""
    point = point_for(person)
    if point is None:
        return False
    message = queue_message(
        org=person.org,
        contact_point=point,
        template=template,
        context={},
        priority=Priority.NORMAL,
        reason="evacuation",
        language=person.language,
        cause_ids=cause,
    )
    return message is not None


def tell_many(persons: list[Person], template: str, *, cause: dict[str, object]) -> int:
    """`tell` for many persons, their numbers read in one statement."""
    if not persons:
        return 0
    points: dict[int, ContactPoint] = {}
    rows = (
        ContactPoint.objects.filter(kind="sms", persons__in=persons)
        .exclude(state=ContactState.COMPROMISED)
        .order_by("-is_shared", "-pk")
        .annotate(holder=F("persons__id"))
    )
    for point in rows:
        points[point.holder] = point  # the last kept: own before shared, lowest id
    told = 0
    for person in persons:
        point = points.get(person.pk)
        if point is None:
            continue
        message = queue_message(
            org=person.org,
            contact_point=point,
            template=template,
            context={},
            priority=Priority.NORMAL,
            reason="evacuation",
            language=person.language,
            cause_ids={**cause, "person": person.pk},
        )
        told += message is not None
    return told
