"""S2 §2: more reveals by one user in an hour than the organisation allows alert the other
coordinators; the alert names nobody."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from salama.accounts.models import AuditEvent, Organisation
from salama.alerts.models import Alert, AlertNotification
from salama.messaging.models import Message
from salama.people.services import add_contact_point
from salama.privacy import jobs
from salama.privacy.models import RevealWatch
from salama.privacy.watch import ALERT_KIND
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
COORDINATOR2_NUMBER = "+963944000902"


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def second_phone(world: Any, roster: Any) -> Any:
    membership = world.users["coordinator2"].memberships.get()
    return add_contact_point(
        org=world.org, kind="sms", value=COORDINATOR2_NUMBER, membership=membership
    )


def reveal(client: Any, roster: Any, times: int) -> None:
    codenames = list(roster.persons)
    for i in range(times):
        person = roster.persons[codenames[i % len(codenames)]]
        url = reverse("people:person_reveal", kwargs={"person_id": person.pk})
        assert client.post(url, {"field": "real_name"}).status_code == 200


def test_eleven_reveals_in_an_hour_alert_the_other_coordinators(
    world: Any, roster: Any, clients: dict[str, Any], clock: Any, second_phone: Any
) -> None:
    reveal(clients["coordinator"], roster, 10)
    assert jobs.reveal_watch_job() is False  # ten is the limit, not over it
    clock.shift(timedelta(minutes=5))
    reveal(clients["coordinator"], roster, 1)

    assert jobs.reveal_watch_job() is True

    alert = Alert.objects.get(org=world.org, kind=ALERT_KIND)
    assert alert.person_id is None and alert.severity == "routine"
    told = AlertNotification.objects.filter(alert=alert)
    members = {n.membership.user.username for n in told}
    assert "coordinator2" in members and "coordinator" not in members
    for message in Message.objects.filter(pk__in=told.values("message_id")):
        for codename, name in roster.names.items():
            assert codename not in message.body and name not in message.body
        assert str(alert.number) in message.body
    watch = RevealWatch.objects.get(org=world.org)
    assert watch.user_id == world.users["coordinator"].pk and watch.count == 11
    assert AuditEvent.objects.filter(action="reveal.watch", org_id=world.org.pk).exists()


def test_one_alert_an_hour_per_user(
    world: Any, roster: Any, clients: dict[str, Any], clock: Any, second_phone: Any
) -> None:
    reveal(clients["coordinator"], roster, 11)
    assert jobs.reveal_watch_job() is True
    reveal(clients["coordinator"], roster, 5)
    clock.shift(timedelta(minutes=1))
    assert jobs.reveal_watch_job() is False
    clock.shift(timedelta(minutes=61))
    reveal(client_for(world.users["coordinator"]), roster, 11)  # the old session timed out
    assert jobs.reveal_watch_job() is True
    assert Alert.objects.filter(org=world.org, kind=ALERT_KIND).count() == 2


def test_reveals_spread_over_more_than_an_hour_do_not_alert(
    world: Any, roster: Any, clients: dict[str, Any], clock: Any
) -> None:
    reveal(clients["coordinator"], roster, 6)
    clock.shift(timedelta(minutes=61))
    reveal(client_for(world.users["coordinator"]), roster, 6)
    assert jobs.reveal_watch_job() is False
    assert not Alert.objects.filter(kind=ALERT_KIND).exists()


def test_the_limit_is_the_organisations_setting(
    world: Any, roster: Any, clients: dict[str, Any], clock: Any
) -> None:
    Organisation.objects.filter(pk=world.org.pk).update(settings={"reveal_watch_limit": 2})
    reveal(clients["org_admin"], roster, 3)
    assert jobs.reveal_watch_job() is True
    assert RevealWatch.objects.get().user_id == world.users["org_admin"].pk


def test_the_job_looks_at_most_once_a_minute(
    world: Any, roster: Any, clients: dict[str, Any], clock: Any, second_phone: Any
) -> None:
    assert jobs.reveal_watch_job() is False
    reveal(clients["coordinator"], roster, 11)
    clock.shift(timedelta(seconds=30))
    assert jobs.reveal_watch_job() is False  # too soon after the last look
    clock.shift(timedelta(seconds=30))
    assert jobs.reveal_watch_job() is True
