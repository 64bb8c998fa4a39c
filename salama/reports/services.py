"""Writes for reports (the only writers): generate an edition, record a download, the
organisation's report settings, partner tokens, and the pruning of expired reports. Every
generated and every downloaded report is audited (ids and codes only)."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Membership, Organisation, Role
from salama.lib import clock
from salama.people.models import TeamLead
from salama.reports import sections
from salama.reports.models import Edition, PartnerToken, Report, Trigger
from salama.reports.options import AREA_DETAILS, options_of


class ReportError(ValidationError):
    """Bad input, with a translated message: nothing was written."""


def lead_team_ids(membership: Membership) -> tuple[int, ...]:
    """The teams a field lead (or deputy) leads, through the person linked to their login."""
    person = getattr(membership, "person", None)
    if person is None:
        return ()
    return tuple(
        TeamLead.objects.for_org(membership.org_id)
        .filter(person=person)
        .order_by("team_id")
        .values_list("team_id", flat=True)
    )


def _previous(org: Organisation, edition: str, lead: Membership | None) -> Report | None:
    return (
        Report.objects.for_org(org)
        .filter(edition=edition, lead=lead)
        .order_by("-as_of", "-id")
        .only("as_of", "figures")
        .first()
    )


def build_scope(
    *, org: Organisation, edition: str, lead: Membership | None = None, now: datetime | None = None
) -> sections.Scope:
    if edition not in Edition.values:
        raise ReportError(_("Unknown edition: %(edition)s"), params={"edition": edition})
    if edition == Edition.LEAD and lead is None:
        raise ReportError(_("The lead edition is for a field lead."))
    previous = _previous(org, edition, lead if edition == Edition.LEAD else None)
    return sections.Scope(
        org=org, edition=edition, now=now or clock.now(),
        since=previous.as_of if previous else None, options=options_of(org),
        team_ids=lead_team_ids(lead) if lead is not None and edition == Edition.LEAD else (),
        previous=dict(previous.figures) if previous else {},
    )  # fmt: skip


@transaction.atomic
def generate_report(
    *,
    org: Organisation,
    edition: str,
    trigger: str = Trigger.DEMAND,
    lead: Membership | None = None,
    by: Membership | None = None,
    day: date | None = None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Report:
    """Build every section for the edition from its own restricted queries and store the
    result (encrypted) with its figures; audited. A scheduled report is one per edition and
    day: a second worker's attempt raises IntegrityError (the caller skips it)."""
    scope = build_scope(org=org, edition=edition, lead=lead, now=now)
    parts, figures = sections.build_all(scope)
    report = Report(
        org=org, edition=edition, trigger=trigger, day=day, as_of=scope.now, since=scope.since,
        lead=lead if edition == Edition.LEAD else None, requested_by=by, figures=figures,
        content=json.dumps({"sections": parts}, ensure_ascii=False),
        expires_at=scope.now + timedelta(days=scope.options.retention_days),
    )  # fmt: skip
    report.save()
    audit.record(
        "reports.generated", org_id=org.pk, actor_id=by.user_id if by else None, obj=report,
        request=request, detail={"edition": edition, "trigger": trigger},
    )  # fmt: skip
    return report


def record_download(
    *, report: Report, fmt: str, lang: str, by: Membership | None, request: HttpRequest | None
) -> None:
    audit.record(
        "reports.downloaded", org_id=report.org_id, actor_id=by.user_id if by else None,
        obj=report, request=request,
        detail={"edition": report.edition, "format": fmt, "lang": lang},
    )  # fmt: skip


def record_export(
    *, org: Organisation, name: str, fmt: str, form: str, by: Membership | None,
    request: HttpRequest | None,
) -> None:  # fmt: skip
    audit.record(
        "reports.exported", org_id=org.pk, actor_id=by.user_id if by else None,
        request=request, detail={"export": name, "format": fmt, "form": form},
    )  # fmt: skip


