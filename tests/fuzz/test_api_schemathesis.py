"""schemathesis over the OpenAPI schema as a real client uses the API: every operation, as every
persona (anonymous, each role with its own API token, and a coordinator of another organisation
with theirs), requests generated from the schema (valid and invalid), sent in-process through the
WSGI application (the whole middleware stack, as on the wire) and judged by ALL of schemathesis'
checks — status codes, media types, headers and bodies as the schema declares them, invalid data
refused, valid data not refused as malformed, authentication enforced, methods the path does not
have answered 405 — plus ours:

- anonymous: 401; a role the operation does not allow: 403 (or 422 where the input is refused
  before the role is looked at; nothing is read or written then) — never a 2xx;
- the outsider, given the test organisation's objects in the path: never a 2xx on them;
- a request the schema calls valid is never refused as malformed (a `validation` problem): the
  schema says what the server accepts.

Each request runs in a savepoint that is rolled back, so the database stays as the test found
it. Path parameters are real objects of the test organisation half of the time
(tests/access_samples.py).
Hypothesis runs derandomised so CI is repeatable; SALAMA_FUZZ_RANDOM=1 explores new inputs; the
number of examples per operation is bounded (SALAMA_FUZZ_EXAMPLES, default 12) so the suite
stays quick: every persona receives every generated request.
"""

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode

from salama.api import api
from salama.safety.tokens import create_token
from tests.access_samples import SAMPLES
from tests.test_role_matrix import api_operations, role_of

EXAMPLES = int(os.environ.get("SALAMA_FUZZ_EXAMPLES", "12"))
PERSONAS = ["anon", "org_admin", "coordinator", "lead", "staff", "observer", "liaison", "outsider"]
# Valid by the schema but refused by a rule of the domain (an unknown area, a closed roll call):
# 422 with a problem that is not `validation`; `no_malformed_refusal` below keeps the schema honest.
ACCEPTED = ["2xx", "401", "403", "404", "409", "422"]
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
        # Each persona sends its own token: generated credentials would test nothing of ours.
        "generation": {"with-security-parameters": False},
    }
)
SCHEMA = schemathesis.openapi.from_dict(api.get_openapi_schema(), config=CONFIG)
SCHEMA.config.update(base_url="http://localhost")
APP = WSGIHandler()
SCHEMA.app = APP  # in-process: schemathesis' probes (other methods, no auth) go there too
OPERATIONS = [(m, p) for m, p, _ in api_operations()]
ROLES_OF = {(m, p): view.salama_roles for m, p, view in api_operations()}


@schemathesis.check
def no_malformed_refusal(ctx: Any, response: Any, case: Any) -> bool | None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    body = response.json()
    assert body.get("type") != "/api/problems/validation", f"schema-valid input refused: {body}"
    return None


def strategy(method: str, path: str) -> Any:
    operation = SCHEMA[path][method]
    modes = [operation.as_strategy(generation_mode=GenerationMode.POSITIVE)]
    # An operation with nothing to get wrong (no parameters) has no negative cases.
    with contextlib.suppress(Exception):
        modes.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    return st.one_of(*modes)


@pytest.fixture
def tokens(world: Any) -> dict[str, str | None]:
    found: dict[str, str | None] = {"anon": None}
    for persona in PERSONAS[1:]:
        org = world.other_org if persona == "outsider" else world.org
        found[persona] = create_token(user=world.users[persona], org=org, name="fuzz")
    return found


@pytest.fixture
def in_process() -> Iterator[None]:
    """The WSGI handler closes the database connection after each request; the test's
    transaction must survive it, as the Django test client arranges for itself."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def judge(status: int, persona: str, allowed: Any, real_object: bool, label: str) -> None:
    assert status < 500, f"{label}: server error {status}"
    if persona == "anon":
        assert status in (401, 405), f"{label}: anonymous got {status}"
    elif persona == "outsider" and real_object:
        assert status >= 400, f"{label}: another organisation's object answered {status}"
    elif role_of(persona) not in allowed:
        assert status in (401, 403, 422), f"{label}: a role not allowed got {status}"


def strip_auth(case: Any) -> None:
    """Generated credentials would be another identity than the persona's: the persona's token
    (or none) is what is sent. Generated cookies likewise."""
    for name in [k for k in (case.headers or {}) if k.lower() in ("authorization", "cookie")]:
        del case.headers[name]
    case.cookies = {}


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_operation_passes_all_checks_as_every_persona(
    method: str, path: str, world: Any, tokens: dict[str, str | None], in_process: None
) -> None:
    allowed = ROLES_OF[(method, path)]
    names = [p.name for p in SCHEMA[path][method].path_parameters]
    real = {name: SAMPLES[name](world) for name in names}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=os.environ.get("SALAMA_FUZZ_RANDOM") != "1",
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy(method, path), use_real=st.booleans())
    def run(case: Any, use_real: bool) -> None:
        values = real if (use_real and real) else None
        if values:
            case.path_parameters = {**case.path_parameters, **values}
        strip_auth(case)
        for persona in PERSONAS:
            token = tokens[persona]
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            with transaction.atomic():
                response = case.call(headers=headers)
                label = f"{method} {path} as {persona} ({case.path_parameters}, {case.query})"
                judge(response.status_code, persona, allowed, values is not None, label)
                case.validate_response(
                    response,
                    additional_checks=[no_malformed_refusal],
                    headers=headers,
                    transport_kwargs={"headers": headers},
                )
                transaction.set_rollback(True)

    run()


def test_every_operation_is_fuzzed() -> None:
    assert len(OPERATIONS) >= 10
    assert set(OPERATIONS) == {
        (m.upper(), p) for p, ms in SCHEMA.raw_schema["paths"].items() for m in ms
    }
