"""Outbound webhook endpoints over JSON (org admins): list, add (the signing secret is in the
answer once), remove. The same services as /webhooks/."""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja import Status as Answer
from ninja.errors import HttpError

from salama.accounts.access import ORG_ADMIN_ONLY
from salama.lib.apiaccess import api_roles, located, org_of, pages
from salama.webhooks import services
from salama.webhooks.models import EVENTS, Endpoint

router = Router(tags=["webhooks"])


class EndpointIn(Schema):
    url: str = Field(..., min_length=8, max_length=300)
    events: list[str] = Field(
        ..., min_length=1, max_length=len(EVENTS), description=", ".join(EVENTS)
    )


class EndpointOut(Schema):
    id: int
    url: str
    events: list[str]
    is_active: bool
    created_at: datetime
    pending: int
    dead: int


class EndpointCreatedOut(EndpointOut):
    secret: str = Field(..., description="shown once: verify X-Salama-Signature with it")


def listed(org: Any) -> Any:
    return Endpoint.objects.for_org(org).annotate(
        pending=Count("deliveries", filter=Q(deliveries__state="pending")),
        dead=Count("deliveries", filter=Q(deliveries__state="dead")),
    )


def _out(e: Endpoint) -> dict[str, Any]:
    return {
        "id": e.pk, "url": e.url, "events": e.events, "is_active": e.is_active,
        "created_at": e.created_at, "pending": getattr(e, "pending", 0),
        "dead": getattr(e, "dead", 0),
    }  # fmt: skip


@router.get("/webhooks", response=list[EndpointOut])
@api_roles(*ORG_ADMIN_ONLY)
def list_endpoints(request: HttpRequest) -> list[dict[str, Any]]:
    """The organisation's endpoints (a handful: no pagination) with pending and dead counts."""
    return [_out(e) for e in listed(org_of(request))]


@router.post(
    "/webhooks",
    response={201: EndpointCreatedOut},
    openapi_extra=pages("webhooks:index", created=True),
)
@api_roles(*ORG_ADMIN_ONLY)
def create_endpoint(request: HttpRequest, response: HttpResponse, payload: EndpointIn) -> Answer:
    try:
        endpoint, secret = services.create_endpoint(
            org=org_of(request), url=payload.url, events=payload.events, request=request
        )
    except ValidationError as exc:
        raise HttpError(422, " ".join(exc.messages)) from exc
    located(response, "/webhooks")
    return Answer(201, {**_out(endpoint), "secret": secret})


class EndpointRemoved(Schema):
    removed: bool


@router.delete(
    "/webhooks/{endpoint_id}", response=EndpointRemoved, openapi_extra=pages("webhooks:remove")
)
@api_roles(*ORG_ADMIN_ONLY)
def remove_endpoint(request: HttpRequest, endpoint_id: int) -> dict[str, bool]:
    endpoint = get_object_or_404(Endpoint.objects.for_org(org_of(request)), pk=endpoint_id)
    services.remove_endpoint(endpoint=endpoint, request=request)
    return {"removed": True}
