"""The door to evacuation's services (the only writers): requests, clearance, the journey,
movements and their manifests. Pages, the API, the text commands and the worker call these."""

from salama.evacuation.base import EvacuationError
from salama.evacuation.clearance import is_cleared, record_clearance, refresh_cleared, save_party
from salama.evacuation.journey import legal_moves, move_journey
from salama.evacuation.manifest import (
    assign,
    assign_many,
    fill_from_queue,
    free_places,
    needed,
    unassign,
)
from salama.evacuation.movements import (
    Plan,
    add_vehicle,
    arrived_from,
    arrived_on_roll_call,
    change_plan,
    change_status,
    create_movement,
    move_evacuee,
    open_arrival_roll_call,
    route_of,
    seat_of,
)
from salama.evacuation.requests import (
    Dependant,
    RequestInput,
    approve_request,
    complete_request,
    create_request,
    details_of,
    override_band,
    record_outcome,
    refresh_scores,
)

__all__ = [
    "Dependant",
    "EvacuationError",
    "Plan",
    "RequestInput",
    "add_vehicle",
    "approve_request",
    "arrived_from",
    "arrived_on_roll_call",
    "assign",
    "assign_many",
    "change_plan",
    "change_status",
    "complete_request",
    "create_movement",
    "create_request",
    "details_of",
    "fill_from_queue",
    "free_places",
    "is_cleared",
    "legal_moves",
    "move_evacuee",
    "move_journey",
    "needed",
    "open_arrival_roll_call",
    "override_band",
    "record_clearance",
    "record_outcome",
    "refresh_cleared",
    "refresh_scores",
    "route_of",
    "save_party",
    "seat_of",
    "unassign",
]
