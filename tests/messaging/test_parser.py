"""The field text protocol (DESIGN §8, issue 7 item 3): a table of real-looking messages.

Each row carries categories so that a counting test can hold the table to the minimums of the
issue: 150 distinct messages, 60 in Arabic script, 25 Arabizi, 25 dialect, every normalisation
class three times, 10 misspelt areas that resolve and 5 near-misses that ask back.
"""

import dataclasses
import re
import unicodedata
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salama.lib import checkinkey
from salama.messaging.parser import (
    DEFAULT_WORDS,
    AreaChoice,
    Intent,
    Parsed,
    Vocabulary,
    match_area,
    parse,
)

# The demo's eight areas (data/eastern-aleppo-areas.geojson: name_en, name_ar), each with a
# couple of aliases as a coordinator would enter them.
SHAAR, SUKKARI, HANANO, BUSTAN, KALASA, ANSARI, TARIQ, MASHHAD = range(1, 9)
AREAS = [
    AreaChoice(SHAAR, ("Al-Shaar", "الشعار", "Shaar", "Ash-Shaar")),
    AreaChoice(SUKKARI, ("Al-Sukkari", "السكري", "Sukkari", "Sukari")),
    AreaChoice(HANANO, ("Masaken Hanano", "مساكن هنانو", "Hanano", "هنانو")),
    AreaChoice(BUSTAN, ("Bustan al-Qasr", "بستان القصر", "Bustan Qasr", "Bustan al-Kasr")),
    AreaChoice(KALASA, ("Al-Kalasa", "الكلاسة", "Kallaseh")),
    AreaChoice(ANSARI, ("Al-Ansari", "الأنصاري", "Ansari")),
    AreaChoice(TARIQ, ("Tariq al-Bab", "طريق الباب", "Tareeq al-Bab")),
    AreaChoice(MASHHAD, ("Al-Mashhad", "المشهد", "Mashhad")),
]

# Categories: ar (Arabic script), az (Arabizi), di (dialect), the normalisation classes
# case, diac, tatweel, alef, yaa, taa, aidigit, pdigit, pres, invis, fullw, punct, and
# area_ok (a misspelt area that resolves), area_near (a near-miss that asks back).
NORMALISATION = (
    "case", "diac", "tatweel", "alef", "yaa", "taa",
    "aidigit", "pdigit", "pres", "invis", "fullw", "punct",
)  # fmt: skip


def safe(**kw: Any) -> dict[str, Any]:
    return {"kind": "checkin", "status": "SAFE", **kw}


def proxy(*codenames: str, **kw: Any) -> dict[str, Any]:
    return {"kind": "proxy_checkin", "status": "SAFE", "codenames": codenames, **kw}


def everyone(*excepted: str, **kw: Any) -> dict[str, Any]:
    return {
        "kind": "proxy_checkin", "status": "SAFE", "everyone": True,
        "except_codenames": excepted, **kw,
    }  # fmt: skip


def help_(**kw: Any) -> dict[str, Any]:
    return {"kind": "checkin", "status": "NEED_HELP", "note": ..., **kw}


def injured(**kw: Any) -> dict[str, Any]:
    return {"kind": "checkin", "status": "INJURED", "note": ..., **kw}


def move(area: int, **kw: Any) -> dict[str, Any]:
    return {"kind": "move", "area_id": area, **kw}


def ask(reason: str = "unknown_word", *candidates: int) -> dict[str, Any]:
    # For near-misses the candidates must include these; others may be offered too.
    return {"kind": "ask_back", "reason": reason, "area_candidates": set(candidates)}


def status(**kw: Any) -> dict[str, Any]:
    return {"kind": "status", **kw}


def option(n: int) -> dict[str, Any]:
    return {"kind": "option", "option": n}


def ack(n: int) -> dict[str, Any]:
    return {"kind": "acknowledge", "alert_number": n}


def new(codename: str, code: str) -> dict[str, Any]:
    return {"kind": "new", "codenames": (codename,), "personal_code": code}


