from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from salama.accounts.access import login_only, public


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
    return render(request, "home.html")
