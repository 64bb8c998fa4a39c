"""Wire discipline, keywords and the simulator (issue 7 items 3-5)."""

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salama.lib.sms import segments
from salama.messaging import texts
from salama.messaging.inbound import receive
from salama.messaging.keywords import vocabulary_for
from salama.messaging.models import Message, MessageTemplate
from salama.messaging.parser import parse
from salama.messaging.vocabulary import DEFAULT_WORDS, Intent
from salama.messaging.wire import DEFAULT_SENSITIVE_WORDS, wire_problems
from salama.people.models import Facility
from salama.people.services import save_facility
from tests.messaging import text_helpers
from tests.messaging.text_helpers import NUMBERS, Roster

roster = text_helpers.roster
pytestmark = pytest.mark.django_db


@pytest.fixture
def places(roster: Roster) -> Facility:
    return save_facility(
        org=roster.org, name="Al-Quds Hospital", name_ar="مشفى القدس", kind="hospital",
        area=roster.sukkari, aliases="Quds",
    )  # fmt: skip


def test_wire_problems_finds_places_the_organisation_and_sensitive_words(
    roster: Roster, places: Facility
) -> None:
    org = roster.org
    assert wire_problems(org, "Meet at Sukkari 03:00")
    assert wire_problems(org, "نلتقي بالسكري")  # glued to a clitic
    assert wire_problems(org, "go to quds")
    assert wire_problems(org, "Relief Union Test says hi")
    assert wire_problems(org, "the convoy leaves")
    assert wire_problems(org, "القافلة جاهزة") and wire_problems(org, "بعد القصف")
    assert wire_problems(org, "Reply 1 if you are well.") == []


@pytest.mark.parametrize("language", texts.LANGUAGES)
def test_no_default_text_names_a_place_the_organisation_or_a_sensitive_word(
    roster: Roster, places: Facility, language: str
) -> None:
    for key in texts.TEXTS:
        body = texts.sample_text(key, texts.default_body(key, language))
        assert wire_problems(roster.org, body) == [], (key, language)
        assert segments(body)[1] == 1, (key, language, body)


def test_no_text_rendered_in_the_scenario_gives_anything_away(
    roster: Roster, places: Facility
) -> None:
    org = roster.org
    scenario = [
        (NUMBERS["k1"], "آمن"), (NUMBERS["k1"], "HELP trapped near Al-Quds Hospital"),
        (NUMBERS["k3"], "مصاب بالسكري"), (NUMBERS["k3"], "STATUS"), (NUMBERS["ward"], "SAFE"),
        (NUMBERS["ward"], "SAFE K2"), (NUMBERS["lead"], "SAFE ALL"),
        (NUMBERS["k1"], "AT Sukkari"), (NUMBERS["k1"], "convoy?"), (NUMBERS["k1"], "convoy??"),
        (NUMBERS["unknown"], "help Relief Union Test"), (NUMBERS["coordinator"], "OK 1"),
    ]  # fmt: skip
    for sender, body in scenario:
        receive(org=org, channel="simulator", sender=sender, body=body)
    bodies = [str(m.body) for m in Message.objects.for_org(org)]
    assert len(bodies) >= 10
    for body in bodies:
        assert wire_problems(org, body) == [], body
        assert segments(body)[1] == 1, body


def test_sensitive_words_are_seeded_in_both_languages() -> None:
    words = set(DEFAULT_SENSITIVE_WORDS)
    for english, arabic in (
        ("attack", "هجوم"),
        ("strike", "غارة"),
        ("evacuation", "إخلاء"),
        ("convoy", "قافلة"),
        ("checkpoint", "حاجز"),
        ("shelling", "قصف"),
    ):
        assert english in words and arabic in words  # fmt: skip


def test_template_editor_requires_a_typed_confirmation(
    roster: Roster, clients: dict[str, Any]
) -> None:
    url = reverse("messaging:text_edit") + "?key=reminder&language=en"
    client = clients["coordinator"]
    refused = client.post(url, {"body": "Reply 1 if you are well in Sukkari."})
    assert refused.status_code == 200 and "Sukkari" in refused.content.decode()
    assert not MessageTemplate.objects.exists()
    saved = client.post(url, {"body": "Reply 1 if you are well in Sukkari.", "confirm": "confirm"})
    assert saved.status_code == 302
    assert MessageTemplate.objects.get().body.endswith("Sukkari.")


def test_keywords_page_renames_and_takes_effect_at_once(
    roster: Roster, clients: dict[str, Any]
) -> None:
    response = clients["coordinator"].post(
        reverse("messaging:keywords"),
        {"form": "keywords", "rename": "safe = zaytoon", "add": "warda = NEED_HELP",
         "remove": "tamam"},
    )  # fmt: skip
    assert response.status_code == 302
    roster.org.refresh_from_db()
    vocabulary = vocabulary_for(roster.org)
    assert parse("zaytoon", vocabulary=vocabulary).status == "SAFE"
    assert parse("safe", vocabulary=vocabulary).kind == "ask_back"
    assert parse("tamam", vocabulary=vocabulary).kind == "ask_back"
    assert parse("warda", vocabulary=vocabulary).status == "NEED_HELP"
    result = receive(org=roster.org, channel="simulator", sender=NUMBERS["k1"], body="zaytoon")
    assert result[1] is not None and result[1]["status"] == "SAFE"


def test_keywords_page_refuses_a_bad_change(roster: Roster, clients: dict[str, Any]) -> None:
    response = clients["coordinator"].post(
        reverse("messaging:keywords"), {"form": "keywords", "rename": "nosuchword = x1y"}
    )
    assert response.status_code == 200
    roster.org.refresh_from_db()
    assert "keywords" not in roster.org.settings


