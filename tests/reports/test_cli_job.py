"""The CLI and the worker job call the same service as the page."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from salama.accounts.models import AuditEvent
from salama.reports import jobs, services
from salama.reports.models import Report
from tests.reports.helpers import pdf_text


def test_cli_writes_a_pdf_in_arabic(world: Any, roster: Any, tmp_path: Path) -> None:
    out = tmp_path / "sitrep.pdf"
    call_command("sitrep", "--org", "relief", "--lang", "ar", "--edition", "partner",
                 "--out", str(out))  # fmt: skip
    assert out.read_bytes().startswith(b"%PDF")
    assert "تقرير الوضع" in pdf_text(out.read_bytes(), tmp_path)
    report = Report.objects.for_org(world.org).get()
    assert report.edition == "partner"
    assert AuditEvent.objects.filter(action="reports.downloaded", object_id=str(report.pk)).exists()


def test_cli_refuses_an_unknown_organisation(world: Any, tmp_path: Path) -> None:
    with pytest.raises(CommandError):
        call_command("sitrep", "--org", "nobody", "--out", str(tmp_path / "x.pdf"))
    assert not Report.objects.exists()


def test_job_writes_the_days_editions_once_at_the_hour(world: Any) -> None:
    zone = ZoneInfo(world.org.time_zone)
    services.save_options(
        org=world.org, sitrep_hour=18, retention_days=30, area_detail="org", facility_names=False
    )
    world.other_org.settings = {"sitrep_hour": -1}
    world.other_org.save()
    before = datetime(2026, 12, 5, 17, 59, tzinfo=zone)
    with time_machine.travel(before, tick=False):
        assert jobs.run_scheduled() == 0
    with time_machine.travel(before + timedelta(minutes=2), tick=False):
        assert jobs.run_scheduled() == 2
        assert jobs.run_scheduled() == 0  # once per day
    with time_machine.travel(before + timedelta(days=1, minutes=2), tick=False):
        assert jobs.run_scheduled() == 2
    editions = sorted(Report.objects.for_org(world.org).values_list("edition", flat=True))
    assert editions == ["internal", "internal", "partner", "partner"]
    assert not Report.objects.for_org(world.other_org).exists()
    scheduled = Report.objects.for_org(world.org).first()
    assert scheduled is not None and scheduled.expires_at - scheduled.as_of == timedelta(days=30)


def test_expired_reports_are_pruned(world: Any) -> None:
    report = services.generate_report(org=world.org, edition="partner")
    assert services.prune_expired(report.expires_at - timedelta(seconds=1)) == 0
    assert services.prune_expired(report.expires_at + timedelta(seconds=1)) == 1
    assert not Report.objects.exists()
