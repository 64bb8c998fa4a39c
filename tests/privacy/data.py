"""Personal data with marker strings in two organisations, for the purge tests."""

from datetime import timedelta
from typing import Any

from salama.lib import clock
from salama.people.services import ContactSpec, create_person, update_person
from salama.rollcalls.services import Target, open_roll_call
from salama.safety.services import open_event, record_checkin

MARKERS_A = ["ZQA-name-7731", "ZQA-spec-7731", "ZQA-where-7731", "ZQA-note-7731"]
MARKERS_B = ["ZQB-name-4410", "ZQB-spec-4410", "ZQB-where-4410", "ZQB-note-4410"]
# Free text coordinators write: an event's label, a roll call's question and an option's label.
FREE_TEXT_A = ["ZQA-event-7731", "ZQA-asked-7731", "ZQA-opt-7731"]
FREE_TEXT_B = ["ZQB-event-4410", "ZQB-asked-4410", "ZQB-opt-4410"]
NUMBER_A = "+963944077310"
NUMBER_B = "+963944044100"


def fill(org: Any, markers: list[str], number: str, codename: str, free: list[str]) -> Any:
    name, specialty, where, note = markers
    person = create_person(
        org=org,
        codename=codename,
        role="doctor",
        real_name=name,
        specialty=specialty,
        contacts=[ContactSpec(value=number)],
    )
    update_person(person=person, exact_location=where)
    record_checkin(person=person, status="SAFE", basis="self", channel="field_page", note=note)
    org.credentials = f'{{"token": "{markers[0]}-cred"}}'
    org.save(update_fields=["credentials"])
    event_label, question, option = free
    deadline = clock.now() + timedelta(hours=1)
    event = open_event(org=org, label=event_label)
    open_roll_call(org=org, question=question, target=Target(everyone=True), is_safety=False,
                   extra_options=[(option, "SAFE")], deadline_at=deadline,
                   event=event)  # fmt: skip
    return person


def fill_both(world: Any) -> tuple[Any, Any]:
    return (
        fill(world.org, MARKERS_A, NUMBER_A, "A1", FREE_TEXT_A),
        fill(world.other_org, MARKERS_B, NUMBER_B, "B1", FREE_TEXT_B),
    )