ROWS: list[tuple[str, dict[str, Any], str]] = [
    # --- English ------------------------------------------------------------------------
    ("SAFE", safe(), "case"),
    ("safe", safe(), "case"),
    ("Safe", safe(), "case"),
    ("OK", safe(), ""),
    ("fine", safe(), ""),
    ("I am safe", safe(), ""),
    ("im ok thanks", safe(), ""),
    ("all good", safe(), ""),
    ("alive", safe(), ""),
    ("HELP", help_(), "case"),
    ("help me please", help_(), ""),
    ("SOS", help_(), ""),
    ("need ambulance now", help_(), ""),
    ("trapped under rubble", help_(), ""),
    ("no help needed", help_(), ""),
    ("INJURED", injured(), ""),
    ("injured leg bleeding", injured(), ""),
    ("hurt but ok", injured(), ""),
    ("injured and need help", injured(), ""),
    ("injurd", injured(), ""),
    ("HELP K12 is wounded", injured(codenames=("K12",)), ""),
    ("STATUS", status(), ""),
    ("status", status(), "case"),
    ("what is my status", status(), ""),
    ("STATUS K12", status(codenames=("K12",)), ""),
    ("AT Sukkari", move(SUKKARI), ""),
    ("at sukari", move(SUKKARI), "case"),
    ("moved to hanano", move(HANANO), ""),
    ("at london", ask("unknown_area"), ""),
    ("SAFE K12 K14", proxy("K12", "K14"), ""),
    ("safe k12 k14", proxy("K12", "K14"), "case"),
    ("SAFE ALL", everyone(), ""),
    ("sAfE aLl", everyone(), "case"),
    ("SAFE ALL -K27", everyone("K27"), ""),
    ("SAFE ALL except K27 K31", everyone("K27", "K31"), ""),
    ("all safe but k27", everyone("K27"), ""),
    ("SAFE ALL K12", ask(), ""),
    ("SAFE K12 -K27", ask(), ""),
    ("SAFE K12 and someone else", ask(), ""),
    ("safe at home", safe(), ""),
    ("safe in sukkari", safe(area_id=SUKKARI), ""),
    ("SAFE K12 at Mashhad", proxy("K12", area_id=MASHHAD), ""),
    ("OK 17", ack(17), ""),
    ("ok 17 please", ack(17), ""),
    ("NEW K12 4821", new("K12", "4821"), ""),
    ("new k12 4821", new("K12", "4821"), "case"),
    ("NEW K12", ask(), ""),
    ("1", safe(option=1), ""),
    ("2", help_(option=2), ""),
    ("3", injured(option=3), ""),
    ("4", option(4), ""),
    ("7", option(7), ""),
    ("1 K12 K14", proxy("K12", "K14", option=1), ""),
    ("1 ALL", everyone(option=1), ""),
    ("1 maybe", ask(), ""),
    ("0", ask(), ""),
    ("100", ask(), ""),
    ("hello", ask(), ""),
    ("K12", ask(), ""),
    ("ALL", ask(), ""),
    ("not ok", help_(), ""),
    ("not safe", help_(), ""),
    ("", {"kind": "empty", "reason": "empty"}, ""),
    # --- Arabic script ------------------------------------------------------------------
    ("آمن", safe(), "ar"),
    ("امن", safe(), "ar alef"),
    ("آمِنٌ", safe(), "ar diac"),
    ("آمـــن", safe(), "ar tatweel"),
    ("بخير", safe(), "ar"),
    ("بِخَيْرٍ", safe(), "ar diac"),
    ("بخـيـر", safe(), "ar tatweel"),
    ("أنا بخير", safe(), "ar alef"),
    ("انا بخير الحمد لله", safe(), "ar"),
    ("الحمدلله", safe(), "ar"),
    ("ٱلحمدلله", safe(), "ar alef"),
    ("الحَمْدُ لِلّٰه", safe(), "ar diac"),
    ("تمام", safe(), "ar"),
    ("سالم", safe(), "ar"),
    ("سالمه", safe(), "ar taa"),
    ("في أمان", safe(), "ar"),
    ("بأمان", safe(), "ar"),
    ("تمام يا دكتور", safe(), "ar"),
    ("وبخير", safe(), "ar"),
    ("مساعدة", help_(), "ar"),
    ("مساعده", help_(), "ar taa"),
    ("مُسَاعَدَة", help_(), "ar diac"),
    ("مساعـــدة", help_(), "ar tatweel"),
    ("ساعدوني", help_(), "ar"),
    ("النجدة", help_(), "ar"),
    ("نجده", help_(), "ar taa"),
    ("إسعاف", help_(), "ar alef"),
    ("اسعاف بسرعة", help_(), "ar alef"),
    ("عاجل", help_(), "ar"),
    ("محاصرين بالمشفى", help_(), "ar"),
    ("شهيد", help_(), "ar"),
    ("خطر", help_(), "ar"),
    ("في خطر", help_(), "ar"),
    ("مش بخير", help_(), "ar"),
    ("لست بخير", help_(), "ar"),
    ("ما حدا بخير", help_(), "ar"),
    ("مش الكل بخير", help_(), "ar"),
    ("مصاب", injured(), "ar"),
    ("مُصَابٌ", injured(), "ar diac"),
    ("مصـــاب", injured(), "ar tatweel"),
    ("مصابة", injured(), "ar"),
    ("مصابه بالرجل", injured(), "ar taa"),
    ("جريح", injured(), "ar"),
    ("جرحى", injured(), "ar"),
    ("جرحي", injured(), "ar yaa"),
    ("إصابة خفيفة", injured(), "ar alef"),
    ("اصابه", injured(), "ar alef taa"),
    ("مجروح", injured(), "ar"),
    ("مساعدة مصاب", injured(), "ar"),
    ("ومصاب", injured(), "ar"),
    ("عنا جرحى بالسكري", injured(area_id=SUKKARI), "ar"),
    ("في السكري", move(SUKKARI), "ar"),
    ("في السكرى", move(SUKKARI), "ar yaa"),
    ("انا في الشعار", move(SHAAR), "ar"),
    ("بالشعار", move(SHAAR), "ar"),
    ("انا بمساكن هنانو", move(HANANO), "ar"),
    ("في بستان القصر", move(BUSTAN), "ar"),
    ("في الكلاسة", move(KALASA), "ar"),
    ("في الكلاسه", move(KALASA), "ar taa"),
    ("في الانصاري", move(ANSARI), "ar alef"),
    ("في طريق الباب", move(TARIQ), "ar"),
    ("في المشهد", move(MASHHAD), "ar"),
    ("في المشهـــد", move(MASHHAD), "ar tatweel"),
    ("قصف في السكري", ask(), "ar"),
    ("تمام بالبيت", safe(), "ar"),
    ("آمن K12 بالبيت", ask(), "ar"),
    ("بعدين", ask(), "ar"),
    ("في", ask("unknown_area"), "ar"),
    ("آمن الكل", everyone(), "ar"),
    ("الكل بخير", everyone(), "ar"),
    ("آمن الكل ما عدا K27", everyone("K27"), "ar"),
    ("الكل بخير إلا K27", everyone("K27"), "ar alef"),
    ("آمن K12 K14", proxy("K12", "K14"), "ar"),
    ("الكل", ask(), "ar"),
    ("كلمة", ask(), "ar"),
    ("حالتي", status(), "ar"),
    ("وضعي؟", status(), "ar punct"),
    ("آمن، تمام.", safe(), "ar punct"),
    ("تمام؟", safe(), "ar punct"),
    ("١", safe(option=1), "ar aidigit"),
    ("٢", help_(option=2), "ar aidigit"),
    ("٣", injured(option=3), "ar aidigit"),
    ("٥", option(5), "ar aidigit"),
    ("١ K12", proxy("K12", option=1), "ar aidigit"),
    ("اوكي ١٧", ack(17), "ar aidigit"),
    ("جديد K12 ٤٨٢١", new("K12", "4821"), "ar aidigit"),
    ("۱", safe(option=1), "ar pdigit"),
    ("۲ K12", help_(codenames=("K12",), option=2), "ar pdigit"),
    ("۴", option(4), "ar pdigit"),
    ("OK ۱۷", ack(17), "ar pdigit"),
    ("NEW K12 ۴۸۲۱", new("K12", "4821"), "ar pdigit"),
    ("\ufe81\ufee3\ufee6", safe(), "ar pres"),
    ("\ufe91\ufea8\ufef4\ufeae", safe(), "ar pres"),
    ("\ufee3\ufebc\ufe8e\ufe8f", injured(), "ar pres"),
    ("\ufe97\ufee4\ufe8e\ufee1", safe(), "ar pres"),
    ("\u200fآمن\u200f", safe(), "ar invis"),
    ("\u202bمساعدة\u202c", help_(), "ar invis"),
    ("\u2067تمام\u2069", safe(), "ar invis"),
    # --- dialect (Levantine/Syrian, Iraqi, Egyptian, Gulf) -----------------------------
    ("منيح", safe(), "ar di"),
    ("منيحة", safe(), "ar di"),
    ("منيحه", safe(), "ar di taa"),
    ("كلو تمام", safe(), "ar di"),
    ("كل شي تمام", safe(), "ar di"),
    ("ماشي الحال", safe(), "ar di"),
    ("ماشى الحال والحمد لله", safe(), "ar di yaa"),
    ("ما في شي", safe(), "ar di"),
    ("عايش", safe(), "ar di"),
    ("زين", safe(), "ar di"),
    ("ماكو شي", safe(), "ar di"),
    ("كويس", safe(), "ar di"),
    ("كويسة الحمد لله", safe(), "ar di"),
    ("زي الفل", safe(), "ar di"),
    ("مو منيح", help_(), "ar di"),
    ("مش كتير منيح", help_(), "ar di"),
    ("مب زين", help_(), "ar di"),
    ("الحقوني", help_(), "ar di"),
    ("الحقونى", help_(), "ar di yaa"),
    ("دخيلكم", help_(), "ar di"),
    ("فزعة", help_(), "ar di"),
    ("تصاوبت", injured(), "ar di"),
    ("اتعورت", injured(), "ar di"),
    ("انصبت بإيدي", injured(), "ar di"),
    ("صرت بالسكري", move(SUKKARI), "ar di"),
    ("هسه بالمشهد", move(MASHHAD), "ar di"),
    ("دلوقتي في الكلاسة", move(KALASA), "ar di"),
    ("الحين في الانصاري", move(ANSARI), "ar di"),
    ("شو وضعي", status(), "ar di"),
    ("شنو وضعي", status(), "ar di"),
    ("ايش حالتي", status(), "ar di"),
    ("الكل منيح بس K27", everyone("K27"), "ar di"),
    ("كلهم مناح", everyone(), "ar di"),
    # --- Arabizi ------------------------------------------------------------------------
    ("tamam", safe(), "az"),
    ("TAMAM", safe(), "az case"),
    ("mni7", safe(), "az di"),
    ("mnee7", safe(), "az di"),
    ("ana mni7a", safe(), "az di"),
    ("b5eir", safe(), "az"),
    ("bkheir el7amdella", safe(), "az"),
    ("7elo", safe(), "az di"),
    ("salim", safe(), "az"),
    ("kwayes", safe(), "az di"),
    ("kwayyes", safe(), "az di"),
    ("zein", safe(), "az di"),
    ("hamdella", safe(), "az"),
    ("mni7 kolo", safe(), "az di"),
    ("ma fi shi", safe(), "az di"),
    ("sa3doni", help_(), "az"),
    ("sa3ed", help_(), "az"),
    ("najde", help_(), "az"),
    ("2s3af", help_(), "az"),
    ("el7a2oni", help_(), "az di"),
    ("dakhilkon", help_(), "az di"),
    ("mish mni7", help_(), "az di"),
    ("msh tamam", help_(), "az di"),
    ("msab", injured(), "az"),
    ("musab", injured(), "az"),
    ("mjrou7", injured(), "az"),
    ("majrou7 bi2idi", injured(), "az"),
    ("jari7", injured(), "az"),
    ("tsawabt", injured(), "az di"),
    ("t3awart", injured(), "az di"),
    ("ana fi el sukkari", move(SUKKARI), "az"),
    ("bel mashhad", move(MASHHAD), "az di"),
    ("wad3i", status(), "az"),
    ("7alti", status(), "az"),
    ("tamam elkol", everyone(), "az"),
    # --- full-width letters, invisible marks, punctuation and spacing ------------------
    ("ＳＡＦＥ", safe(), "fullw case"),
    ("ＨＥＬＰ ｍｅ", help_(), "fullw"),
    ("ＯＫ １７", ack(17), "fullw"),
    ("ＳＴＡＴＵＳ", status(), "fullw"),
    ("SAFE\u200b", safe(), "invis"),
    ("\ufeffSTATUS", status(), "invis"),
    ("  safe   ", safe(), "punct"),
    ("SAFE!!!", safe(), "punct"),
    ("safe,k12,k14", proxy("K12", "K14"), "punct"),
    ("SAFE...ALL", everyone(), "punct"),
    ("HELP!!! trapped...", help_(), "punct"),
    ("ok #17", ack(17), "punct"),
    ("!!! ???", {"kind": "empty", "reason": "empty"}, "punct"),
    # --- misspelt areas that must resolve ----------------------------------------------
    ("at sukary", move(SUKKARI), "area_ok"),
    ("في السكر", move(SUKKARI), "ar area_ok"),
    ("AT Hananu", move(HANANO), "area_ok"),
    ("في هنانوو", move(HANANO), "ar area_ok"),
    ("at bustan al qasar", move(BUSTAN), "area_ok"),
    ("في بستان القسر", move(BUSTAN), "ar area_ok"),
    ("at kalaseh", move(KALASA), "area_ok"),
    ("at ansary", move(ANSARI), "area_ok"),
    ("at tareq el bab", move(TARIQ), "area_ok"),
    ("at mashhd", move(MASHHAD), "area_ok"),
    ("في المشاهد", move(MASHHAD), "ar area_ok"),
    ("at shar", move(SHAAR), "area_ok"),
    # --- near-misses that must ask back -------------------------------------------------
    ("at sari", ask("ambiguous_area", SUKKARI, ANSARI), "area_near"),
    ("at mash", ask("ambiguous_area", MASHHAD), "area_near"),
    ("في الباب", ask("ambiguous_area", TARIQ), "ar area_near"),
    ("at bustan", ask("ambiguous_area", BUSTAN), "area_near"),
    ("في مساكن", ask("ambiguous_area", HANANO), "ar area_near"),
    ("at tariq", ask("ambiguous_area", TARIQ), "area_near"),
]


