"""Property tests (hypothesis) of the journey state machine and the manifest (issue 27, "Done
when"): whatever sequence of assignments, removals, journey moves, movement status changes and
outcomes a coordinator tries, no evacuee reaches a state the transition table does not allow, no
vehicle is overfilled, nobody is on two active movements, and no family is split without the
evacuee's recorded choice."""

from __future__ import annotations

import contextlib
import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from salama.evacuation import services
from salama.evacuation.models import (
    JOURNEY_TRANSITIONS,
    ON_MANIFEST,
    JourneyState,
    JourneyStep,
    MovementStatus,
    Outcome,
    Request,
    Seat,
    Vehicle,
)
from salama.people.models import Person
from tests.evacuation.helpers import coordinator_of, movement, party, ready, request_for

pytestmark = pytest.mark.django_db
COUNTER = itertools.count()
FAMILIES = 4


def build_machine(world: Any) -> type[RuleBasedStateMachine]:
    by = coordinator_of(world)
    crossing = party(world.org)

    class Evacuation(RuleBasedStateMachine):
        @initialize(
            dependants=st.lists(st.integers(0, 3), min_size=FAMILIES, max_size=FAMILIES),
            together=st.lists(st.booleans(), min_size=FAMILIES, max_size=FAMILIES),
            linked=st.booleans(),
        )
        def setup(self, dependants: list[int], together: list[bool], linked: bool) -> None:
            n = next(COUNTER)
            persons = [
                Person.objects.create(org=world.org, codename=f"P{n}X{i}", role="nurse")
                for i in range(FAMILIES)
            ]
            self.requests = []
            for i, person in enumerate(persons):
                keep_with = persons[0] if linked and i == 1 else None
                row = request_for(
                    person, dependants=dependants[i], keep_with=keep_with, keep_together=together[i]
                )
                self.requests.append(ready(row, by, [crossing]))
            self.movements = [
                movement(world.org, by, vehicles=((4, 1), (3, 0))),
                movement(world.org, by, vehicles=((5, 1),)),
            ]

        def _request(self, i: int) -> Request:
            return Request.objects.get(pk=self.requests[i].pk)

        @rule(
            i=st.integers(0, FAMILIES - 1),
            m=st.integers(0, 1),
            v=st.integers(0, 2),
            fewer=st.integers(0, 3),
            split=st.booleans(),
        )
        def assign(self, i: int, m: int, v: int, fewer: int, split: bool) -> None:
            req = self._request(i)
            vehicles = list(self.movements[m].vehicles.order_by("number"))
            vehicle = vehicles[v] if v < len(vehicles) else None
            travelling = max(0, req.dependants - fewer)
            try:
                services.assign(
                    request=req,
                    movement=self.movements[m],
                    by=by,
                    vehicle=vehicle,
                    travelling=travelling,
                    split_chosen=split,
                )
            except services.EvacuationError as error:
                assert error.messages and all(error.messages)
                assert (
                    not Seat.objects.filter(request=req, is_active=True)
                    .exclude(movement__in=[mv.pk for mv in self.movements])
                    .exists()
                )

        @rule(i=st.integers(0, FAMILIES - 1))
        def unassign(self, i: int) -> None:
            with contextlib.suppress(services.EvacuationError):
                services.unassign(request=self._request(i), by=by)

        @rule(i=st.integers(0, FAMILIES - 1), to=st.sampled_from(JourneyState.values))
        def journey(self, i: int, to: str) -> None:
            before = self._request(i).journey
            legal = to in JOURNEY_TRANSITIONS[before] and to != JourneyState.ASSIGNED
            try:
                services.move_evacuee(request=self._request(i), to=to, by=by)
            except services.EvacuationError as error:
                assert not legal, f"{before} -> {to} refused: {error.messages}"
                assert self._request(i).journey == before
            else:
                assert legal, f"{before} -> {to} was allowed"
                assert self._request(i).journey == to

        @rule(m=st.integers(0, 1), to=st.sampled_from(MovementStatus.values))
        def status(self, m: int, to: str) -> None:
            with contextlib.suppress(services.EvacuationError):
                self.movements[m] = services.change_status(movement=self.movements[m], to=to, by=by)

        @rule(i=st.integers(0, FAMILIES - 1), outcome=st.sampled_from(Outcome.values))
        def outcome(self, i: int, outcome: str) -> None:
            with contextlib.suppress(services.EvacuationError):
                services.record_outcome(request=self._request(i), outcome=outcome, by=by)

        @invariant()
        def no_vehicle_is_overfilled(self) -> None:
            for vehicle in Vehicle.objects.filter(movement__in=[m.pk for m in self.movements]):
                seats = Seat.objects.filter(vehicle=vehicle, is_active=True)
                assert sum(s.seats for s in seats) <= vehicle.seats
                assert sum(s.stretchers for s in seats) <= vehicle.stretchers

        @invariant()
        def nobody_is_on_two_movements_and_seats_match_journeys(self) -> None:
            for req in Request.objects.filter(pk__in=[r.pk for r in self.requests]):
                active = Seat.objects.filter(request=req, is_active=True).count()
                assert active <= 1
                if req.is_open:
                    assert (req.journey in ON_MANIFEST) == (active == 1), (req.journey, active)
                elif req.journey != JourneyState.ARRIVED:
                    assert active == 0

        @invariant()
        def no_family_is_split_without_the_recorded_choice(self) -> None:
            ids = [r.pk for r in self.requests]
            for seat in Seat.objects.filter(request_id__in=ids, is_active=True).select_related(
                "request"
            ):
                if seat.travelling < seat.request.keep_together:
                    assert seat.split_chosen
                if seat.request.keep_with_id is not None:
                    partner = Seat.objects.filter(
                        is_active=True,
                        request__person_id=seat.request.keep_with_id,
                        request__outcome="",
                    ).first()
                    if partner is not None and partner.movement_id != seat.movement_id:
                        assert seat.split_chosen or partner.split_chosen

        @invariant()
        def every_step_is_a_legal_transition(self) -> None:
            for req in Request.objects.filter(pk__in=[r.pk for r in self.requests]):
                steps = list(JourneyStep.objects.filter(request=req).order_by("pk"))
                state = JourneyState.REQUESTED
                for step in steps:
                    assert step.from_state == state
                    assert step.to_state in JOURNEY_TRANSITIONS[state]
                    state = JourneyState(step.to_state)
                assert req.journey == state

    return Evacuation


def test_no_sequence_of_actions_breaks_the_journey_or_the_manifest(world: Any) -> None:
    machine = build_machine(world)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=12,
            stateful_step_count=25,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
