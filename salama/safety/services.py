"""The state rules (DESIGN §5). Every check-in, whatever its channel, goes through
`record_checkin`; decisions, events and heightened mode have their functions here too. Each
function runs in one transaction and locks the person rows it changes.

This module is the door: every name is defined in one of the modules below and re-exported here,
so callers keep importing from salama.safety.services.

- salama.safety.checkins: record_checkin and the state rules, locking the person, the
  Idempotency-Key purge;
- salama.safety.decisions: making and clearing decisions;
- salama.safety.events: opening and closing events;
- salama.safety.deadlines: deadlines, heightened mode, the sweep's finders;
- salama.safety.proxy: proxy and relayed check-ins.
"""

from salama.safety.checkins import (
    IDEMPOTENCY_KEEP,
    MAX_AHEAD,
    MAX_BEHIND,
    effective_time,
    lock_own_person,
    lock_own_person_for_token,
    lock_person,
    lock_person_by_pk,
    purge_idempotency_keys,
    record_checkin,
    reserve_checkin_ids,
)
from salama.safety.deadlines import (
    active_heightened,
    end_heightened,
    expire_heightened,
    mark_overdue,
    mark_overdue_batch,
    overdue_people,
    recompute_deadlines,
    set_heightened,
)
from salama.safety.decisions import (
    RECENT_CONTACT,
    RecentContact,
    clear_decision,
    last_contact,
    make_decision,
)
from salama.safety.events import close_event, open_event, open_events
from salama.safety.idempotency import KeyUsed
from salama.safety.models import CheckIn
from salama.safety.periods import (
    HEIGHTENED_LIFETIME,
    due_base,
    due_choices,
    heightened_sql,
    leaves_sweep,
    next_due_for,
)
from salama.safety.proxy import (
    EntryError,
    ProxyResult,
    has_open_call,
    lead_teams,
    record_proxy_checkins,
    record_relayed,
    record_relayed_entry,
    record_relayed_lines,
)
from salama.safety.relay import parse_relayed_entry

__all__ = [
    "HEIGHTENED_LIFETIME",
    "IDEMPOTENCY_KEEP",
    "MAX_AHEAD",
    "MAX_BEHIND",
    "RECENT_CONTACT",
    "CheckIn",
    "KeyUsed",
    "EntryError",
    "ProxyResult",
    "RecentContact",
    "active_heightened",
    "clear_decision",
    "close_event",
    "due_base",
    "due_choices",
    "effective_time",
    "end_heightened",
    "expire_heightened",
    "has_open_call",
    "heightened_sql",
    "last_contact",
    "lead_teams",
    "leaves_sweep",
    "lock_own_person",
    "lock_own_person_for_token",
    "reserve_checkin_ids",
    "lock_person",
    "lock_person_by_pk",
    "make_decision",
    "mark_overdue",
    "mark_overdue_batch",
    "next_due_for",
    "open_event",
    "open_events",
    "overdue_people",
    "parse_relayed_entry",
    "purge_idempotency_keys",
    "recompute_deadlines",
    "record_checkin",
    "record_proxy_checkins",
    "record_relayed",
    "record_relayed_entry",
    "record_relayed_lines",
    "set_heightened",
]
