"""Local responders (/alerts/responders/): each area's responders, who get the area's
life-safety alerts at once, and whether alerts can reach each of them now. The roster keeps the
responders (people.services); this page lives here because only alerts knows who is reachable."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salama.accounts.access import COORDINATING, roles
from salama.alerts import routing
from salama.people import services
from salama.people.forms import ResponderForm
from salama.people.models import Area, LocalResponder
from salama.people.views import _form_errors, org_of
from salama.safety.forms import area_label


@roles(*COORDINATING)
def responders(request: HttpRequest) -> HttpResponse:
    """Every area with its local responders (who get the area's life-safety alerts at once),
    whether the alerts can reach each of them now, and a form to add one. Shows codenames and
    labels, never a number."""
    org = org_of(request)
    form = ResponderForm(request.POST or None, org=org, initial={"area": request.GET.get("area")})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                responder = services.add_local_responder(
                    org=org,
                    area=form.cleaned_data["area"],
                    person=form.cleaned_data["codename"],
                    number=form.cleaned_data["number"],
                    label=form.cleaned_data["label"],
                    by=request.membership,  # type: ignore[attr-defined]
                    request=request,
                )
            except ValidationError as error:
                _form_errors(form, error)
            else:
                messages.success(
                    request,
                    _("The local responder was added to %(area)s.")
                    % {"area": area_label(responder.area)},
                )
                return redirect(f"{request.path}#area-{responder.area_id}")
        status = 400
    by_area = services.local_responders(org)
    rows = []
    for area in Area.objects.for_org(org):
        listed = by_area.get(area.pk, [])
        reachable = routing.reachable_responders(area.pk) if listed else set()
        rows.append({"area": area, "responders": [(r, r.pk in reachable) for r in listed]})
    return render(request, "alerts/responders.html", {"form": form, "rows": rows}, status=status)


@roles(*COORDINATING)
@require_POST
def responder_remove(request: HttpRequest) -> HttpResponse:
    """Remove the local responder named by the POST's `responder` (an id of this organisation).
    One already removed, by another coordinator say, is said so rather than a 404."""
    back = reverse("alerts:responders")
    raw = request.POST.get("responder", "")
    responder = (
        LocalResponder.objects.for_org(org_of(request))
        .select_related("area")
        .filter(pk=int(raw))
        .first()
        if raw.isdigit()
        else None
    )
    if responder is None:
        messages.error(request, _("This local responder is no longer registered."))
        return redirect(back)
    area = responder.area
    services.remove_local_responder(
        responder=responder,
        by=request.membership,  # type: ignore[attr-defined]
        request=request,
    )
    messages.success(
        request,
        _("The local responder was removed from %(area)s.") % {"area": area_label(area)},
    )
    return redirect(f"{back}#area-{area.pk}")