def _check(message: str, got: Parsed, expected: dict[str, Any]) -> None:
    want = dict(expected)
    if want.get("note") is ...:
        want["note"] = message.strip()
    candidates = want.pop("area_candidates", set())
    if candidates:  # a near-miss must offer these; it may offer others too
        assert candidates <= set(got.area_candidates), got.area_candidates
        want["area_candidates"] = got.area_candidates
    assert got == dataclasses.replace(Parsed(want.pop("kind")), **want), message


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param(m, e, id=f"{n:03d}-{c.replace(' ', '-') or 'en'}")
        for n, (m, e, c) in enumerate(ROWS)
    ],
)
def test_message(message: str, expected: dict[str, Any]) -> None:
    _check(message, parse(message, areas=AREAS), expected)


def test_table_meets_the_minimums_of_the_issue() -> None:
    messages = [m for m, _, _ in ROWS]
    assert len(set(messages)) == len(messages), [m for m, n in Counter(messages).items() if n > 1]
    tags = Counter(t for _, _, c in ROWS for t in c.split())
    assert len(messages) >= 150
    assert tags["ar"] >= 60 and tags["az"] >= 25 and tags["di"] >= 25, tags
    assert all(tags[n] >= 3 for n in NORMALISATION), {n: tags[n] for n in NORMALISATION}
    assert tags["area_ok"] >= 10 and tags["area_near"] >= 5, tags


