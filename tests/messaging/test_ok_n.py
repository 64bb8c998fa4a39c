"""Acknowledging by text (H1 item 5): only someone who was sent the alert, or a coordinator, may
take it with `OK n`; a coordinator-only alert only a coordinator. Anyone else is answered like
any unknown command and nothing changes. Whoever cannot acknowledge is not invited to."""

from typing import Any

import pytest

from salama.alerts.models import Alert, AlertKind, AlertState
from salama.messaging import texts
from salama.messaging.inbound import receive
from salama.messaging.models import Message
from salama.people.models import Basis, Status
from salama.people.services import add_contact_point, add_local_responder
from salama.rollcalls import duress
from salama.safety.models import Channel, CheckIn
from salama.safety.services import record_checkin
from tests.alerts import conftest as alerts_fixtures
from tests.alerts.conftest import member
from tests.people.factories import COORDINATOR_NUMBER

pytestmark = pytest.mark.django_db
frozen = alerts_fixtures.frozen
rota = alerts_fixtures.rota

LEAD_K10 = "+963944000110"  # has a login (the "lead" persona)
DEPUTY_K11 = "+963999000111"  # K11's second number; K11 has no login
LEAD_K20 = "+963944000120"  # the other team's lead: not told
STAFF_K21 = "+963944000121"
WARD = "+963944000199"
AMBULANCE = "+963944000777"
LIAISON = "+963944000903"


def text(world: Any, sender: str, body: str) -> dict[str, Any]:
    _row, result = receive(org=world.org, channel="simulator", sender=sender, body=body)
    assert result is not None
    return result


def help_from_k12(roster: Any) -> Alert:
    checkin = record_checkin(
        person=roster.persons["K12"],
        status=Status.NEED_HELP,
        basis=Basis.SELF,
        channel=Channel.SMS,
        note="basement",
        contact_point=roster.ward_phone,
    )
    return Alert.objects.get(checkin_id=checkin.pk)


def not_understood(world: Any, language: str) -> str:
    return texts.render(world.org, "reply_not_understood", language, {})


def test_ok_n_from_someone_not_sent_the_alert_is_not_understood_and_changes_nothing(
    world: Any, roster: Any, rota: Any, frozen: Any
) -> None:
    alert = help_from_k12(roster)
    checkins = CheckIn.objects.count()
    for sender in (STAFF_K21, LEAD_K20):
        result = text(world, sender, f"OK {alert.number}")
        assert result["action"] == "not_understood", sender
        assert result["reply"] in (not_understood(world, "ar"), not_understood(world, "en"))
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN and alert.acknowledged_at is None
    assert CheckIn.objects.count() == checkins  # no SAFE was recorded for them either


def test_deputy_without_a_login_acknowledges_from_a_registered_number_and_sender_hears_seen(
    world: Any, roster: Any, rota: Any, frozen: Any
) -> None:
    alert = help_from_k12(roster)
    deputy = roster.persons["K11"]
    assert deputy.membership_id is None
    result = text(world, DEPUTY_K11, f"OK {alert.number}")
    assert result["action"] == "acknowledge" and result["reason"] == ""
    assert result["reply"] == texts.render(
        world.org, "reply_ack", deputy.language, {"alert": alert.number}
    )
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED and alert.acknowledged_via == "sms"
    assert alert.acknowledged_person_id == deputy.pk and alert.acknowledged_by_id is None
    seen = Message.objects.filter(contact_point=roster.ward_phone, template="alert_ack_seen")
    assert seen.count() == 1
    # The lead, told too, comes second: "already taken".
    later = text(world, LEAD_K10, f"OK {alert.number}")
    assert later["action"] == "acknowledge" and later["reason"] == "taken"


def test_lead_with_a_login_acknowledges_against_person_and_login(
    world: Any, roster: Any, rota: Any, frozen: Any
) -> None:
    alert = help_from_k12(roster)
    result = text(world, LEAD_K10, f"OK {alert.number}")
    assert result["action"] == "acknowledge" and result["reason"] == ""
    alert.refresh_from_db()
    assert alert.acknowledged_person_id == roster.persons["K10"].pk
    assert alert.acknowledged_by == member(world, "lead")


def test_coordinator_only_alert_is_acknowledged_only_by_a_coordinator(
    world: Any, roster: Any, rota: Any, frozen: Any
) -> None:
    liaison = member(world, "liaison")
    add_contact_point(org=world.org, kind="sms", value=LIAISON, membership=liaison)
    world.org.settings[duress.FOCAL_POINTS] = [liaison.pk]
    world.org.save(update_fields=["settings"])
    duress.agree_duress(person=roster.persons["K21"], word="tamam", plan="Call the lawyer")
    text(world, STAFF_K21, "tamam")
    alert = Alert.objects.get(kind=AlertKind.DURESS)
    to_liaison = Message.objects.get(
        reason=f"alert:{alert.number}", contact_point__membership=liaison
    )
    assert "OK" not in str(to_liaison.body)  # a focal point who may not acknowledge is not asked
    refused = text(world, LIAISON, f"OK {alert.number}")
    assert refused["action"] == "not_understood"
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN
    taken = text(world, COORDINATOR_NUMBER, f"OK {alert.number}")
    assert taken["action"] == "acknowledge" and taken["reason"] == ""
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED


def test_a_responder_phone_of_nobody_is_told_without_being_invited_to_reply(
    world: Any, roster: Any, rota: Any, frozen: Any
) -> None:
    add_local_responder(
        org=world.org, area=roster.areas["sukkari"], number=AMBULANCE, label="ambulance point"
    )
    alert = help_from_k12(roster)
    told = {
        str(m.contact_point.value): str(m.body)
        for m in Message.objects.filter(reason=f"alert:{alert.number}").select_related(
            "contact_point"
        )
    }
    assert "OK" not in told[AMBULANCE] and "K12" in told[AMBULANCE]
    assert f"OK {alert.number}" in told[LEAD_K10]
    refused = text(world, AMBULANCE, f"OK {alert.number}")
    assert refused["action"] in ("not_understood", "unknown")
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN
