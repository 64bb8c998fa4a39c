"""Every API error is RFC 9457 problem details: `application/problem+json` with type, title,
status and a translated `detail`; and the schema lists each status an operation answers."""

import json
from typing import Any

import pytest
from django.test import Client

from salama.api import api
from salama.safety.tokens import create_token

PROBLEM = "application/problem+json"


def bearer(world: Any, username: str, **extra: str) -> dict[str, str]:
    token = create_token(user=world.users[username], org=world.org, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {token}", **extra}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["type"] and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body  # type: ignore[no-any-return]


@pytest.mark.django_db
def test_each_kind_of_error_is_a_problem_document(world: Any) -> None:
    assert_problem(Client().get("/api/board"), 401)
    assert Client().get("/api/board")["WWW-Authenticate"] == "Bearer"
    assert_problem(Client().get("/api/board", **bearer(world, "staff")), 403)
    assert_problem(Client().get("/api/persons/999999", **bearer(world, "coordinator")), 404)
    assert_problem(Client().get("/api/no-such-thing", **bearer(world, "coordinator")), 404)
    assert_problem(Client().get("/api/persons/abc", **bearer(world, "coordinator")), 422)
    invalid = Client().post(
        "/api/checkins",
        json.dumps({"status": "MAYBE"}),
        content_type="application/json",
        **bearer(world, "staff"),
    )
    body = assert_problem(invalid, 422)
    assert body["errors"] and body["errors"][0]["loc"][-1] == "status"


@pytest.mark.django_db
def test_detail_follows_accept_language_for_a_token_client(world: Any) -> None:
    headers = bearer(world, "staff", HTTP_ACCEPT_LANGUAGE="ar")
    arabic = assert_problem(Client().get("/api/board", **headers), 403)["detail"]
    english = assert_problem(Client().get("/api/board", **bearer(world, "staff")), 403)["detail"]
    assert arabic != english and any("\u0600" <= ch <= "\u06ff" for ch in arabic)


@pytest.mark.django_db
def test_a_number_too_large_for_the_database_is_a_422_problem(world: Any) -> None:
    response = Client().get(f"/api/persons/{2**70}", **bearer(world, "coordinator"))
    assert response.status_code in (404, 422)
    assert response["Content-Type"] == PROBLEM


def test_schema_lists_error_answers_as_problems_and_the_declared_headers() -> None:
    schema = api.get_openapi_schema()
    assert schema["components"]["schemas"]["Problem"]["required"] == [
        "type", "title", "status", "detail"
    ]  # fmt: skip
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert {"401", "403"} <= set(responses), f"{method} {path}"
            for code, answer in responses.items():
                if int(code) >= 400:
                    assert list(answer["content"]) == [PROBLEM], f"{method} {path} {code}"
            names = {p["name"] for p in operation["parameters"]}
            assert "Accept-Language" in names, f"{method} {path}"
            if any(p["in"] == "path" for p in operation["parameters"]):
                assert "404" in responses, f"{method} {path}"
    checkin = schema["paths"]["/api/checkins"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in checkin["parameters"]}
    assert "Idempotent-Replayed" in checkin["responses"]["201"]["headers"]


def test_schema_names_are_unique_across_apps() -> None:
    """Two apps' schemas with one name become one component in the OpenAPI document, and an
    operation is then described by the other app's shape (evacuation's and negotiations'
    parties once did): every schema class an API module declares has its own name."""
    import ast
    from collections import Counter
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "salama"
    names: Counter[str] = Counter()
    for path in [*root.glob("*/api*.py"), *root.glob("*/batch.py")]:
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef) and any(
                getattr(base, "id", "") == "Schema" for base in node.bases
            ):
                names[node.name] += 1
    assert [name for name, n in names.items() if n > 1] == []


@pytest.mark.django_db
def test_a_body_that_is_not_a_json_object_is_a_400(world: Any) -> None:
    """Every operation's body is one JSON object; `true` or a list is refused before any field
    is read (an override whose fields all had defaults once took `true` as an empty one)."""
    for body in ("true", "[]", "3"):
        answer = Client().post(
            "/api/checkins", body, content_type="application/json", **bearer(world, "staff")
        )
        assert_problem(answer, 400)
