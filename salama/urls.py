from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.urls import include, path

from salama import metrics, views
from salama.api import api


def _superuser_only(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


admin.site.has_permission = _superuser_only  # type: ignore[method-assign]
admin.site.site_header = "Salama deployment"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("accounts/", include("salama.accounts.urls")),
    path("people/", include("salama.people.urls")),
    path("safety/", include("salama.safety.urls")),
    path("alerts/", include("salama.alerts.urls")),
    path("messaging/", include("salama.messaging.urls")),
    path("privacy/", include("salama.privacy.urls")),
    path("rollcalls/", include("salama.rollcalls.urls")),
    path("api/", api.urls),
    path("deployment-admin/", admin.site.urls),
]
if settings.BENCH_FLOOR:  # benchmarks only (salama/bench_floor)
    urlpatterns.append(path("bench-floor/", include("salama.bench_floor.urls")))

handler403 = "salama.errors.forbidden"
handler404 = "salama.errors.not_found"
