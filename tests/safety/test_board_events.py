"""The board follows the event the coordinator chooses (U1 item 1): with several open events it
offers them and remembers the choice in the session; an event limited to some areas counts in
those areas; a roll call to one team opens no event (it belongs to the event it was launched
under, or to none); an event closes when the coordinator says so, from the board too."""

from datetime import timedelta
from typing import Any

import pytest

from salama.lib import clock
from salama.rollcalls import services as rollcalls
from salama.rollcalls.base import RollCallError
from salama.safety import services
from salama.safety.models import CheckIn, Event
from tests.safety.conftest import Team1


def _heard(person: Any) -> None:
    services.record_checkin(person=person, status="SAFE", basis="self", channel="field_page")


def test_board_offers_open_events_and_remembers_the_choice(clients: Any, team: Team1) -> None:
    org = team.org
    north = services.open_event(org=org, label="Strike north", areas=[team.sukkari])
    south = services.open_event(org=org, label="Shelling south", areas=[team.shaar])
    coordinator = clients["coordinator"]
    board = coordinator.get("/safety/board/").content.decode()
    assert "Strike north" in board and "Shelling south" in board  # both offered
    assert 'id="board-event-choice"' in board
    coordinator.get(f"/safety/board/?event={north.pk}")
    # Remembered: a plain visit (and the live part's poll) follows the chosen event.
    board = coordinator.get("/safety/board/").content.decode()
    assert '<p class="event-label" id="event-label">Strike north</p>' in board
    live = coordinator.get("/safety/board/live/").content.decode()
    assert "Strike north" in live and "Shelling south" not in live
    # Another coordinator's board is their own choice: the newest open event by default.
    other = clients["coordinator2"].get("/safety/board/").content.decode()
    assert '<p class="event-label" id="event-label">Shelling south</p>' in other
    coordinator.get("/safety/board/?event=0")  # no event at all
    assert 'id="headline"' not in coordinator.get("/safety/board/").content.decode()
    # A chosen event that closes gives way to the newest open one.
    coordinator.get(f"/safety/board/?event={south.pk}")
    services.close_event(event=south)
    board = coordinator.get("/safety/board/").content.decode()
    assert '<p class="event-label" id="event-label">Strike north</p>' in board


def test_event_limited_to_areas_counts_in_those_areas(clients: Any, team: Team1) -> None:
    event = services.open_event(org=team.org, label="Strike", areas=[team.sukkari])
    _heard(team.k12)  # in Al-Sukkari
    _heard(team.s1)  # in Al-Shaar
    board = clients["coordinator"].get(f"/safety/board/?event={event.pk}").content.decode()
    # Al-Sukkari: L1, K10, K12; one heard. The whole board: six people, two heard.
    assert 'id="heard-since-areas">1 / 3<' in board
    assert 'id="heard-since">2 / 6<' in board
    not_heard = board[board.index('id="not-heard"') :].split("</p>")[0]
    assert "L1" in not_heard and "K10" in not_heard
    assert "K14" not in not_heard and "K27" not in not_heard  # outside the event's areas
    assert CheckIn.objects.count() == 2


def test_team_roll_call_opens_no_event_and_keeps_the_one_it_was_launched_under(
    clients: Any, team: Team1
) -> None:
    from salama.people.services import add_contact_point

    for index, person in enumerate((team.k12, team.k14, team.s1)):
        add_contact_point(org=team.org, kind="sms", value=f"+96394400010{index}", persons=[person])
    deadline = clock.now() + timedelta(hours=1)
    strike = services.open_event(org=team.org, label="Strike", areas=[team.sukkari])
    alone = rollcalls.open_roll_call(
        org=team.org,
        question="Are you well?",
        target=rollcalls.Target(teams=(team.other_team.pk,)),
        deadline_at=deadline,
    )
    assert alone.event is None
    assert list(Event.objects.filter(closed_at=None)) == [strike]  # the board keeps its event
    under = rollcalls.open_roll_call(
        org=team.org,
        question="Are you well?",
        target=rollcalls.Target(teams=(team.team.pk,)),
        deadline_at=deadline,
        event=strike,
    )
    assert under.event == strike
    board = clients["coordinator"].get("/safety/board/").content.decode()
    assert '<p class="event-label" id="event-label">Strike</p>' in board
    services.close_event(event=strike)
    with pytest.raises(RollCallError):
        rollcalls.open_roll_call(
            org=team.org,
            question="Are you well?",
            target=rollcalls.Target(teams=(team.team.pk,)),
            deadline_at=deadline,
            event=strike,
        )


def test_coordinator_closes_the_event_from_the_board(clients: Any, team: Team1) -> None:
    event = services.open_event(org=team.org, label="Strike")
    coordinator = clients["coordinator"]
    board = coordinator.get("/safety/board/").content.decode()
    assert 'id="event-close"' in board
    answer = coordinator.post(f"/safety/events/{event.pk}/close/", {"next": "board"})
    assert answer.status_code == 302 and answer["Location"] == "/safety/board/"
    event.refresh_from_db()
    assert not event.is_open
    assert 'id="headline"' not in coordinator.get("/safety/board/").content.decode()
