from typing import Any

import pytest
import time_machine

from salama.accounts.models import Membership
from tests.evacuation.helpers import coordinator_of, party
from tests.messaging import text_helpers
from tests.messaging.outbox_helpers import T0

roster = text_helpers.roster
local_gateway = text_helpers.local_gateway


@pytest.fixture
def clock_at_t0() -> Any:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def by(world: Any) -> Membership:
    return coordinator_of(world)


@pytest.fixture
def crossing(world: Any) -> Any:
    return party(world.org)
