from typing import Any

from django.http import HttpRequest

from salama.accounts.models import AuditEvent


def client_address(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    *,
    org_id: int | None = None,
    actor_id: int | None = None,
    obj: Any = None,
    request: HttpRequest | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit row. `detail` holds ids and codes only, never names or free text."""
    if request is not None:
        actor_id = actor_id or getattr(request.user, "pk", None)
        org = getattr(request, "org", None)
        org_id = org_id or (org.pk if org else None)
    return AuditEvent.objects.create(
        org_id=org_id,
        actor_id=actor_id,
        action=action,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        detail=detail or {},
        address=client_address(request),
    )