def test_vocabulary_is_cached_per_organisation(roster: Roster) -> None:
    assert vocabulary_for(roster.org) is vocabulary_for(roster.org)
    assert len(DEFAULT_WORDS[Intent.SAFE]) > 50


def test_simulator_command_prints_json(roster: Roster) -> None:
    out = StringIO()
    call_command("text", "في السكري", "--as", "K1", "--json", "--org", "relief", stdout=out)
    result = json.loads(out.getvalue())
    assert result["action"] == "move" and result["area"] == "Al-Sukkari" and result["reply"]
    out = StringIO()
    call_command("text", "آمن", "--from", NUMBERS["k3"], "--json", "--dry-run", stdout=out)
    result = json.loads(out.getvalue())
    assert result["action"] == "checkin" and result["status"] == "SAFE"
    roster.k3.refresh_from_db()
    assert roster.k3.state == ""  # dry run: nothing kept


def test_simulator_page_runs_a_text(roster: Roster, clients: dict[str, Any]) -> None:
    response = clients["coordinator"].post(
        reverse("messaging:simulator"), {"codename": "K1", "text": "STATUS", "dry_run": "on"}
    )
    assert response.status_code == 200 and 'id="sim-action"' in response.content.decode()
    assert ">status<" in response.content.decode()
    assert clients["staff"].get(reverse("messaging:simulator")).status_code == 403


def test_unmatched_page_attaches_and_replays(roster: Roster, clients: dict[str, Any]) -> None:
    row, _ = receive(org=roster.org, channel="simulator", sender=NUMBERS["unknown"], body="safe")
    page = clients["coordinator"].get(reverse("messaging:unmatched"))
    assert NUMBERS["unknown"] not in page.content.decode()
    clients["coordinator"].post(
        reverse("messaging:attach", kwargs={"inbound_id": row.pk}), {"codename": "K3"}
    )
    roster.k3.refresh_from_db()
    assert roster.k3.state == "SAFE" and roster.k3.state_basis == "provisional"


def test_gateway_page_keeps_secrets_out_of_the_page(
    roster: Roster, clients: dict[str, Any]
) -> None:
    url = reverse("messaging:gateway_edit", kwargs={"kind": "http_json"})
    data = {"base_url": "https://gw.example.org/send", "send_token": "s3cret-token",
            "webhook_secret": "hook-s3cret", "is_active": "on", "use_for_sms": "on"}  # fmt: skip
    assert clients["org_admin"].post(url, data).status_code == 302
    page = clients["org_admin"].get(url).content.decode()
    assert "s3cret" not in page and "/messaging/hooks/" in page
    roster.org.refresh_from_db()
    assert roster.org.setting("sms_channel") == "http_json"
    assert clients["coordinator"].get(url).status_code == 403


SENDERS = [NUMBERS["k1"], NUMBERS["ward"], NUMBERS["lead"], NUMBERS["coordinator"],
           NUMBERS["unknown"], "+963944177777", "VODAFONE", ""]  # fmt: skip


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sender=st.sampled_from(SENDERS),
    body=st.one_of(
        st.text(max_size=80),
        st.sampled_from([w for words in DEFAULT_WORDS.values() for w in words]).map(
            lambda w: f"{w} K2 -K3 17"
        ),
    ),
)
def test_the_inbound_handler_never_raises(roster: Roster, sender: str, body: str) -> None:
    row, result = receive(org=roster.org, channel="simulator", sender=sender, body=body)
    row.refresh_from_db()
    assert result is not None and row.state != "failed", row.last_error


@pytest.fixture
def partial_places(roster: Roster) -> None:
    from salama.people.services import save_area

    save_area(org=roster.org, name_en="Bustan al-Qasr", name_ar="بستان القصر", aliases="")
    save_facility(
        org=roster.org, name="Al-Razi Hospital", name_ar="مشفى الرازي", kind="hospital",
        area=roster.sukkari, aliases="",
    )  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "Meet near Qasr", "بالقصر", "قرب القصر", "go to Razi", "go to al-Razi", "في الرازي",
        "عند الرازي", "the Bustan team",
    ],
)  # fmt: skip
def test_wire_problems_catch_part_of_a_place_name_in_both_scripts(
    roster: Roster, partial_places: None, text: str
) -> None:
    assert wire_problems(roster.org, text), text


@pytest.mark.parametrize(
    "text", ["Reply 1 if you are well.", "Go to the hospital", "أقرب مشفى", "Razia", "قصرت"]
)
def test_wire_problems_match_whole_words_and_not_generic_words(
    roster: Roster, partial_places: None, text: str
) -> None:
    assert wire_problems(roster.org, text) == [], text


def test_roll_call_composer_asks_to_confirm_part_of_a_place_name(
    roster: Roster, partial_places: None, clients: dict[str, Any]
) -> None:
    from salama.rollcalls.models import RollCall

    data = {"question": "Are you at Razi?", "is_safety": "on", "everyone": "on", "minutes": "60",
            "resend_after": "0", "resend_max": "1", "action": "launch"}  # fmt: skip
    response = clients["coordinator"].post(reverse("rollcalls:index"), data)
    assert response.status_code == 200 and "Al-Razi Hospital" in response.content.decode()
    assert not RollCall.objects.exists()
    url = reverse("messaging:text_edit") + "?key=reminder&language=ar"
    refused = clients["coordinator"].post(url, {"body": "رد 1 إذا كنت بخير في القصر"})
    assert refused.status_code == 200 and not MessageTemplate.objects.exists()
