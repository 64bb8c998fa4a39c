"""Retention: once a day per organisation, erase what is older than the organisation keeps it.

A rule names a model, the encrypted fields to erase, the time field that dates a row, and the
organisation setting (salama.privacy.policy) that says how long to keep it. Rows stay: only the
text is erased, so area-level history and counts survive. Built-in rules cover exact locations
of people, check-in notes and raw inbound texts (messaging.InboundMessage, when installed);
any other model can take part by declaring a class attribute

    retention = {"fields": ["body"], "age_field": "received_at",
                 "setting": "retention_inbound_days", "unit": "days"}

A model without an `org` foreign key cannot take part.

The run is claimed with a RetentionRun row per organisation and day (unique), so the job is a
single cheap query on the days it has nothing to do, and two workers never both run it.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.apps import apps
from django.db import IntegrityError, models, transaction

from salama.accounts import audit
from salama.accounts.models import Organisation
from salama.evidence import services as evidence
from salama.lib import clock
from salama.privacy import policy
from salama.privacy.models import RetentionRun


@dataclass(frozen=True)
class Rule:
    name: str
    model: str  # "app_label.ModelName"
    fields: tuple[str, ...]
    age_field: str
    setting: str
    unit: str = "days"  # or "hours"
    clear_also: tuple[str, ...] = ()  # plain fields set to None with the text
    # When the age field is empty (a row written before it was kept), this one dates the row.
    fallback_age_field: str = ""
    # Rows matching this are left alone (e.g. an inbound text not yet handled).
    keep: tuple[tuple[str, Any], ...] = ()


BUILT_IN = (
    Rule(
        "exact_location",
        "people.Person",
        ("exact_location",),
        "exact_location_at",
        "retention_exact_location_hours",
        unit="hours",
        clear_also=("exact_location_at",),
        fallback_age_field="created_at",
    ),
    Rule(
        "checkin_note",
        "safety.CheckIn",
        ("note", "source"),
        "received_at",
        "retention_checkin_note_days",
    ),
    # Raw inbound texts (M1): the body and the sender's number; the keyed hash, the action taken
    # and the check-in it made stay. A text not yet handled is kept until it is.
    Rule(
        "inbound_text",
        "messaging.InboundMessage",
        ("body", "sender"),
        "received_at",
        "retention_inbound_days",
        keep=(("state__in", ("received", "failed")),),
    ),
)


def declared_rules() -> list[Rule]:
    """Rules declared by models through a `retention` class attribute."""
    found = []
    for model in apps.get_models():
        spec: dict[str, Any] | None = getattr(model, "retention", None)
        if not isinstance(spec, dict):
            continue
        fields = spec.get("fields") or [spec["field"]]
        found.append(
            Rule(
                name=spec.get("name", model._meta.label_lower.replace(".", "_")),
                model=model._meta.label,
                fields=tuple(fields),
                age_field=spec["age_field"],
                setting=spec.get("setting", "retention_inbound_days"),
                unit=spec.get("unit", "days"),
            )
        )
    return found


def _installed(rule: Rule) -> bool:
    try:
        apps.get_model(rule.model)
    except LookupError:
        return False
    return True


def rules() -> list[Rule]:
    """The built-in rules whose model is installed, then those models declare (a model with a
    built-in rule is not counted twice)."""
    built_in = [rule for rule in BUILT_IN if _installed(rule)]
    covered = {rule.model for rule in built_in}
    return [*built_in, *(r for r in declared_rules() if r.model not in covered)]


def limit_of(org: Organisation, rule: Rule) -> timedelta:
    if rule.setting in policy.BY_KEY:
        amount = policy.value(org, rule.setting)
    else:
        amount = int(org.setting(rule.setting, 30))
    return timedelta(hours=amount) if rule.unit == "hours" else timedelta(days=amount)


def apply_rule(org: Organisation, rule: Rule, now: datetime) -> int:
    """Erase the rule's fields on the organisation's rows dated before the limit; returns how
    many rows changed. Only rows that still hold text are touched."""
    model: type[models.Model] = apps.get_model(rule.model)
    cutoff = now - limit_of(org, rule)
    holding = models.Q()
    for name in rule.fields:
        holding |= ~models.Q(**{name: ""})
    old = models.Q(**{f"{rule.age_field}__lt": cutoff})
    if rule.fallback_age_field:
        old |= models.Q(**{f"{rule.age_field}__isnull": True}) & models.Q(
            **{f"{rule.fallback_age_field}__lt": cutoff}
        )
    rows = model._base_manager.filter(old, org_id=org.pk)
    for lookup, value in rule.keep:
        rows = rows.exclude(**{lookup: value})
    changes: dict[str, Any] = {name: "" for name in rule.fields}
    changes |= {name: None for name in rule.clear_also}
    return rows.filter(holding).update(**changes)


def today(now: datetime) -> date:
    return now.date()


def due_organisations(now: datetime) -> list[Organisation]:
    done = RetentionRun.objects.filter(day=today(now)).values("org_id")
    return list(Organisation.objects.filter(is_active=True).exclude(pk__in=done).order_by("pk"))


def claim(org: Organisation, now: datetime) -> RetentionRun | None:
    try:
        with transaction.atomic():
            return RetentionRun.objects.create(org=org, day=today(now), started_at=now)
    except IntegrityError:
        return None


def apply_retention(*, org: Organisation, now: datetime | None = None) -> dict[str, int]:
    """Apply every rule to one organisation now, in one transaction; returns counts by rule."""
    now = now or clock.now()
    with transaction.atomic():
        counts = {rule.name: apply_rule(org, rule, now) for rule in rules()}
        days = policy.value(org, "retention_evidence_days")
        counts["evidence_records"] = evidence.shred_older_than(
            org_id=org.pk, before=now - timedelta(days=days)
        )
        return counts


def run_retention(now: datetime | None = None) -> bool:
    """The daily job: each active organisation not yet done today is claimed, cleaned and
    recorded (RetentionRun.counts and an audit row "retention.run"). Returns whether it did
    anything."""
    now = now or clock.now()
    did = False
    for org in due_organisations(now):
        run = claim(org, now)
        if run is None:
            continue
        counts = apply_retention(org=org, now=now)
        run.counts = counts
        run.finished_at = clock.now()
        run.save(update_fields=["counts", "finished_at"])
        audit.record("retention.run", org_id=org.pk, obj=run, detail={"counts": counts})
        did = True
    return did
