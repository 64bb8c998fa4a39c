"""S2 §5: schemathesis against the OpenAPI schema. Every operation, as every persona (anonymous,
each role, and a coordinator of another organisation), with 50 generated requests each (valid
and invalid by the schema), through the Django test client. Each request runs in a savepoint
that is rolled back, so the database stays as the test found it.

What must hold for every request:
- no 5xx;
- anonymous: 401;
- a role the operation does not allow: 403 (or 422 where the input is refused before the role
  is looked at: nothing is read or written then; or 401 when the generated request presents an
  API token of its own, which is not valid) — never a 2xx;
- the outsider, given the test organisation's objects in the path: never a 2xx on them.

Path parameters are filled with real objects of the test organisation half of the time (from
tests/access_samples.py) and by schemathesis otherwise. Hypothesis runs derandomised so CI is
repeatable; SALAMA_FUZZ_RANDOM=1 explores new inputs on each run.
"""

import contextlib
import json
import os
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import schemathesis
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from salama.api import api
from tests.access_samples import SAMPLES
from tests.test_role_matrix import PERSONAS, api_operations, client, role_of

EXAMPLES = 50
SCHEMA = schemathesis.openapi.from_dict(api.get_openapi_schema())
OPERATIONS = [(m, p) for m, p, _ in api_operations()]
ROLES_OF = {(m, p): view.salama_roles for m, p, view in api_operations()}


def strategy(method: str, path: str) -> Any:
    operation = SCHEMA[path][method]
    modes = [operation.as_strategy(generation_mode=GenerationMode.POSITIVE)]
    # An operation with nothing to get wrong (no parameters) has no negative cases.
    with contextlib.suppress(Exception):
        modes.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    return st.one_of(*modes)


def send(caller: Any, case: Any, path_values: dict[str, Any] | None) -> Any:
    if path_values:
        case.path_parameters = {**case.path_parameters, **path_values}
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    url = urlsplit(kwargs["url"])
    target = url.path + (f"?{url.query}" if url.query else "")
    params = kwargs.get("params")
    if params:
        target += ("&" if "?" in target else "?") + urlencode(params, doseq=True)
    headers = {
        k: v
        for k, v in (kwargs.get("headers") or {}).items()
        if k.lower() not in ("content-type", "content-length", "host", "cookie")
    }
    content_type = "application/json"
    if "json" in kwargs:
        body: bytes | str = json.dumps(kwargs["json"])
    else:
        body = kwargs.get("data") or b""
        content_type = (kwargs.get("headers") or {}).get("Content-Type", content_type)
    with transaction.atomic():
        response = caller.generic(
            kwargs["method"], target, body, content_type=content_type, headers=headers
        )
        transaction.set_rollback(True)
    return response


def judge(
    response: Any, persona: str, allowed: Any, real_object: bool, label: str, bearer: bool = False
) -> None:
    """`bearer`: the generated request carries its own Authorization header, so it presents a
    (made-up) API token: that is refused with 401 before any session is looked at."""
    status = response.status_code
    assert status < 500, f"{label}: server error {status}"
    if persona == "anon":
        assert status == 401, f"{label}: anonymous got {status}"
    elif persona == "outsider" and real_object:
        assert status >= 400, f"{label}: another organisation's object answered {status}"
    elif role_of(persona) not in allowed:
        refused = (403, 422, 401) if bearer else (403, 422)
        assert status in refused, f"{label}: a role not allowed got {status}"


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_operation_withstands_generated_input_as_every_persona(
    method: str, path: str, world: Any, clients: dict[str, Any], anon: Any
) -> None:
    allowed = ROLES_OF[(method, path)]
    names = [p.name for p in SCHEMA[path][method].path_parameters]
    real = {name: SAMPLES[name](world) for name in names}
    persona_clients = {persona: client(persona, clients, anon) for persona in PERSONAS}

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
        for persona, caller in persona_clients.items():
            response = send(caller, case, values)
            label = f"{method} {path} as {persona} ({case.path_parameters}, {case.query})"
            bearer = any(k.lower() == "authorization" for k in (case.headers or {}))
            judge(response, persona, allowed, values is not None, label, bearer)

    run()


def test_every_operation_is_fuzzed() -> None:
    assert len(OPERATIONS) >= 10
    assert set(OPERATIONS) == {
        (m.upper(), p) for p, ms in SCHEMA.raw_schema["paths"].items() for m in ms
    }
