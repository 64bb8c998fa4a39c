"""Every role has a home (U1 item 6): coordinators the board, field staff the check-in page,
the observer and the liaison an overview of the board's counts that never shows a codename."""

from typing import Any

from salama.safety import services
from tests.conftest import without_tokens
from tests.safety.conftest import Team1


def test_observer_and_liaison_see_counts_without_codenames(world: Any, clients: Any) -> None:
    team = Team1(world)
    services.record_checkin(person=team.k12, status="NEED_HELP", basis="self", channel="sms")
    services.open_event(org=world.org, label="Strike near the gate")
    for persona in ("observer", "liaison"):
        page = without_tokens(clients[persona].get("/").content)
        assert 'id="overview-counts"' in page
        assert 'id="overview-NEED_HELP">1<' in page and 'id="overview-total">6<' in page
        for codename in ("K12", "K10", "L1", "S1"):
            assert codename not in page
        assert "Strike near the gate" not in page  # an event's label may name a place
        assert 'id="overview-event"' in page
    assert "negotiations" in clients["liaison"].get("/").content.decode()


def test_each_role_lands_on_its_home(world: Any, clients: Any) -> None:
    Team1(world)  # the staff persona is K10 of the team
    assert clients["coordinator"].get("/")["Location"] == "/safety/board/"
    assert 'id="btn-help"' in clients["staff"].get("/").content.decode()


def test_field_page_note_sits_above_the_buttons(world: Any, clients: Any) -> None:
    Team1(world)
    page = clients["staff"].get("/").content.decode()
    assert page.index('id="id_note"') < page.index('id="btn-safe"')
    assert page.index('id="id_area"') < page.index('id="btn-help"')


def test_team_names_follow_the_readers_language(world: Any, clients: Any) -> None:
    """U1 item 5: a team's Arabic name on Arabic pages where the organisation gives one."""
    from salama.accounts.models import User
    from salama.people.services import save_team

    team = Team1(world)
    save_team(org=world.org, team=team.team, name="North", name_ar="الشمال")
    board = clients["coordinator"].get("/safety/board/").content.decode()
    assert ">North</td>" in board and "الشمال" not in board
    User.objects.filter(username="coordinator").update(language="ar")
    board = clients["coordinator"].get("/safety/board/").content.decode()
    assert ">الشمال</td>" in board and ">North</td>" not in board
    assert ">South</td>" in board  # no Arabic name given: the one there is
