from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from salama import metrics, views
from salama.accounts.admin import guard
from salama.api import api
from salama.messaging import views_field_login

# Off unless SALAMA_DEPLOYMENT_ADMIN is set; then Salama's login and second factor, superusers only.
guard(admin.site)
admin.site.site_header = "Salama deployment"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("accounts/", include("salama.accounts.urls")),
    # Field login by text (O1): short, so that the link fits one SMS.
    path("l/", views_field_login.request_link, name="login_link"),
    path("l/<str:token>", views_field_login.open_link, name="login_link_open"),
    path("people/", include("salama.people.urls")),
    path("safety/", include("salama.safety.urls")),
    path("alerts/", include("salama.alerts.urls")),
    path("messaging/", include("salama.messaging.urls")),
    path("privacy/", include("salama.privacy.urls")),
    path("rollcalls/", include("salama.rollcalls.urls")),
    path("facilities/", include("salama.facilities.urls")),
    path("evidence/", include("salama.evidence.urls")),
    path("incidents/", include("salama.incidents.urls")),
    path("reports/", include("salama.reports.urls")),
    path("evacuation/", include("salama.evacuation.urls")),
    path("webhooks/", include("salama.webhooks.urls")),
    path("negotiations/", include("salama.negotiations.urls")),
    path("api/", api.urls),
    path("deployment-admin/", admin.site.urls),
]
if settings.BENCH_FLOOR:  # benchmarks only (salama/bench_floor)
    urlpatterns.append(path("bench-floor/", include("salama.bench_floor.urls")))

handler403 = "salama.errors.forbidden"
handler404 = "salama.errors.not_found"
handler500 = "salama.errors.server_error"
