"""Reads for the outbox pages."""

from dataclasses import dataclass

from django.db.models import QuerySet

from salama.accounts.models import Organisation
from salama.lib.sms import segments
from salama.messaging import texts
from salama.messaging.models import Delivery, DeliveryState, MessageTemplate, Suppression

PAGE_LIMIT = 500


def problem_deliveries(org: Organisation) -> QuerySet[Delivery]:
    """Failed (will retry) and dead deliveries, newest change first."""
    return (
        Delivery.objects.for_org(org)
        .filter(state__in=[DeliveryState.FAILED, DeliveryState.DEAD])
        .select_related("message__contact_point")
        .prefetch_related("message__contact_point__persons")
        .order_by("-updated_at", "-id")[:PAGE_LIMIT]
    )


def sent_deliveries(org: Organisation) -> QuerySet[Delivery]:
    """Handed to their channel (sent, or confirmed delivered), newest change first."""
    return (
        Delivery.objects.for_org(org)
        .filter(state__in=[DeliveryState.SENT, DeliveryState.DELIVERED])
        .select_related("message__contact_point")
        .prefetch_related("message__contact_point__persons")
        .order_by("-updated_at", "-id")[:PAGE_LIMIT]
    )


def suppressions(org: Organisation, *, released: bool = False) -> QuerySet[Suppression]:
    return (
        Suppression.objects.for_org(org)
        .filter(released_at__isnull=not released)
        .select_related("message__contact_point")
        .prefetch_related("message__contact_point__persons")
        .order_by("-created_at", "-id")[:PAGE_LIMIT]
    )


@dataclass(frozen=True)
class TextRow:
    key: str
    language: str
    body: str
    is_custom: bool
    encoding: str
    segments: int
    help: str


def text_row(
    org: Organisation, key: str, language: str, custom: dict[tuple[str, str], str]
) -> TextRow:
    body = custom.get((key, language)) or texts.default_body(key, language)
    encoding, count = segments(texts.sample_text(key, body))
    return TextRow(
        key=key,
        language=language,
        body=body,
        is_custom=(key, language) in custom,
        encoding=encoding,
        segments=count,
        help=str(texts.TEXTS[key].help),
    )


def text_rows(org: Organisation) -> list[TextRow]:
    custom = {
        (t.key, t.language): t.body
        for t in MessageTemplate.objects.for_org(org).only("key", "language", "body")
    }
    return [
        text_row(org, key, language, custom)
        for key in sorted(texts.TEXTS)
        for language in texts.LANGUAGES
    ]
