"""The alert page tells the coordinator what happened (H1 item 9): the sender's note on a Reveal
(audited), a link to the person's timeline, each recipient's real delivery state, and what each
text was, in words."""

from pathlib import Path
from typing import Any

import pytest

from salama.accounts.models import AuditEvent
from salama.alerts.models import Alert, AlertNotification
from salama.messaging.models import Delivery, DeliveryState
from salama.people.models import Basis, Status
from salama.safety.models import Channel
from salama.safety.services import record_checkin
from tests.alerts.conftest import drain

pytestmark = pytest.mark.django_db

NOTE = "bleeding, basement of the hospital"


def help_alert(roster: Any) -> Alert:
    checkin = record_checkin(
        person=roster.persons["K12"],
        status=Status.NEED_HELP,
        basis=Basis.SELF,
        channel=Channel.SMS,
        note=NOTE,
        contact_point=roster.ward_phone,
    )
    return Alert.objects.get(checkin_id=checkin.pk)


def test_alert_page_shows_the_note_on_an_audited_reveal_and_links_the_timeline(
    world: Any, roster: Any, rota: Any, clients: Any, frozen: Any
) -> None:
    alert = help_alert(roster)
    coordinator = clients["coordinator"]
    before = AuditEvent.objects.count()
    html = coordinator.get(f"/alerts/{alert.number}/").content.decode()
    assert NOTE not in html  # viewing reveals nothing and writes no audit row
    assert AuditEvent.objects.count() == before
    assert f'href="/safety/person/{roster.persons["K12"].pk}/"' in html
    assert coordinator.get(f"/alerts/{alert.number}/note").status_code == 405
    response = coordinator.post(f"/alerts/{alert.number}/note")
    assert response.status_code == 200 and NOTE in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert AuditEvent.objects.count() == before + 1
    row = AuditEvent.objects.latest("pk")
    assert row.action == "reveal" and row.detail.get("field") == "note"
    assert NOTE not in str(row.detail)
    for persona in ("lead", "staff", "observer", "liaison"):
        assert clients[persona].post(f"/alerts/{alert.number}/note").status_code in (302, 403)
    assert AuditEvent.objects.filter(action="reveal").count() == 1


def test_alert_page_shows_each_recipients_real_delivery_state_and_template_in_words(
    world: Any, roster: Any, rota: Any, clients: Any, sink: Path, frozen: Any
) -> None:
    alert = help_alert(roster)
    drain()
    rows = list(AlertNotification.objects.filter(alert=alert).order_by("pk"))
    deliveries = [Delivery.objects.get(message_id=n.message_id) for n in rows[:3]]
    Delivery.objects.filter(pk=deliveries[0].pk).update(state=DeliveryState.DELIVERED)
    Delivery.objects.filter(pk=deliveries[1].pk).update(state=DeliveryState.DEAD)
    Delivery.objects.filter(pk=deliveries[2].pk).update(state=DeliveryState.QUEUED)
    html = clients["coordinator"].get(f"/alerts/{alert.number}/").content.decode()
    table = html[html.index('id="notifications"') :]
    assert 'class="delivery-delivered">delivered<' in table
    assert 'class="delivery-queued">queued<' in table
    assert 'class="delivery-sent">sent<' in table  # the rest went through the console channel
    assert "failed, no more tries" in table[table.index('class="delivery-dead"') :]
    assert "alert_life_safety" not in table and "reply_received" not in table
    assert "Call for help" in table and "Received, not yet seen" in table
