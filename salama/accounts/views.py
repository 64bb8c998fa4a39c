from typing import cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salama.accounts import audit, factors, lockout
from salama.accounts.access import login_only, public
from salama.accounts.forms import LanguageForm, LoginForm
from salama.accounts.middleware import SESSION_ORG, SESSION_SEEN, SESSION_STARTED
from salama.accounts.models import User
from salama.lib import clock


class SalamaLoginView(LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        request = self.request
        request.session["_salama_addr"] = audit.client_address(request)
        request.session["_salama_ua"] = request.META.get("HTTP_USER_AGENT", "")[:200]
        user = form.get_user()
        first = user.memberships.filter(is_active=True).order_by("org_id").first()
        if first:
            request.session[SESSION_ORG] = first.org_id
        now = int(clock.now().timestamp())
        request.session[SESSION_STARTED] = now
        request.session[SESSION_SEEN] = now
        audit.record(
            "login", actor_id=user.pk, org_id=first.org_id if first else None, request=request
        )
        if factors.requires_second_factor(user):
            target = reverse("accounts:second_factor")
            return redirect(f"{target}?{urlencode({'next': self.get_success_url()})}")
        lockout.remember_device(request, response, user.pk)
        return response


login = public(SalamaLoginView.as_view())  # type: ignore[arg-type]


@public
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit.record("logout", request=request)
    auth_logout(request)
    return redirect("accounts:login")


@login_only
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        audit.record("password_change", request=request)
        messages.success(request, _("Your password was changed."))
        return redirect("home")
    return render(request, "accounts/password_change.html", {"form": form})


@login_only
@require_POST
def switch_org(request: HttpRequest) -> HttpResponse:
    org_id = request.POST.get("org", "")
    if not org_id.isdigit():
        return HttpResponseBadRequest(_("Choose an organisation."))
    # A user's own memberships, across organisations: the one place that is not org-scoped.
    user = cast(User, request.user)
    membership = get_object_or_404(user.memberships, is_active=True, org_id=int(org_id))
    request.session[SESSION_ORG] = membership.org_id
    audit.record("switch_org", actor_id=request.user.pk, org_id=membership.org_id, request=None)
    return redirect("home")


@public
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Unknown language."))
    language = form.cleaned_data["language"]
    target = form.cleaned_data["next"] or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = redirect(target)
    response.set_cookie(
        "django_language", language, samesite="Lax", httponly=True, max_age=365 * 86400
    )
    if request.user.is_authenticated:
        request.user.language = language
        request.user.save(update_fields=["language"])
    translation.activate(language)
    return response
