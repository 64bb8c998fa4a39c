"""Outbound texts: every default fits one SMS segment in both languages, names no organisation,
person or place, and an organisation's wording may only use the fields its key declares."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from salama.lib.sms import segments
from salama.messaging import texts
from salama.messaging.models import MessageTemplate

REQUIRED_KEYS = {
    "alert_life_safety",
    "alert_ack_seen",
    "reply_received",
    "digest_overdue",
    "outage",
    "outage_lead",
    "reminder",
    "reply_unknown",
    "reply_status",
    "reply_ask_codename",
    "reply_proxy_help_open",
    "reply_not_understood",
    "reply_ok",
    "status_safe",
    "status_help",
    "status_injured",
}
# Words a text on a hostile wire must not carry (DESIGN §3), in both languages.
FORBIDDEN = re.compile(
    r"attack|strike|evacuat|convoy|checkpoint|hospital|clinic|union|relief|salama|"
    r"هجوم|غارة|قصف|إخلاء|اخلاء|قافلة|حاجز|مستشفى|عيادة|سلامة",
    re.IGNORECASE,
)


def test_every_required_key_is_defined() -> None:
    assert set(texts.TEXTS) >= REQUIRED_KEYS


@pytest.mark.parametrize("language", texts.LANGUAGES)
@pytest.mark.parametrize("key", sorted(REQUIRED_KEYS))
def test_every_default_fits_one_segment(key: str, language: str) -> None:
    body = texts.default_body(key, language)
    sample = dict(texts.TEXTS[key].sample)
    if "status" in sample:  # the longest status word of that language
        sample["status"] = max(
            (texts.status_word(s, language) for s in ("SAFE", "NEED_HELP", "INJURED")), key=len
        )
    text = body.format(**{f: sample.get(f, "x" * 8) for f in texts.TEXTS[key].fields})
    encoding, count = segments(text)
    assert count == 1, f"{key}/{language}: {len(text)} characters in {encoding}"
    if language == "en":
        assert encoding == "GSM-7", f"{key}: English should stay in the GSM alphabet"
    else:
        assert body != texts.default_body(key, "en"), f"{key}: no Arabic translation"


@pytest.mark.parametrize("language", texts.LANGUAGES)
def test_defaults_name_no_organisation_person_or_place(language: str) -> None:
    for key in REQUIRED_KEYS:
        body = texts.default_body(key, language)
        assert not FORBIDDEN.search(body), f"{key}/{language}: {body}"
        assert texts.fields_of(body) == [
            f for f in texts.fields_of(body) if f in texts.TEXTS[key].fields
        ]
        assert not {"note", "area", "place", "name", "facility"} & set(texts.TEXTS[key].fields)


def test_gsm7_and_ucs2_lengths_are_counted() -> None:
    assert segments("a" * 160) == ("GSM-7", 1)
    assert segments("a" * 161) == ("GSM-7", 2)
    assert segments("ا" * 70) == ("UCS-2", 1)
    assert segments("ا" * 71) == ("UCS-2", 2)


@pytest.mark.django_db
def test_status_words_in_both_languages_and_editable(world) -> None:
    assert texts.status_word("NEED_HELP", "en") == "HELP"
    assert texts.status_word("NEED_HELP", "ar") == "مساعدة"
    MessageTemplate.objects.create(org=world.org, key="status_help", language="en", body="BLUE")
    assert texts.status_word("NEED_HELP", "en", world.org) == "BLUE"


@pytest.mark.django_db
def test_organisation_wording_wins_and_the_default_stays_for_the_other_language(world) -> None:
    MessageTemplate.objects.create(org=world.org, key="reminder", language="en", body="Ping")
    assert texts.render(world.org, "reminder", "en", {}) == "Ping"
    assert texts.render(world.org, "reminder", "ar", {}) == texts.default_body("reminder", "ar")
    assert texts.render(world.other_org, "reminder", "en", {}) == "Reply 1 if you are well."


@pytest.mark.parametrize(
    "body",
    [
        "Hello {name}",
        "{codename.__class__}",
        "{0}",
        "{}",
        "{alert!r}",
        "{alert:>40}",
        "{codename",
        "   ",
    ],
)
def test_a_wording_with_unknown_or_unsafe_fields_is_refused(body: str) -> None:
    with pytest.raises(ValidationError):
        texts.validate_body("alert_life_safety", body)


def test_the_refusal_is_translated() -> None:
    with translation.override("ar"):
        with pytest.raises(ValidationError) as caught:
            texts.validate_body("reply_ok", "Hi {name}")
        message = caught.value.messages[0]
    assert "{name}" in message and "{time}" in message and "Unknown" not in message


def test_a_wording_may_use_fewer_fields() -> None:
    texts.validate_body("alert_life_safety", "{codename} - OK {alert}")
