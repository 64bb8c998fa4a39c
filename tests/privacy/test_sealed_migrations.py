"""S3 item 9's migrations on PostgreSQL: existing event labels, roll-call questions and options'
labels are encrypted going forward and readable again going back; an Idempotency-Key stored
with a plain SHA-256 is keyed, and a retry of it is still recognised."""

import hashlib
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from salama.lib import clock, keyring
from salama.rollcalls.models import RollCall
from salama.safety import api
from salama.safety.models import Event, IdempotencyKey
from tests.conftest import build_world

BEFORE = [("safety", "0002_checkin_immutable"), ("rollcalls", "0001_initial")]
AFTER = [("safety", "0003_s3_gateway_sealed_event_label"),
         ("rollcalls", "0003_s3_gateway_sealed_option_labels")]  # fmt: skip


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _column(table: str, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}"')  # noqa: S608 - fixed names
        return str(cursor.fetchone()[0])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_labels_and_questions_are_sealed_forward_and_opened_backward() -> None:
    world = build_world()
    try:
        old = _migrate(BEFORE)
        now = clock.now()
        event = old.get_model("safety", "Event").objects.create(
            org_id=world.org.pk, label="ZQM-strike-north", started_at=now
        )
        old.get_model("rollcalls", "RollCall").objects.create(
            org_id=world.org.pk, number=1, event_id=event.pk, question="ZQM-are-you-well",
            deadline_at=now, options=[{"number": 4, "label": "ZQM-at-home", "effect": "SAFE"}],
        )  # fmt: skip
        canonical = '{"status": "SAFE"}'
        old.get_model("safety", "IdempotencyKey").objects.create(
            org_id=world.org.pk, user_id=world.users["staff"].pk, key="k-old", status_code=201,
            body_hash=hashlib.sha256(canonical.encode()).hexdigest(),
        )  # fmt: skip
        _migrate(AFTER)
        for table, column in (("safety_event", "label"), ("rollcalls_rollcall", "question")):
            stored = _column(table, column)
            assert stored.startswith(f"v1:{world.org.pk}:") and "ZQM" not in stored
        assert Event.objects.get().label == "ZQM-strike-north"
        assert "ZQM" not in _column("rollcalls_rollcall", "options")
        roll_call = RollCall.objects.only("question", "options").get()  # later columns not yet
        assert roll_call.question == "ZQM-are-you-well"
        assert roll_call.options == [{"number": 4, "label": "ZQM-at-home", "effect": "SAFE"}]
        row = IdempotencyKey.objects.get()
        assert row.body_hash == api.legacy_body_hash(world.org.pk, canonical)
        assert row.body_hash != hashlib.sha256(canonical.encode()).hexdigest()
        _migrate(BEFORE)
        assert _column("safety_event", "label") == "ZQM-strike-north"
        assert _column("rollcalls_rollcall", "question") == "ZQM-are-you-well"
        assert '"label": "ZQM-at-home"' in _column("rollcalls_rollcall", "options")
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())  # all of them again
    assert keyring.has_keys(world.org.pk)