# Each tag must be true of its message, so the counts above cannot be met by mislabelling.
_TAG_CHECKS = {
    "ar": lambda m: re.search(r"[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufeff]", m),
    "az": lambda m: re.fullmatch(r"[ -~]+", m),
    "case": lambda m: m != m.lower() or m.upper() != m,
    "diac": lambda m: re.search(r"[\u064b-\u0652\u0670]", m),
    "tatweel": lambda m: "\u0640" in m,
    "alef": lambda m: re.search("[أإآٱ]", m) or re.search(r"(^|\s)ا", m),
    "yaa": lambda m: "ى" in m or m.endswith("ي"),
    "taa": lambda m: re.search(r"ه(\s|$)", m),
    "aidigit": lambda m: re.search("[٠-٩]", m),
    "pdigit": lambda m: re.search("[۰-۹]", m),
    "pres": lambda m: unicodedata.normalize("NFKC", m) != m,
    "invis": lambda m: re.search("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff]", m),
    "fullw": lambda m: re.search("[\uff01-\uff5e]", m),
    "punct": lambda m: re.search(r"[^\w\s]|\s\s|^\s|\s$", m),
    "area_ok": lambda m: True,
    "area_near": lambda m: True,
    "di": lambda m: True,
}


@pytest.mark.parametrize("tag", sorted(_TAG_CHECKS))
def test_row_tags_are_true_of_their_messages(tag: str) -> None:
    wrong = [m for m, _, c in ROWS if tag in c.split() and not _TAG_CHECKS[tag](m)]
    assert not wrong


