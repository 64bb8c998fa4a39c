import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from salama.accounts.models import AuditEvent

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(configured: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in configured)


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: HttpRequest | None) -> str | None:
    """The client's address. Behind a trusted reverse proxy (SALAMA_TRUSTED_PROXIES: addresses
    or networks) it is the rightmost X-Forwarded-For entry that no trusted proxy added: what
    lies further left was written by the client and proves nothing. From anywhere else the
    header is ignored, so nobody can choose the address their attempts are counted under."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if remote is None or not networks or not _is_trusted(remote, networks):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([h for h in hops if h]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return remote  # a malformed chain: count it under the proxy, as before
        if not _is_trusted(hop, networks):
            return hop
    return remote


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
