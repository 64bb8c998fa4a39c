"""Roll calls count truthfully (issue H1 item 8): help and injury answers in the per-option
counts, a superseded roll call whose numbers add up, an answer between a launch and its send
credited once, and the "timing unknown" hold only where two roll calls could have asked."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from salama.alerts.models import Alert
from salama.lib import clock
from salama.messaging.inbound import receive
from salama.messaging.outbox import dispatch_outbox
from salama.people.models import Person
from salama.rollcalls import selectors, services
from salama.rollcalls.models import RollCall, RollCallRecipient, Timing
from salama.safety.models import CheckIn
from tests.messaging.text_helpers import NUMBERS, Roster, make_roster

pytestmark = pytest.mark.django_db
START = datetime(2025, 3, 1, 1, 0, tzinfo=UTC)


@pytest.fixture
def roster(world: Any) -> Roster:
    return make_roster(world)


@pytest.fixture(autouse=True)
def _sink(settings: Any, tmp_path: Any) -> None:
    settings.OUTBOX_CONSOLE_SINK = str(tmp_path / "console.jsonl")


def _drain(traveller: Any) -> None:
    for _i in range(200):
        traveller.shift(timedelta(seconds=2))
        if not dispatch_outbox():
            return


def _open(org: Any, persons: list[Person], **kw: Any) -> RollCall:
    return services.open_roll_call(
        org=org,
        question="Are you well?",
        target=services.Target(persons=tuple(p.pk for p in persons)),
        deadline_at=clock.now() + timedelta(hours=1),
        **kw,
    )


def _row(roll_call: RollCall, person: Person) -> RollCallRecipient:
    return RollCallRecipient.objects.get(roll_call=roll_call, person=person)


def _option_counts(roll_call: RollCall) -> dict[int, int]:
    return {o["number"]: o["count"] for o in selectors.summary(roll_call)["options"]}


def _text(org: Any, who: str, body: str, ref: str, *, timed: bool = True) -> None:
    if timed:
        receive(org=org, channel="http_json", sender=NUMBERS[who], body=body, gateway_ref=ref,
                sent_at=clock.now())  # fmt: skip
    else:
        receive(org=org, channel="twilio", sender=NUMBERS[who], body=body, gateway_ref=ref)


# --- Help and injury answers are in the per-option counts ------------------------------------


def test_a_help_word_answering_a_roll_call_counts_under_help(roster: Roster) -> None:
    org, k1 = roster.org, roster.k1
    with time_machine.travel(START, tick=False) as traveller:
        roll_call = _open(org, [k1, roster.k3])
        _drain(traveller)
        traveller.shift(timedelta(minutes=3))
        _text(org, "k1", "HELP trapped in the basement", "w1")
        _text(org, "k3", "مصاب بالرجل", "w2")
        row = _row(roll_call, k1)
        assert (row.option, row.timing) == (2, Timing.COUNTED)
        assert _row(roll_call, roster.k3).option == 3
        assert _option_counts(roll_call) == {1: 0, 2: 1, 3: 1}
        counts = selectors.summary(roll_call)["counts"]
        assert counts["heard"] == 2 and counts["silent"] == 0
        # The call for help is still one, with its words kept, and one alert.
        checkin = CheckIn.objects.get(person=k1)
        assert checkin.status == "NEED_HELP" and "basement" in str(checkin.note)
        assert Alert.objects.filter(person=k1).count() == 1


def test_a_help_digit_without_network_time_counts_at_once(roster: Roster) -> None:
    org, k1 = roster.org, roster.k1
    with time_machine.travel(START, tick=False) as traveller:
        _open(org, [k1])  # an earlier roll call: the timing of a safe answer would be unknown
        _drain(traveller)
        traveller.shift(timedelta(minutes=20))
        roll_call = _open(org, [k1])
        _drain(traveller)
        traveller.shift(timedelta(minutes=1))
        _text(org, "k1", "3", "d1", timed=False)
        row = _row(roll_call, k1)
        assert (row.option, row.timing) == (3, Timing.COUNTED)
        assert _option_counts(roll_call)[3] == 1
        assert selectors.summary(roll_call)["counts"]["unknown"] == 0


# --- A superseded roll call adds up -----------------------------------------------------------


def _shown_counts(page: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'id="count-([a-z]+)">(\d+)<', page)}


def test_a_superseded_roll_calls_numbers_add_up_to_its_total(
    roster: Roster, clients: dict[str, Any]
) -> None:
    org = roster.org
    with time_machine.travel(START, tick=False) as traveller:
        first = _open(org, [roster.k1, roster.k3, roster.lead])
        _drain(traveller)
        traveller.shift(timedelta(minutes=15))
        _text(org, "k1", "1", "s1")
        _text(org, "lead", "HELP", "s2")
        _open(org, [roster.k3, roster.lead])  # K3 (silent) and L1 (answered) move on
        page = clients["coordinator"].get(
            reverse("rollcalls:live_page", kwargs={"rollcall_number": first.number})
        )
    shown = _shown_counts(page.content.decode())
    assert shown["total"] == 3
    assert shown["superseded"] == 1  # K3: asked again by the newer roll call, no answer here
    answers = ("heard", "silent", "unknown", "withheld", "late", "superseded")
    assert sum(shown[k] for k in answers) == shown["total"]
    options = re.findall(r'id="option-\d+">(\d+)<', page.content.decode())
    assert sum(int(n) for n in options) == shown["heard"] == 2


# --- An answer between a new roll call's launch and its send ----------------------------------


def test_an_answer_between_a_launch_and_its_send_is_credited_once(roster: Roster) -> None:
    org, k1 = roster.org, roster.k1
    with time_machine.travel(START, tick=False) as traveller:
        first = _open(org, [k1])
        _drain(traveller)
        traveller.shift(timedelta(minutes=15))
        second = _open(org, [k1])  # launched, not yet handed to the network
        traveller.shift(timedelta(seconds=30))
        _text(org, "k1", "1", "b1")
        credited = [r for r in (_row(first, k1), _row(second, k1)) if r.timing == Timing.COUNTED]
        assert [r.roll_call_id for r in credited] == [first.pk]
        assert _row(second, k1).option is None
        assert CheckIn.objects.filter(person=k1).count() == 1


def test_an_answer_sent_before_the_send_and_received_after_is_credited_to_the_earlier(
    roster: Roster,
) -> None:
    org, k1 = roster.org, roster.k1
    with time_machine.travel(START, tick=False) as traveller:
        first = _open(org, [k1])
        _drain(traveller)
        traveller.shift(timedelta(minutes=15))
        second = _open(org, [k1])
        sent = clock.now() + timedelta(seconds=1)  # before the second reaches the network
        _drain(traveller)
        traveller.shift(timedelta(minutes=1))
        receive(org=org, channel="http_json", sender=NUMBERS["k1"], body="1",
                gateway_ref="b3", sent_at=sent)  # fmt: skip
        assert (_row(first, k1).option, _row(first, k1).timing) == (1, Timing.COUNTED)
        assert _row(second, k1).option is None


# --- No network time: counted when only one roll call could have asked ------------------------


def test_an_answer_without_network_time_counts_when_one_roll_call_could_have_asked(
    roster: Roster,
) -> None:
    org, k1 = roster.org, roster.k1
    with time_machine.travel(START, tick=False) as traveller:
        roll_call = _open(org, [k1])
        _drain(traveller)
        traveller.shift(timedelta(minutes=2))
        _text(org, "k1", "1", "n1", timed=False)
        assert _row(roll_call, k1).timing == Timing.COUNTED
        assert Person.objects.get(pk=k1.pk).heard_at is not None
        assert _option_counts(roll_call)[1] == 1


def test_accept_all_accepts_exactly_the_answers_it_showed(
    roster: Roster, clients: dict[str, Any]
) -> None:
    org = roster.org
    client = clients["coordinator"]
    with time_machine.travel(START, tick=False) as traveller:
        _open(org, [roster.k1, roster.k3, roster.lead])
        _drain(traveller)
        traveller.shift(timedelta(minutes=20))
        roll_call = _open(org, [roster.k1, roster.k3, roster.lead])
        _drain(traveller)
        traveller.shift(timedelta(minutes=1))
        _text(org, "k1", "1", "a1", timed=False)
        _text(org, "k3", "1", "a2", timed=False)
        url = reverse("rollcalls:live_page", kwargs={"rollcall_number": roll_call.number})
        page = client.get(url).content.decode()
        form = re.search(r'<form[^>]*id="accept-all".*?</form>', page, re.S)
        assert form is not None, "no accept-all form"
        shown = re.findall(r'name="recipient" value="(\d+)"', form.group(0))
        assert sorted(int(i) for i in shown) == sorted(
            [_row(roll_call, roster.k1).pk, _row(roll_call, roster.k3).pk]
        )
        assert "K1" in form.group(0) and "K3" in form.group(0)
        # An answer that arrives after the page was shown is not accepted with the others.
        _text(org, "lead", "1", "a3", timed=False)
        response = client.post(
            reverse("rollcalls:accept_all", kwargs={"rollcall_number": roll_call.number}),
            {"recipient": shown},
        )
        assert response.status_code == 302
        assert _row(roll_call, roster.k1).timing == Timing.ACCEPTED
        assert _row(roll_call, roster.k3).timing == Timing.ACCEPTED
        assert _row(roll_call, roster.lead).timing == Timing.UNKNOWN
        assert Person.objects.get(pk=roster.k3.pk).heard_at is not None


def test_help_and_injury_answer_a_roll_call_of_other_options_too(roster: Roster) -> None:
    org = roster.org
    with time_machine.travel(START, tick=False) as traveller:
        roll_call = _open(
            org, [roster.k1, roster.k3, roster.lead], is_safety=False,
            extra_options=[("fuel yes", ""), ("fuel no", "")],
        )  # fmt: skip
        _drain(traveller)
        traveller.shift(timedelta(minutes=3))
        _text(org, "k1", "2", "o1")
        _text(org, "k3", "مصاب", "o2")
        _text(org, "lead", "4", "o3")
        assert (_row(roll_call, roster.k1).option, _row(roll_call, roster.k1).timing) == (
            2, Timing.COUNTED,
        )  # fmt: skip
        assert _row(roll_call, roster.k3).option == 3
        assert _option_counts(roll_call) == {2: 1, 3: 1, 4: 1, 5: 0}
        assert selectors.summary(roll_call)["counts"]["heard"] == 3
        assert Alert.objects.filter(person=roster.k1).count() == 1


def test_the_words_of_a_help_digit_answer_are_kept(roster: Roster) -> None:
    org, k1 = roster.org, roster.k1
    with time_machine.travel(START, tick=False) as traveller:
        roll_call = _open(org, [k1])
        _drain(traveller)
        traveller.shift(timedelta(minutes=3))
        _text(org, "k1", "2 trapped under the stairs", "k1n")
        assert _row(roll_call, k1).option == 2
        assert "stairs" in str(CheckIn.objects.get(person=k1).note)