def test_area_rows_are_moves_or_ask_backs_as_tagged() -> None:
    for message, expected, cats in ROWS:
        if "area_ok" in cats.split():
            assert expected["kind"] == "move", message
        if "area_near" in cats.split():
            assert expected["kind"] == "ask_back", message


def test_table_areas_are_the_demo_areas() -> None:
    from salama.demo.roster import AREAS as DEMO_AREAS

    assert {(row[0], row[1]) for row in DEMO_AREAS} == {a.names[:2] for a in AREAS}


# --- rules that hold beyond the table ---------------------------------------------------


def test_help_is_never_asked_back_whatever_surrounds_it() -> None:
    for word in DEFAULT_WORDS[Intent.NEED_HELP] + DEFAULT_WORDS[Intent.INJURED]:
        for message in (word, f"safe {word}", f"K12 {word} at sukkari", f"1 {word}", f"{word} 4"):
            assert parse(message, areas=AREAS).status in ("NEED_HELP", "INJURED"), message


def test_a_help_word_shaped_like_a_check_in_key_is_still_help() -> None:
    # "sa3doni" folds to seven key characters; after "#" it was taken out as a key (whether or
    # not its check character passed) and the call for help read as an empty text.
    for word in DEFAULT_WORDS[Intent.NEED_HELP] + DEFAULT_WORDS[Intent.INJURED]:
        for message in (f"# {word}", f"#{word}", f"safe #{word}", f"# {word} K12"):
            got = parse(message, areas=AREAS)
            assert got.kind == "checkin" and got.status in ("NEED_HELP", "INJURED"), message
            assert got.key is None, message


