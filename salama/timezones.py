"""One time-zone rule (U1 item 3): pages show times in the viewer's zone — their own (the
duty profile's) or else their organisation's — and name it once per page (base.html); texts
use the organisation's (messaging.texts.local_time). This module stands above every app."""

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


def viewer_zone(request: HttpRequest) -> str | None:
    membership = getattr(request, "membership", None)
    if membership is None:
        return None
    from salama.alerts.rota import zone_for

    return zone_for(membership)


def viewer_time_zone(get_response: Callable[[HttpRequest], HttpResponse]) -> Any:
    """Activate the viewer's zone for the whole request; `request.viewer_zone` names it."""

    def middleware(request: HttpRequest) -> HttpResponse:
        zone = viewer_zone(request)
        request.viewer_zone = zone  # type: ignore[attr-defined]
        if zone is None:
            return get_response(request)
        timezone.activate(ZoneInfo(zone))
        try:
            return get_response(request)
        finally:
            timezone.deactivate()

    return middleware


def zone_name(request: HttpRequest) -> dict[str, Any]:
    """Context: the zone every time on the page is in, named once (base.html)."""
    return {"viewer_zone": getattr(request, "viewer_zone", None)}
