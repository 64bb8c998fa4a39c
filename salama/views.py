from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from salama.accounts.access import COORDINATING, has_role, login_only, public
from salama.accounts.models import Role


@public
def healthz(request: HttpRequest) -> HttpResponse:
    """For monitors: the process answers and the database is reachable. Says nothing else."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "database unreachable"}, status=503)
    return JsonResponse({"status": "ok"})


@login_only
def home(request: HttpRequest) -> HttpResponse:
    # Coordinators start on the accountability board.
    if has_role(request, *COORDINATING):
        return redirect("safety:board")
    if has_role(request, Role.STAFF, Role.FIELD_LEAD) and request.method == "GET":
        # Field staff land on the check-in page itself: no extra round trip on a slow network.
        from salama.safety.views import field

        return field(request)
    if has_role(request, Role.OBSERVER, Role.LIAISON):
        return render(request, "home.html", {"overview": _overview(request)})
    return render(request, "home.html")


def _overview(request: HttpRequest) -> object:
    """The observer's and the liaison's home (U1 item 6): the board's counts, never a codename,
    a name or a place. It grows into the partner edition (reports) and, for the liaison, the
    negotiations of evacuation."""
    from salama.safety import selectors

    return selectors.board_summary(request.org, selectors.Filters())  # type: ignore[attr-defined]
