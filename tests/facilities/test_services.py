"""Updates: the out-of-order rule, history, alerts once per crossing, bad input."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from salama.alerts.models import Alert, AlertKind
from salama.facilities import services
from salama.facilities.models import FacilityAlert, StatusUpdate
from salama.facilities.services import FacilityError, StockInput
from salama.lib import clock
from salama.messaging.models import Message
from salama.people.models import Facility
from tests.facilities.helpers import make_facility, status_of
from tests.messaging import text_helpers
from tests.messaging.outbox_helpers import T0
from tests.messaging.text_helpers import Roster

roster = text_helpers.roster
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def facility(roster: Roster) -> Facility:
    return make_facility(roster.org, roster.sukkari)


def update(facility: Facility, **fields: Any) -> services.UpdateResult:
    return services.record_update(facility=facility, channel="api", **fields)


def test_latest_observation_is_current_and_a_late_one_is_only_history(facility: Facility) -> None:
    now = clock.now()
    update(facility, observed_at=now, functionality="partial", beds_total=60, beds_occupied=40)
    late = update(facility, observed_at=now - timedelta(hours=3), functionality="full")
    assert not late.is_current and late.update.is_late
    status = status_of(facility)
    assert status.functionality == "partial" and status.beds_occupied == 40
    facility.refresh_from_db()
    assert facility.functionality == "partial"
    assert StatusUpdate.objects.filter(facility=facility).count() == 2


def test_an_update_carries_what_it_does_not_say(facility: Facility) -> None:
    now = clock.now()
    update(facility, observed_at=now - timedelta(hours=2), functionality="full", beds_total=60,
           stocks={"oxygen": StockInput(on_hand=30, daily_use=5)})  # fmt: skip
    update(facility, observed_at=now, stocks={"fuel": StockInput(days=4)})
    status = status_of(facility)
    assert status.functionality == "full" and status.beds_total == 60
    assert status.stocks["oxygen"]["days"] == 6 and status.stocks["fuel"]["days"] == 4
    assert status.min_days == 4


def test_a_late_update_carries_from_the_update_before_it(facility: Facility) -> None:
    now = clock.now()
    update(facility, observed_at=now - timedelta(hours=5), beds_total=10)
    update(facility, observed_at=now, beds_total=99)
    late = update(facility, observed_at=now - timedelta(hours=1), functionality="partial")
    assert late.update.beds_total == 10
    assert status_of(facility).beds_total == 99


def test_equal_observation_times_go_to_the_later_update(facility: Facility) -> None:
    now = clock.now()
    update(facility, observed_at=now, functionality="full")
    second = update(facility, observed_at=now, functionality="partial")
    assert second.is_current and status_of(facility).update_id == second.update.pk


def test_stock_under_threshold_alerts_once_per_crossing(facility: Facility) -> None:
    fuel = {"fuel": StockInput(days=5)}
    assert update(facility, stocks=fuel).alert is None
    first = update(facility, stocks={"fuel": StockInput(days=1)})
    assert first.alert is not None and first.alert.kind == AlertKind.FACILITY
    assert not first.alert.is_life_safety
    assert update(facility, stocks={"fuel": StockInput(days=0.5)}).alert is None
    assert update(facility, stocks={"fuel": StockInput(days=3)}).alert is None
    again = update(facility, stocks={"fuel": StockInput(days=1)})
    assert again.alert is not None
    assert Alert.objects.for_org(facility.org_id).filter(kind=AlertKind.FACILITY).count() == 2
    rows = FacilityAlert.objects.filter(facility=facility)
    assert {(r.cause, r.stock) for r in rows} == {("low_stock", "fuel")}
    assert first.alert.area_id == facility.area_id


def test_the_alert_reaches_the_coordinators_without_the_facility_name(
    facility: Facility,
) -> None:
    update(facility, functionality="full")
    result = update(facility, functionality="none")
    assert result.alert is not None and result.causes == ["functionality"]
    bodies = [str(m.body) for m in Message.objects.filter(reason=f"alert:{result.alert.number}")]
    assert bodies, "no message to the coordinators"
    assert all(facility.name not in b and "Q7X" not in b for b in bodies)


def test_functionality_drop_alerts_but_a_rise_or_unknown_does_not(facility: Facility) -> None:
    assert update(facility, functionality="partial").alert is None  # the first report
    assert update(facility, functionality="full").alert is None
    assert update(facility, functionality="unknown").alert is None
    assert update(facility, functionality="partial").alert is None  # from unknown: no known drop
    assert update(facility, functionality="none").alert is not None


def test_a_late_update_never_alerts(facility: Facility) -> None:
    update(facility, functionality="full")
    late = update(facility, observed_at=clock.now() - timedelta(hours=1), functionality="none")
    assert late.alert is None and not late.is_current


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"stocks": {"fuel": StockInput(days=-1)}}, "cannot be negative"),
        ({"stocks": {"oxygen": StockInput(on_hand=-3, daily_use=1)}}, "cannot be negative"),
        ({"stocks": {"oxygen": StockInput(on_hand=3, daily_use=0)}}, "cannot be zero"),
        ({"stocks": {"gold": StockInput(days=1)}}, "Unknown"),
        ({"functionality": "F2"}, "Unknown"),
        ({"services": {"trauma": {"level": "full", "causes": ["x"]}}}, "Unknown"),
        ({"beds_total": -1}, "negative"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    facility: Facility, fields: dict[str, Any], message: str
) -> None:
    update(facility, functionality="full")
    with pytest.raises(FacilityError) as error:
        update(facility, **{"functionality": "none", **fields})
    assert message in " ".join(error.value.messages)
    assert StatusUpdate.objects.filter(facility=facility).count() == 1
    assert status_of(facility).functionality == "full"


def test_bad_input_is_answered_in_arabic(facility: Facility) -> None:
    from django.utils import translation

    with translation.override("ar"), pytest.raises(FacilityError) as error:
        update(facility, stocks={"oxygen": StockInput(on_hand=3, daily_use=0)})
    assert "صفر" in " ".join(error.value.messages)


def test_services_keep_at_most_three_ranked_causes(facility: Facility) -> None:
    causes = ["staff", "supplies", "equipment"]
    update(facility, services={"trauma": {"level": "partial", "causes": causes}})
    assert status_of(facility).services["trauma"] == {"level": "partial", "causes": causes}
    assert status_of(facility).takes_trauma
    with pytest.raises(FacilityError):
        update(facility, services={"icu": {"level": "none", "causes": [*causes, "finances"]}})


def test_future_observation_is_refused(facility: Facility) -> None:
    with pytest.raises(FacilityError):
        update(facility, observed_at=clock.now() + timedelta(hours=2), functionality="full")


def test_codes_are_unique_and_short(roster: Roster, facility: Facility) -> None:
    other = make_facility(roster.org, roster.sukkari, name="Second", code="K4M")
    with pytest.raises(FacilityError):
        services.save_card(facility=other, code="q7x", facility_type="other", affiliation="ngo")
    fresh = services.new_code(roster.org.pk)
    assert len(fresh) == 3 and fresh != "Q7X"
