"""One idempotency store for check-ins, whatever the channel (DESIGN §6 flow 1; O1).

A check-in may carry a key: the field page makes one per tap in the short form of
salama.lib.checkinkey, a text carries it as ``#k7f3q9x``, an API client may send it as its
``Idempotency-Key``. Every key in that form enters this store, whatever the channel; an API
client's other keys (a UUID: no text can carry it) stay in the API's own request store
(salama.safety.api, which also replays the API's exact answer), so an API check-in with such a
key costs no statement more. The store is per person: the same person's key coming again

- with the same status is a *duplicate*: nothing is stored, and the answer is the first
  check-in (its server time);
- with another status is a *conflict*: nothing is stored (the API and the page answer 409; a
  text is stored without the key, because a text is never refused).

record_checkin looks the key up after it has locked the person, so two arrivals of one key
queue on that lock and the second finds the first; the unique index is the last guard.
"""

from __future__ import annotations

from salama.lib.checkinkey import canonical
from salama.people.models import Person
from salama.safety.models import CheckIn, CheckInKey


class KeyUsed(Exception):
    """The key was already used by this person: ``original`` is the check-in it made;
    ``same`` says whether the content (the status) is the same."""

    def __init__(self, original: CheckIn, same: bool) -> None:
        super().__init__("check-in key already used")
        self.original = original
        self.same = same


def shared_key(key: str) -> str | None:
    """The key's canonical short form when it is one (it enters the store), else None."""
    return canonical(key) if key else None


def check_key(person: Person, key: str, status: str) -> None:
    """Raise KeyUsed if ``person`` already used the short ``key``. Call with the person locked."""
    row = (
        CheckInKey.objects.filter(person=person, key=key)
        .select_related("checkin", "checkin__person")
        .first()
    )
    if row is not None:
        raise KeyUsed(row.checkin, same=row.status == status)


def claim_key(checkin: CheckIn, key: str) -> None:
    CheckInKey.objects.create(
        org_id=checkin.org_id,
        person_id=checkin.person_id,
        key=key,
        status=checkin.status,
        checkin=checkin,
    )
