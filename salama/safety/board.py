"""The accountability board (the coordinator's home) and one person's timeline.

The live part is polled by HTMX every few seconds with the version token it was rendered with;
when nothing has changed the answer is an empty 204, which HTMX leaves alone."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from salama.accounts.access import COORDINATING, roles
from salama.lib import clock
from salama.people.models import Area, Facility, Person, Team
from salama.safety import hooks, selectors
from salama.safety.forms import DecisionForm
from salama.safety.views import local_time, org_of

POLL_SECONDS = 5
EVENT_CHOICE = "board_event"  # session key: the event this coordinator's board follows


def event_choice(request: HttpRequest) -> int | None:
    """The event the coordinator chose on the board (`?event=<id>`, 0 for none), remembered in
    their session; None until they choose."""
    raw = request.GET.get("event", "")
    if raw.isdigit():
        request.session[EVENT_CHOICE] = int(raw)
    value = request.session.get(EVENT_CHOICE)
    return value if isinstance(value, int) else None


def _context(request: HttpRequest, filters: selectors.Filters) -> dict[str, Any]:
    now = clock.now()
    org = org_of(request)
    choice = event_choice(request)
    people = selectors.board_people(org, filters).select_related("team", "area", "home_facility")
    summary = selectors.board_summary(org, filters, now, choice)
    event = summary.event
    since = event.started_at if event else None
    cards = [card for card in hooks.board_cards(org_id=org.pk) if card is not None]
    # An event limited to some areas: who has not been heard from is counted in those areas.
    touched = (
        people.filter(area_id__in=summary.event_area_ids) if summary.event_area_ids else people
    )
    return {
        "cards": sorted(cards, key=lambda card: card.order),
        "summary": summary,
        "event": event,
        "people": people.order_by("codename"),
        "not_heard": selectors.not_heard_since(touched, since) if since else None,
        "overdue": selectors.overdue_list(people, now),
        "version": selectors.board_version(org, filters, now, choice),
        "query": filters.query(),
        "map_items": selectors.map_data(people, org, since),
        "poll": f"every {POLL_SECONDS}s",
        "now": now,
    }


@roles(*COORDINATING)
@local_time
def board(request: HttpRequest) -> HttpResponse:
    filters = selectors.Filters.from_query(request.GET)
    context = _context(request, filters)
    context.update(
        filters=filters,
        open_events=selectors.open_events(org_of(request)),
        no_event=selectors.NO_EVENT,
        teams=Team.objects.for_org(org_of(request)),
        areas=Area.objects.for_org(org_of(request)),
        facilities=Facility.objects.for_org(org_of(request)),
        tile_url=settings.MAP_TILE_URL,
        tile_attribution=settings.MAP_TILE_ATTRIBUTION,
    )
    return render(request, "safety/board.html", context)


@roles(*COORDINATING)
@local_time
def board_live(request: HttpRequest) -> HttpResponse:
    filters = selectors.Filters.from_query(request.GET)
    choice = event_choice(request)
    if request.GET.get("v") == selectors.board_version(org_of(request), filters, choice=choice):
        return HttpResponse(status=204)
    return render(request, "safety/_board_live.html", _context(request, filters))


@roles(*COORDINATING)
@local_time
def person(request: HttpRequest, person_id: int) -> HttpResponse:
    subject = get_object_or_404(
        Person.objects.for_org(org_of(request)).select_related("team", "area"), pk=person_id
    )
    return render_person(request, subject, DecisionForm())


def render_person(
    request: HttpRequest, subject: Person, form: DecisionForm, recent: str = ""
) -> HttpResponse:
    """One person's page; `form` bound when a decision was not recorded, `recent` the warning
    that asks to confirm it."""
    return render(
        request,
        "safety/person.html",
        {
            "subject": subject,
            "entries": selectors.timeline(subject),
            "held": selectors.held_safe(subject),
            "decision_form": form,
            "recent": recent,
        },
    )
