"""Partner reports: the one door for the form, the API, the text command and drafts from pasted
text. Checked first (salama.incidents.validation), then written in one transaction."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest

from salama.accounts import audit
from salama.accounts.models import Membership, Organisation
from salama.incidents.models import Channel, Report
from salama.incidents.validation import IncidentError, ReportData, check
from salama.people.models import Person


def next_number(model: type, org: Organisation) -> int:
    """The organisation's next number for reports or incidents (under the organisation's row
    lock, taken by the caller's transaction)."""
    Organisation.objects.select_for_update().filter(pk=org.pk).exists()
    top = model.objects.filter(org=org).aggregate(top=Max("number"))["top"]  # type: ignore[attr-defined]
    return int(top or 0) + 1


def create_report(
    *,
    org: Organisation,
    data: ReportData,
    channel: str,
    by: Membership | None = None,
    by_person: Person | None = None,
    inbound_id: int | None = None,
    raw_text: str = "",
    request: HttpRequest | None = None,
) -> Report:
    """Store a partner report; raises IncidentError (translated) and writes nothing on bad input."""
    if channel not in Channel.values:
        raise IncidentError("unknown channel")
    check(data, org=org)
    with transaction.atomic():
        report = Report(
            org=org, number=next_number(Report, org), channel=channel, reporter=by,
            reporter_person=by_person, inbound_id=inbound_id, raw_text=raw_text,
            **data.model_fields(),
        )  # fmt: skip
        report.save()
        audit.record(
            "incidents.report", org_id=org.pk, actor_id=by.user_id if by else None, obj=report,
            request=request, detail={"number": report.number, "channel": channel},
        )  # fmt: skip
    return report
