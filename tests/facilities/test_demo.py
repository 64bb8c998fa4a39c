"""The demo step: a week of updates; M1 loses its generator, the pharmacy runs low on oxygen;
loading twice duplicates nothing."""

import pytest

from salama.alerts.models import Alert, AlertKind
from salama.demo.load import load_demo
from salama.facilities.models import FacilityAlert, FacilityStatus, StatusUpdate


@pytest.mark.django_db
def test_demo_has_a_week_of_updates_a_lost_generator_and_low_oxygen() -> None:
    load_demo()
    count = StatusUpdate.objects.count()
    load_demo()
    assert StatusUpdate.objects.count() == count >= 7 * 14
    m1 = FacilityStatus.objects.get(code="M4K")
    assert m1.functionality == "none" and m1.utilities["electricity"] == "none"
    assert m1.stocks["fuel"]["days"] == 0 and not m1.takes_trauma
    pharmacy = FacilityStatus.objects.get(code="P7H")
    assert pharmacy.facility_type == "pharmacy" and "oxygen" in pharmacy.low_stocks
    causes = set(FacilityAlert.objects.values_list("facility_id", "cause", "stock"))
    assert (m1.facility_id, "low_stock", "fuel") in causes
    assert (m1.facility_id, "functionality", "") in causes
    assert (pharmacy.facility_id, "low_stock", "oxygen") in causes
    assert Alert.objects.filter(kind=AlertKind.FACILITY).count() == len(
        set(FacilityAlert.objects.values_list("alert_id", flat=True))
    )
