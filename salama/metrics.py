"""`/metrics` for the operator's monitoring, in the Prometheus text format (X1 item 4).

Behind a bearer token (`SALAMA_METRICS_TOKEN`; without one the page does not exist). Totals for
the whole deployment, read fresh from the database on each scrape: no personal data, no
codenames, no area or organisation names — only counts, ages and job names.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from salama.accounts.access import public
from salama.alerts.models import Alert, AlertState, Severity
from salama.lib import clock
from salama.messaging.models import (
    PENDING_STATES,
    Delivery,
    DeliveryState,
    GatewayWarning,
    InboundMessage,
    Priority,
)
from salama.people.models import Person
from salama.worker.models import Heartbeat

INBOUND_WINDOW = timedelta(minutes=5)


def _gauge(name: str, doc: str, labels: Iterable[str] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"salama_{name}", doc, labels=list(labels))


def _single(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"salama_{name}", doc, value=value)


def _age(since: datetime | None) -> float:
    return max((clock.now() - since).total_seconds(), 0.0) if since else 0.0


def _by(queryset: object, field: str) -> dict[object, int]:
    return dict(queryset.values_list(field).annotate(n=Count("id")).order_by())  # type: ignore[attr-defined]


def outbox_metrics() -> Iterator[Metric]:
    pending = Delivery.objects.filter(state__in=PENDING_STATES)
    counted = _by(pending, "priority")
    depth = _gauge("outbox_depth", "Deliveries waiting to go out, by priority.", ["priority"])
    for priority in Priority:
        depth.add_metric([priority.name.lower()], counted.get(priority.value, 0))
    yield depth
    oldest = pending.filter(priority=Priority.LIFE_SAFETY).aggregate(at=Min("created_at"))["at"]
    yield _single(
        "outbox_oldest_life_safety_age_seconds",
        "Age of the oldest life-safety delivery still waiting (0 when none waits).",
        _age(oldest),
    )
    states = _by(Delivery.objects.all(), "state")
    by_state = _gauge("deliveries", "Deliveries by state.", ["state"])
    for state in DeliveryState:
        by_state.add_metric([state.value], states.get(state.value, 0))
    yield by_state


def worker_metrics() -> Iterator[Metric]:
    beats = _gauge(
        "worker_heartbeat_age_seconds",
        "Seconds since each worker job last finished a pass without an error.",
        ["job"],
    )
    for job, beat_at in Heartbeat.objects.order_by("job").values_list("job", "beat_at"):
        beats.add_metric([job], _age(beat_at))
    yield beats


def safety_metrics() -> Iterator[Metric]:
    yield _single(
        "overdue_persons",
        "Active persons past their check-in deadline.",
        Person.objects.filter(is_active=True, is_overdue=True).count(),
    )
    open_alerts = Alert.objects.filter(severity=Severity.LIFE_SAFETY).exclude(
        state=AlertState.CLOSED
    )
    yield _single(
        "open_life_safety_alerts",
        "Life-safety alerts not yet closed.",
        open_alerts.count(),
    )
    yield _single(
        "open_life_safety_alerts_unacknowledged",
        "Life-safety alerts nobody has acknowledged yet.",
        open_alerts.filter(state=AlertState.OPEN).count(),
    )


def messaging_metrics() -> Iterator[Metric]:
    since = clock.now() - INBOUND_WINDOW
    yield _single(
        "inbound_messages_last_5m",
        "Texts received in the last five minutes.",
        InboundMessage.objects.filter(received_at__gte=since).count(),
    )
    open_warnings = _by(GatewayWarning.objects.filter(cleared_at__isnull=True), "reason")
    warnings = _gauge("gateway_warnings_open", "Open gateway warnings by reason.", ["reason"])
    for reason in ("silent", "failing", "unknown_address"):
        warnings.add_metric([reason], open_warnings.get(reason, 0))
    yield warnings


class _Salama(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from outbox_metrics()
        yield from worker_metrics()
        yield from safety_metrics()
        yield from messaging_metrics()


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Salama())
    return registry


def _authorised(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN.encode()
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip().encode()
    return bool(given) and hmac.compare_digest(given, expected)


@public
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_TOKEN:
        raise Http404
    if not _authorised(request):
        response = HttpResponse("401 Unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
