"""One time-zone rule (U1 item 3): every page shows times in the viewer's zone — their own
(duty profile) or else the organisation's — and names it once; the same moment reads the same
on the events page and the duty pages."""

from datetime import UTC, datetime
from typing import Any

from salama.accounts.models import Membership
from salama.alerts.models import DutyProfile
from salama.safety import services


def test_pages_show_the_viewers_zone_and_name_it_once(world: Any, clients: Any) -> None:
    # The organisation is in Asia/Damascus (UTC+3); this coordinator works from London (UTC+0).
    membership = Membership.objects.get(user=world.users["coordinator"], org=world.org)
    DutyProfile.objects.create(org=world.org, membership=membership, time_zone="Europe/London")
    services.open_event(
        org=world.org, label="Strike", started_at=datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    )
    mine = clients["coordinator"].get("/safety/events/").content.decode()
    assert "2026-01-05 09:30" in mine and "12:30" not in mine
    assert mine.count('id="page-zone"') == 1 and "Europe/London" in mine
    # A colleague without a zone of their own sees the organisation's.
    theirs = clients["coordinator2"].get("/safety/events/").content.decode()
    assert "2026-01-05 12:30" in theirs and "Asia/Damascus" in theirs
    # The duty page follows the same rule.
    duty = clients["coordinator"].get("/alerts/").content.decode()
    assert duty.count('id="page-zone"') == 1 and "Europe/London" in duty
