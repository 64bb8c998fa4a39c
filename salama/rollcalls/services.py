"""Roll calls: open (snapshot and queue), credit answers, accept, re-send, close; the hooks the
text handler calls (``answer_from_text``, ``check_duress`` in ``duress``). The door: the work is
split by verb group into ``planning`` (options, targets, cost and timing), ``snapshot`` (opening),
``crediting`` (answers, with the crediting protocol) and ``closing`` (closing, re-sending, the
digest), over the shared ``base``; every caller imports from here.
"""

from __future__ import annotations

from salama.rollcalls.base import (
    DANGER,
    LATE_MEMORY,
    SAFETY_EFFECTS,
    RollCallError,
    unknown_window,
)
from salama.rollcalls.closing import (
    close_roll_call,
    resend_silent,
    run_due_roll_calls,
    silent,
)
from salama.rollcalls.crediting import (
    Credit,
    accept_answer,
    accept_answers,
    answer_from_text,
    credit_answer,
    current_for,
    handoff_at,
    open_for,
)
from salama.rollcalls.planning import (
    Target,
    build_options,
    estimate,
    last_send_at,
    option_of,
    options_text,
    plan,
    preview,
    price_per_segment,
    render_variants,
    safety_options,
    targeted,
)
from salama.rollcalls.snapshot import open_roll_call

__all__ = [
    "DANGER",
    "LATE_MEMORY",
    "SAFETY_EFFECTS",
    "Credit",
    "RollCallError",
    "Target",
    "accept_answer",
    "accept_answers",
    "answer_from_text",
    "build_options",
    "close_roll_call",
    "credit_answer",
    "current_for",
    "estimate",
    "handoff_at",
    "last_send_at",
    "open_for",
    "open_roll_call",
    "option_of",
    "options_text",
    "plan",
    "preview",
    "price_per_segment",
    "render_variants",
    "resend_silent",
    "run_due_roll_calls",
    "safety_options",
    "silent",
    "targeted",
    "unknown_window",
]
