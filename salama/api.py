"""The JSON API at /api/, with its OpenAPI schema and docs at /api/docs (local static files).
Session authentication (with CSRF) for the pages' own calls; per-user tokens are added in
salama.safety (F3). Each app contributes a router."""

from django.db import DataError
from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from ninja.security import django_auth

from salama.accounts.access import ALL_ROLES
from salama.accounts.models import User
from salama.alerts.api import router as alerts_router
from salama.evacuation.api import router as evacuation_router
from salama.facilities.api import router as facilities_router
from salama.lib.apiaccess import api_roles
from salama.messaging.api import router as messaging_router
from salama.negotiations.api import router as negotiations_router
from salama.people.api import router as people_router
from salama.privacy.apierrors import out_of_range
from salama.rollcalls.api import router as rollcalls_router
from salama.safety.api import router as safety_router
from salama.safety.tokens import TokenAuth

api = NinjaAPI(
    title="Salama",
    version="1",
    description="Check-ins, roster (codenames only), board and events.",
    auth=[TokenAuth(), django_auth],  # token first: session auth refuses on CSRF at once
    urls_namespace="api",
)


class Me(Schema):
    user_id: int
    organisation: str | None
    role: str | None
    language: str


@api.get("/me", response=Me, tags=["accounts"])
@api_roles(*ALL_ROLES)
def me(request: HttpRequest) -> Me:
    membership = getattr(request, "membership", None)
    user = request.user
    assert isinstance(user, User)
    return Me(
        user_id=user.pk,
        organisation=membership.org.slug if membership else None,
        role=membership.role if membership else None,
        language=user.language,
    )


api.add_router("/", people_router)
api.add_router("/", safety_router)
api.add_router("/", alerts_router)
api.add_router("/", messaging_router)
api.add_router("/", rollcalls_router)
api.add_router("/", facilities_router)  # FA1
api.add_router("/", evacuation_router)  # E1
api.add_router("/", negotiations_router)  # E2
# Numbers too large for a database column are the caller's error, never a 5xx (S2 fuzzing).
api.add_exception_handler(OverflowError, out_of_range)
api.add_exception_handler(DataError, out_of_range)
