"""The door to negotiations' services (the only writers): parties, the negotiation log,
notification packages and the two-person rule, consent. Pages and the API call these."""

from salama.negotiations.base import NegotiationError
from salama.negotiations.consent import consent_holds, record_consent
from salama.negotiations.packages import (
    Named,
    PackageInput,
    VehicleLine,
    approve,
    content_of,
    create_package,
    current,
    draft_from,
    export,
    input_of,
    is_approved,
    lead_warning,
    missing_consents,
    record_submission,
    revise,
)
from salama.negotiations.parties import (
    InteractionInput,
    close_next_step,
    log_interaction,
    save_party,
)

__all__ = [
    "InteractionInput",
    "Named",
    "NegotiationError",
    "PackageInput",
    "VehicleLine",
    "approve",
    "close_next_step",
    "consent_holds",
    "content_of",
    "create_package",
    "current",
    "draft_from",
    "export",
    "input_of",
    "is_approved",
    "lead_warning",
    "log_interaction",
    "missing_consents",
    "record_consent",
    "record_submission",
    "revise",
    "save_party",
]
