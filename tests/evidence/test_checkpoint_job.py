"""The worker's checkpoint job: one signed checkpoint per organisation and fixed slot, whether or
not anything was appended; nothing for an organisation without a ledger or purged; an
inconsistent head is refused (audit row) and nothing is signed."""

from datetime import UTC, datetime
from typing import Any

import time_machine

from salama.accounts.models import AuditEvent
from salama.evidence import notes, services
from salama.evidence.checkpoints import log_verifier, origin
from salama.evidence.models import Checkpoint, Head
from salama.worker.loop import JOBS
from tests.evidence.helpers import fill


def test_the_job_signs_each_slot_once_even_without_new_entries(world: Any) -> None:
    org = world.org
    assert services.sign_due_checkpoints in JOBS
    fill(org, records=2, versions=1)
    with time_machine.travel(datetime(2026, 12, 5, 10, 20, tzinfo=UTC), tick=False):
        assert services.sign_due_checkpoints()
        assert not services.sign_due_checkpoints()  # the slot is signed
    with time_machine.travel(datetime(2026, 12, 5, 11, 5, tzinfo=UTC), tick=False):
        assert services.sign_due_checkpoints()
    first, second = Checkpoint.objects.for_org(org).order_by("slot_at")
    assert first.slot_at == datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    assert second.slot_at == datetime(2026, 12, 5, 11, 0, tzinfo=UTC)
    assert first.size == second.size == 3 and first.root == second.root
    verifier = log_verifier(org.pk)
    assert verifier is not None
    text = notes.verify(second.note, verifier)
    assert notes.parse_checkpoint(text) == (origin(org.pk), 3, bytes.fromhex(second.root))
    assert not Checkpoint.objects.for_org(world.other_org).exists()  # no ledger, no checkpoint


def test_the_job_refuses_an_inconsistent_head_and_says_so(world: Any) -> None:
    org = world.org
    fill(org, records=2, versions=1)
    with time_machine.travel(datetime(2026, 12, 5, 10, 20, tzinfo=UTC), tick=False):
        services.sign_due_checkpoints()
    Head.objects.filter(org_id=org.pk).update(frontier=[[1, "ab" * 32], [0, "cd" * 32]])
    with time_machine.travel(datetime(2026, 12, 5, 11, 5, tzinfo=UTC), tick=False):
        assert not services.sign_due_checkpoints()
    assert Checkpoint.objects.for_org(org).count() == 1
    assert AuditEvent.objects.filter(org_id=org.pk, action="evidence.checkpoint_refused").exists()


def test_a_purged_organisation_gets_no_new_checkpoint(world: Any) -> None:
    from salama.privacy.purge import purge_org

    fill(world.org, records=1, versions=1)
    purge_org(org=world.org)
    with time_machine.travel(datetime(2026, 12, 5, 10, 20, tzinfo=UTC), tick=False):
        assert not services.sign_due_checkpoints()
    assert not Checkpoint.objects.exists()
