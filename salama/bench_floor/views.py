from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from salama.accounts.access import public
from salama.bench_floor.models import FloorRow
from salama.lib import clock


@csrf_exempt
@require_POST
@public
def insert_row(request: HttpRequest) -> HttpResponse:
    """The least a Django view can do per check-in: parse nothing, insert one row, answer JSON."""
    # _default_manager: type checkers see this model without the app installed.
    row = FloorRow._default_manager.create(
        created_at=clock.now(), payload=request.body[:200].decode(errors="replace")
    )
    return JsonResponse({"id": row.pk}, status=201)
