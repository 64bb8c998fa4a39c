"""Data-protection pages: the organisation's retention and reveal settings, "phone lost or
seized" for a person or a member, and the emergency purge. Each action is a POST behind a recent
second factor; none shows a number or a name."""

from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salama.accounts.access import COORDINATING, ORG_ADMIN_ONLY, roles
from salama.accounts.access import require_recent_second_factor as reauth
from salama.accounts.models import Membership, Organisation
from salama.people.models import Person
from salama.privacy import policy, services
from salama.privacy.forms import PhoneLostForm, PolicyForm, PurgeForm
from salama.privacy.models import RetentionRun, RevealWatch
from salama.privacy.purge import purge_org


def _org(request: HttpRequest) -> Organisation:
    return request.org  # type: ignore[attr-defined]


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined]


@roles(*COORDINATING)
def overview(request: HttpRequest) -> HttpResponse:
    return _overview(request, None)


def _overview(request: HttpRequest, form: PolicyForm | None) -> HttpResponse:
    org = _org(request)
    context = {
        "settings": [(spec, policy.value(org, spec.key)) for spec in policy.SETTINGS],
        "runs": RetentionRun.objects.for_org(org)[:7],
        "watches": RevealWatch.objects.for_org(org).order_by("-alerted_at")[:10],
        "form": form or PolicyForm(org=org),
        "is_admin": _membership(request).role == "org_admin",
    }
    return render(request, "privacy/overview.html", context, status=400 if form else 200)


@roles(*ORG_ADMIN_ONLY)
@require_POST
def save_settings(request: HttpRequest) -> HttpResponse:
    form = PolicyForm(request.POST, org=_org(request))
    if not form.is_valid():
        return _overview(request, form)
    services.save_policy(org=_org(request), values=form.cleaned_data, request=request)
    return redirect("privacy:overview")


def _phone_lost(
    request: HttpRequest, *, person: Person | None, membership: Membership | None
) -> HttpResponse:
    points = services.phone_numbers(person=person, membership=membership)
    form = PhoneLostForm(
        request.POST or None, points=points, initial_ids=services.default_choice(points)
    )
    done = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                done = services.report_phone_lost(
                    by=_membership(request),
                    person=person,
                    membership=membership,
                    point_ids=form.chosen(),
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error.messages[0])
                status = 400
        else:
            status = 400
    if done is not None and done.user_id == request.user.pk:
        logout(request)
    context = {"person": person, "membership": membership, "form": form, "done": done}
    return render(request, "privacy/phone_lost.html", context, status=status)


@roles(*COORDINATING)
@reauth
def person_phone_lost(request: HttpRequest, person_id: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.for_org(_org(request)), pk=person_id)
    return _phone_lost(request, person=person, membership=None)


@roles(*COORDINATING)
@reauth
def member_phone_lost(request: HttpRequest, member_id: int) -> HttpResponse:
    membership = get_object_or_404(
        Membership.objects.for_org(_org(request)).select_related("user"), pk=member_id
    )
    return _phone_lost(request, person=None, membership=membership)


@roles(*ORG_ADMIN_ONLY)
@reauth
def purge(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    form = PurgeForm(request.POST or None, org=org)
    if request.method != "POST":
        return render(request, "privacy/purge.html", {"form": form})
    if not form.is_valid():
        return render(request, "privacy/purge.html", {"form": form}, status=400)
    if not org.is_active:
        raise PermissionDenied
    name = org.slug  # as the admin typed it: the purge replaces it
    purge_org(org=org, request=request)
    logout(request)
    return render(request, "privacy/purged.html", {"slug": name, "title": _("Purged")})
