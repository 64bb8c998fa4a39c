import json
from typing import Any


def test_list_persons_gives_codenames_only(coordinator: Any, roster: Any) -> None:
    response = coordinator.get("/api/persons")
    assert response.status_code == 200
    body = response.json()
    assert [p["codename"] for p in body] == ["K10", "K11", "K12", "K13", "K20", "K21"]
    text = json.dumps(body)
    for name in roster.names.values():
        assert name.split()[0] not in text
    assert "944000" not in text and "real_name" not in text


def test_list_persons_filters(coordinator: Any, roster: Any) -> None:
    team = roster.teams["south"].pk
    assert [p["codename"] for p in coordinator.get(f"/api/persons?team={team}").json()] == [
        "K20",
        "K21",
    ]
    assert [p["codename"] for p in coordinator.get("/api/persons?q=k12").json()] == ["K12"]


def test_get_one_person(coordinator: Any, roster: Any) -> None:
    person = roster.persons["K12"]
    body = coordinator.get(f"/api/persons/{person.pk}").json()
    assert body["codename"] == "K12" and body["team"] == "North"
    assert body["contact_points"] == 1 and body["shared_contact_points"] == 1
    assert body["has_real_name"] is True
    assert "Layla" not in json.dumps(body)


def test_other_organisations_person_is_not_found(clients: Any, roster: Any) -> None:
    person = roster.persons["K12"]
    assert clients["outsider"].get(f"/api/persons/{person.pk}").status_code == 404
    assert clients["outsider"].get("/api/persons").json() == []
    assert clients["observer"].get("/api/persons").status_code == 403
