"""/metrics: the operator's Prometheus scrape (X1 item 4). Behind a token, counts and ages only."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from salama.lib import clock
from salama.people.models import Basis, Status
from salama.safety.models import Channel
from salama.safety.services import record_checkin
from salama.worker import loop
from salama.worker.models import Heartbeat

pytestmark = pytest.mark.django_db
TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def scrape(settings: Any) -> Any:
    settings.METRICS_TOKEN = TOKEN

    def get() -> tuple[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]]:
        response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain; version=")
        text = response.content.decode()
        samples = {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }
        return text, samples

    return get


def test_metrics_need_the_token(settings: Any, world: Any) -> None:
    settings.METRICS_TOKEN = TOKEN
    assert Client().get("/metrics").status_code == 401
    wrong = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
    assert wrong.status_code == 401 and wrong["WWW-Authenticate"].startswith("Bearer")
    settings.METRICS_TOKEN = ""
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_a_call_for_help_shows_in_the_outbox_and_alert_figures(
    world: Any, roster: Any, scrape: Any
) -> None:
    _, before = scrape()
    assert before[("salama_open_life_safety_alerts", ())] == 0
    assert before[("salama_outbox_depth", (("priority", "life_safety"),))] == 0
    with time_machine.travel(clock.now() - timedelta(seconds=90), tick=False):
        record_checkin(
            person=roster.persons["K12"],
            status=Status.NEED_HELP,
            basis=Basis.SELF,
            channel=Channel.SMS,
            note="trapped in the basement",
            contact_point=roster.ward_phone,
        )
    text, after = scrape()
    assert after[("salama_open_life_safety_alerts", ())] == 1
    assert after[("salama_open_life_safety_alerts_unacknowledged", ())] == 1
    assert after[("salama_outbox_depth", (("priority", "life_safety"),))] >= 1
    assert after[("salama_outbox_oldest_life_safety_age_seconds", ())] >= 90
    assert after[("salama_deliveries", (("state", "queued"),))] >= 1
    # Counts and ages only: no codename, name, number, note or area on the page.
    numbers = [number for listed in roster.numbers.values() for number in listed]
    for secret in ["K12", "basement", *roster.names.values(), *numbers]:
        assert secret not in text
    for area in roster.areas.values():
        assert area.name_en not in text


def test_worker_heartbeats_age_per_job(world: Any, scrape: Any) -> None:
    def sweep() -> bool:
        return False

    def broken() -> bool:
        raise RuntimeError("boom")

    with time_machine.travel(clock.now() - timedelta(minutes=5), tick=False):
        loop.run_once([sweep, broken])
        assert loop.flush_heartbeats(force=True) == 1
    assert list(Heartbeat.objects.values_list("job", flat=True)) == ["sweep"]
    _, samples = scrape()
    age = samples[("salama_worker_heartbeat_age_seconds", (("job", "sweep"),))]
    assert 299 <= age < 400
    assert not any(
        name == "salama_worker_heartbeat_age_seconds" and ("job", "broken") in labels
        for name, labels in samples
    )
