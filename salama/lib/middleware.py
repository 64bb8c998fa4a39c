from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "interest-cohort=(), browsing-topics=()"
)


def security_headers(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:
    """Headers Django's SecurityMiddleware does not set. Pages are never cached by shared caches:
    they carry people's states."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if not request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return middleware
