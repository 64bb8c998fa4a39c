"""The JSON API at /api/, with its OpenAPI schema and docs at /api/docs (local static files).
Session authentication (with CSRF) for the pages' own calls; per-user tokens are added in
salama.safety (F3). Each app contributes a router."""

from importlib import import_module
from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from ninja.constants import NOT_SET
from ninja.parser import Parser

from salama.accounts.access import ALL_ROLES
from salama.accounts.models import User
from salama.alerts.api import router as alerts_router
from salama.evacuation.api import router as evacuation_router
from salama.evidence.api import router as evidence_router
from salama.facilities.api import router as facilities_router
from salama.incidents.api import router as incidents_router
from salama.lib import problems
from salama.lib.apiaccess import api_roles, session_auth
from salama.messaging.api import router as messaging_router
from salama.negotiations.api import router as negotiations_router
from salama.people.api import router as people_router
from salama.reports.api import router as reports_router
from salama.rollcalls.api import router as rollcalls_router
from salama.safety.api import router as safety_router
from salama.safety.batch import router as batch_router
from salama.safety.tokens import TokenAuth, gated
from salama.webhooks.api import router as webhooks_router

ACCEPT_LANGUAGE = {
    "in": "header",
    "name": "Accept-Language",
    "required": False,
    "description": "ar or en: the language of `detail` in errors for token clients (a signed-in "
    "session uses the user's own language).",
    "schema": {"type": "string"},
}


def default_errors(method: str, path: str, operation: dict[str, Any]) -> set[int]:
    """What any operation can answer besides what it declares: 401 and 403 (every operation needs
    a member's login or token), 422 when it takes input, 404 when its path names an object,
    400 and 409 when it writes (a body that is not JSON; a unique constraint)."""
    codes = {401, 403} if operation.get("security") else set()
    parameters = [p for p in operation.get("parameters", []) if p.get("in") != "header"]
    if parameters or "requestBody" in operation:
        codes.add(422)
    if any(p.get("in") == "path" for p in parameters):
        codes.add(404)
    if method.lower() in ("post", "put", "patch", "delete"):
        codes |= {400, 409}
    return codes


class ObjectBodies(Parser):
    """Every operation's body is one JSON object: any other JSON (`true`, a list, a number) is a
    400 before any field is read, even where every field has a default (the fuzzer found
    `true` accepted as an empty override)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data


class SalamaAPI(NinjaAPI):
    """The schema as clients see it: error answers as problem details (salama/lib/problems.py),
    the `Accept-Language` header declared on every operation. And every operation that declares
    its roles (`api_roles`) and no authentication of its own checks the role while
    authenticating (token or session, `gated`), before its input is parsed: a role that may not
    call it gets 403 whatever it sent, never a validation error about input it may not send."""

    def _get_bound_routers(self) -> Any:
        fresh = self._bound_routers_cache is None
        bound = super()._get_bound_routers()
        if fresh:
            for router in bound:
                for path_view in router.path_operations.values():
                    for operation in path_view.operations:
                        allowed = getattr(operation.view_func, "salama_roles", None)
                        if allowed and operation.auth_param is NOT_SET:
                            operation._set_auth(gated(*allowed))
        return bound

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        problems.document(schema, default_errors)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                parameters = operation.setdefault("parameters", [])
                if not any(p.get("name") == "Accept-Language" for p in parameters):
                    parameters.append(ACCEPT_LANGUAGE)
        return schema


api = SalamaAPI(
    parser=ObjectBodies(),
    title="Salama",
    version="1",
    description="Check-ins, roster (codenames only), board and events.",
    auth=[TokenAuth(), session_auth],  # token first: session auth refuses on CSRF at once
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


# Operations in more modules of an app join that app's router (one router per app: one URL
# pattern per path, so GET and PATCH of one path meet).
for module in (
    "people.api_roster",
    "safety.api_decisions",
    "alerts.api_duty",
    "rollcalls.api_launch",
    "facilities.api_roster",
):
    import_module(f"salama.{module}")
api.add_router("/", people_router)
api.add_router("/", safety_router)
api.add_router("/", batch_router)  # P1: POST /checkins/batch
api.add_router("/", alerts_router)
api.add_router("/", messaging_router)
api.add_router("/", rollcalls_router)
api.add_router("/", facilities_router)  # FA1
api.add_router("/", evidence_router)  # L1
api.add_router("/", incidents_router)  # I1
api.add_router("/", evacuation_router)  # E1
api.add_router("/", negotiations_router)  # E2
api.add_router("/", reports_router)  # X1: sitreps and report settings
api.add_router("/", webhooks_router)  # X1
# Every error, from every router, as RFC 9457 problem details (docs/api.md).
problems.register(api)