@transaction.atomic
def save_options(
    *,
    org: Organisation,
    sitrep_hour: int,
    retention_days: int,
    area_detail: str,
    facility_names: bool,
    request: HttpRequest | None = None,
) -> Organisation:
    """The organisation's report settings (salama.reports.options), checked first."""
    if not -1 <= int(sitrep_hour) <= 23:
        raise ReportError(_("The hour must be between 0 and 23, or -1 for no scheduled report."))
    if not 7 <= int(retention_days) <= 365:
        raise ReportError(_("Reports are kept between 7 and 365 days."))
    if area_detail not in AREA_DETAILS:
        raise ReportError(_("Unknown area detail: %(detail)s"), params={"detail": area_detail})
    locked = Organisation.objects.select_for_update().get(pk=org.pk)
    locked.settings = {
        **locked.settings, "sitrep_hour": int(sitrep_hour),
        "report_retention_days": int(retention_days), "partner_area_detail": area_detail,
        "partner_facility_names": bool(facility_names),
    }  # fmt: skip
    locked.save(update_fields=["settings"])
    org.settings = locked.settings
    audit.record(
        "reports.settings", org_id=org.pk, request=request,
        detail={"sitrep_hour": int(sitrep_hour), "retention_days": int(retention_days),
                "area_detail": area_detail, "facility_names": bool(facility_names)},
    )  # fmt: skip
    return locked


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_partner_token(
    *, org: Organisation, name: str, by: Membership | None, request: HttpRequest | None = None
) -> tuple[PartnerToken, str]:
    """A new partner token; the raw token is returned once and never stored."""
    name = name.strip()
    if not name or len(name) > 60:
        raise ReportError(_("Give the partner token a name of at most 60 characters."))
    raw = "sp_" + secrets.token_urlsafe(32)
    token = PartnerToken.objects.create(
        org=org, name=name, token_hash=hash_token(raw), created_by=by
    )
    audit.record("reports.partner_token_created", org_id=org.pk, obj=token, request=request)
    return token, raw


@transaction.atomic
def revoke_partner_token(
    *, token: PartnerToken, request: HttpRequest | None = None
) -> PartnerToken:
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            "reports.partner_token_revoked", org_id=token.org_id, obj=token, request=request
        )
    return token


def use_partner_token(raw: str) -> PartnerToken | None:
    """The live token for `raw`, its last use noted; None for an unknown or revoked one."""
    if not raw:
        return None
    token = (
        PartnerToken.objects.filter(token_hash=hash_token(raw), revoked_at=None)
        .select_related("org")
        .first()
    )
    if token is None or not token.org.is_active:
        return None
    PartnerToken.objects.filter(pk=token.pk).update(last_used_at=clock.now())
    return token


def prune_expired(now: datetime | None = None, limit: int = 500) -> int:
    """Delete reports past their retention (bounded per pass)."""
    ids = list(
        Report.objects.filter(expires_at__lt=now or clock.now()).values_list("pk", flat=True)[
            :limit
        ]
    )
    if ids:
        Report.objects.filter(pk__in=ids).delete()
    return len(ids)


def may_generate(membership: Membership, edition: str) -> bool:
    """Who may generate and read which edition: coordinators and admins every edition, a field
    lead the lead edition (their own teams), an observer or liaison the partner edition."""
    if membership.role in (Role.ORG_ADMIN, Role.COORDINATOR):
        return edition in (Edition.INTERNAL, Edition.PARTNER)
    if membership.role == Role.FIELD_LEAD:
        return edition == Edition.LEAD
    if membership.role in (Role.OBSERVER, Role.LIAISON):
        return edition == Edition.PARTNER
    return False


def content_of(report: Report) -> dict[str, Any]:
    return dict(json.loads(report.content or "{}"))


def record_feed(*, token: PartnerToken, request: HttpRequest | None) -> None:
    audit.record(
        "reports.cap_feed", org_id=token.org_id, obj=token, request=request,
        detail={"token": token.pk},
    )  # fmt: skip