def test_a_real_key_beside_a_help_word_is_kept() -> None:
    key = checkinkey.new_key()
    got = parse(f"help #{key}")
    assert (got.status, got.key) == ("NEED_HELP", key)


def test_injury_wins_over_help() -> None:
    assert parse("HELP injured").status == "INJURED"
    assert parse("مصاب ساعدوني").status == "INJURED"


def test_a_proxy_with_words_it_does_not_know_is_asked_back() -> None:
    assert parse("SAFE ALL not K27").kind == "ask_back"
    assert parse("K12 مش معنا بس الباقي بخير").kind == "ask_back"


def test_no_areas_means_every_move_asks_back() -> None:
    assert parse("AT Sukkari") == Parsed("ask_back", reason="unknown_area")


def test_match_area_is_usable_on_its_own() -> None:
    assert match_area(["sukkari"], AREAS).area_id == SUKKARI
    assert match_area(["xyz"], AREAS).area_id is None


# --- organisations change the vocabulary ------------------------------------------------


def test_default_vocabulary_has_no_word_with_two_meanings() -> None:
    seen: dict[str, Intent] = {}
    for intent, words in DEFAULT_WORDS.items():
        for word in words:
            key = " ".join(Vocabulary({word: intent}).words)
            assert seen.setdefault(key, intent) == intent, (word, seen[key], intent)


