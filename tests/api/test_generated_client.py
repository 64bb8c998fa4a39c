"""A client generated from the OpenAPI schema by a public generator (openapi-python-client,
pinned in the dev extra), generated at test time into a temporary directory (never committed),
used against a live server as a partner's program would: records a check-in with an idempotency
key (and retries it), launches a roll call, reads the board. If the schema stops describing what
the server does — a header not declared, a status or body shape not listed — this breaks."""

import importlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from salama.api import api
from salama.safety.tokens import create_token
from tests.people.factories import build_roster

GENERATOR = shutil.which("openapi-python-client") or str(
    Path(sys.executable).with_name("openapi-python-client")
)


@pytest.fixture
def generated(tmp_path: Path) -> Any:
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(api.get_openapi_schema()))
    config = tmp_path / "config.yml"
    config.write_text("post_hooks: []\npackage_name_override: salama_client\n")
    subprocess.run(
        [GENERATOR, "generate", "--path", str(schema), "--config", str(config),
         "--meta", "none", "--output-path", str(tmp_path / "salama_client")],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("salama_client")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.split(".")[0] == "salama_client"]:
            del sys.modules[name]


def test_generated_client_checks_in_launches_a_roll_call_and_reads_the_board(
    generated: Any, live_server: Any, live_world: Any
) -> None:
    build_roster(live_world)
    token = create_token(
        user=live_world.users["coordinator"], org=live_world.org, name="partner tool"
    )
    client = generated.AuthenticatedClient(base_url=live_server.url, token=token)
    checkin = importlib.import_module("salama_client.api.safety.salama_safety_api_create_checkin")
    models = importlib.import_module("salama_client.models")

    body = models.CheckInIn(status=models.Status.SAFE, codename="K12")
    first = checkin.sync_detailed(client=client, body=body, idempotency_key="partner-0001")
    assert first.status_code == 201, first.content
    again = checkin.sync_detailed(client=client, body=body, idempotency_key="partner-0001")
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.parsed.id == first.parsed.id and first.parsed.codename == "K12"

    refused = checkin.sync_detailed(
        client=client, body=models.CheckInIn(status=models.Status.SAFE, codename="NOPE")
    )
    assert refused.status_code == 404 and isinstance(refused.parsed, models.Problem)
    assert refused.parsed.detail

    launch = importlib.import_module(
        "salama_client.api.rollcalls.salama_rollcalls_api_launch_launch_rollcall"
    )
    launched = launch.sync_detailed(
        client=client,
        body=models.LaunchIn(question="Reply", target=models.TargetIn(everyone=True), minutes=60),
    )
    assert launched.status_code == 201, launched.content
    assert launched.headers["Location"] == f"/api/rollcalls/{launched.parsed.number}"
    assert launched.parsed.state == "open" and sum(launched.parsed.counts.to_dict().values())

    board = importlib.import_module("salama_client.api.safety.salama_safety_api_board_summary")
    summary = board.sync(client=client)
    assert summary.total >= 6 and summary.counts.to_dict()["SAFE"] >= 1
