from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salama.accounts.access import ORG_ADMIN_ONLY, roles
from salama.webhooks import services
from salama.webhooks.api import listed
from salama.webhooks.models import EVENTS, Endpoint


@roles(*ORG_ADMIN_ONLY)
def index(request: HttpRequest) -> HttpResponse:
    """The organisation's endpoints; adding one shows its signing secret once."""
    org = request.org  # type: ignore[attr-defined]
    secret, error = "", ""
    if request.method == "POST":
        try:
            _endpoint, secret = services.create_endpoint(
                org=org, url=request.POST.get("url", ""),
                events=request.POST.getlist("events"), request=request,
            )  # fmt: skip
        except ValidationError as exc:
            error = " ".join(exc.messages)
    context = {"endpoints": listed(org), "events": EVENTS, "secret": secret, "error": error}
    return render(request, "webhooks/index.html", context, status=400 if error else 200)


@roles(*ORG_ADMIN_ONLY)
@require_POST
def remove(request: HttpRequest) -> HttpResponse:
    org = request.org  # type: ignore[attr-defined]
    wanted = request.POST.get("endpoint", "")
    endpoint = Endpoint.objects.for_org(org).filter(pk=wanted).first() if wanted.isdigit() else None
    if endpoint is None:
        messages.error(request, _("Nothing was removed: use the Remove button in the list."))
    else:
        services.remove_endpoint(endpoint=endpoint, request=request)
        messages.success(request, _("The endpoint was removed."))
    return redirect("webhooks:index")