def test_rename_moves_a_word_and_keeps_its_meaning() -> None:
    vocab = Vocabulary.default().with_changes(rename={"SAFE": "Zaytoun", "آمن": "زيتون"})
    assert parse("zaytoun", vocabulary=vocab) == Parsed("checkin", status="SAFE")
    assert parse("زيتون K12", vocabulary=vocab) == Parsed(
        "proxy_checkin", status="SAFE", codenames=("K12",)
    )
    assert parse("safe", vocabulary=vocab).kind == "ask_back"
    assert parse("آمن", vocabulary=vocab).kind == "ask_back"


def test_add_extends_with_normalised_words() -> None:
    vocab = Vocabulary.default().with_changes(
        add={"  Blue Sky!! ": Intent.SAFE, "قمر": "NEED_HELP", "raise": Intent.ALL}
    )
    assert parse("BLUE SKY", vocabulary=vocab).status == "SAFE"
    assert parse("blue sky raise", vocabulary=vocab).everyone
    assert parse("قمر", vocabulary=vocab).status == "NEED_HELP"
    assert parse("sky", vocabulary=vocab).kind == "ask_back"


def test_remove_disables_words_given_in_any_spelling() -> None:
    vocab = Vocabulary.default().with_changes(remove=["آمـن", "TAMAM", "not-a-word"])
    assert parse("امن", vocabulary=vocab).kind == "ask_back"
    assert parse("tamam", vocabulary=vocab).kind == "ask_back"
    assert parse("بخير", vocabulary=vocab).status == "SAFE"


def test_with_changes_leaves_the_original_alone() -> None:
    base = Vocabulary.default()
    base.with_changes(remove=["safe"])
    assert parse("safe", vocabulary=base).status == "SAFE"
    assert "safe" in base.by_intent()[Intent.SAFE]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"rename": {"nosuchword": "x"}}, KeyError),
        ({"add": {"!!!": Intent.SAFE}}, ValueError),
        ({"add": {"١٢": Intent.SAFE}}, ValueError),
        ({"add": {"word": "NOT_AN_INTENT"}}, ValueError),
    ],
    ids=["rename-unknown", "add-empty", "add-digits", "add-bad-intent"],
)
def test_bad_changes_are_refused(change: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        Vocabulary.default().with_changes(**change)


# --- never raises --------------------------------------------------------------------------

_PIECES = st.one_of(
    st.sampled_from([w for words in DEFAULT_WORDS.values() for w in words]),
    st.sampled_from([n for a in AREAS for n in a.names]),
    st.from_regex(r"-?[A-Za-z]{1,3}[0-9]{1,4}", fullmatch=True),
    st.from_regex(r"[0-9٠-٩۰-۹]{1,12}", fullmatch=True),
    st.sampled_from(list("-#،؛؟!?.,:;()\u200f\u202b\u2069\ufeff\u0640\u064e") + ["", "—"]),
    st.text(max_size=5),
)


@given(st.text())
def test_parse_never_raises_on_any_text(text: str) -> None:
    assert isinstance(parse(text, areas=AREAS), Parsed)


@settings(max_examples=300)
@given(st.lists(_PIECES, max_size=8), st.sampled_from([" ", "  ", ",", "\n", "، "]))
def test_parse_never_raises_on_mixed_keywords(pieces: list[str], sep: str) -> None:
    got = parse(sep.join(pieces), areas=AREAS)
    assert got.kind != "ask_back" or got.reason is not None
    assert got.status in (None, "SAFE", "NEED_HELP", "INJURED")


@settings(max_examples=300)
@given(
    st.lists(_PIECES, max_size=6),
    st.sampled_from(DEFAULT_WORDS[Intent.NEED_HELP] + DEFAULT_WORDS[Intent.INJURED]),
    st.lists(_PIECES, max_size=6),
)
def test_a_help_word_anywhere_is_never_asked_back(
    before: list[str], word: str, after: list[str]
) -> None:
    got = parse(" ".join([*before, word, *after]), areas=AREAS)
    assert got.kind == "checkin" and got.status in ("NEED_HELP", "INJURED")
