"""Drafts from free text: a field message or a news report (Arabic, dialect or English) read by
rules, never a model. Each finding keeps its span in the original text, so the page can
highlight it for a human to confirm or correct; a draft is only ever a proposal.

- words: the text is cut into words with their positions; each word is compared in its
  normalised form (salama.lib.textnorm) and, for Arabic, also without its clitic prefixes
  (و ف ب ل ال ...), so "والمستشفى" meets "مستشفي";
- attack types: phrases per code in both languages (`PHRASES`), a phrase word matching the
  start of a text word (``shell`` meets ``shelling``); the organisation adds its own phrases;
- counts: digits (any script), number words (en, ar), and Arabic dual nouns ("ممرضتين": two
  nurses); a count is the nearest number to a death or injury word in the same clause;
- area: the organisation's area names and aliases, exact or fuzzy (rapidfuzz) on word n-grams;
- date: ISO and day/month forms, English and Arabic month names, today/yesterday.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz, process

from salama.lib import clock
from salama.lib.textnorm import normalize

WORD = re.compile(r"[^\W_]+", re.UNICODE)
PREFIXES = ("وال", "فال", "بال", "كال", "لل", "ال", "و", "ف", "ب", "ل")
AREA_THRESHOLD = 88

PHRASES: dict[str, tuple[str, ...]] = {
    "heavy_weapons": (
        "shell", "shelled", "shelling", "airstrike", "air strike", "air raid", "airstrikes",
        "bomb", "bombed", "bombing", "barrel bomb", "missile", "rocket", "mortar", "artillery",
        "drone strike", "explosion", "explosive", "warplane",
        "قصف", "قذيفه", "قذائف", "غاره", "غارات", "صاروخ", "صواريخ", "برميل", "براميل",
        "هاون", "مدفعيه", "طيران", "انفجار", "مسيره", "ضربه جويه", "متفجره",
    ),
    "individual_weapons": (
        "shot", "shooting", "gunfire", "sniper", "opened fire", "stabbed", "knife",
        "bullet", "اطلاق نار", "اطلاق الرصاص", "رصاص", "قناص", "قنص", "طعن", "سكين",
        "النار علي", "اطلقوا النار",
    ),
    "psychological": (
        "threat", "threatened", "threatening", "intimidat", "harass",
        "تهديد", "هدد", "هددوا", "ترهيب", "تخويف", "مضايقه",
    ),
    "obstruction": (
        "checkpoint", "blocked", "denied passage", "denied access", "prevented", "held at",
        "obstruct", "turned back", "not allowed to pass",
        "حاجز", "منع", "منعت", "منعوا", "عرقله", "اغلاق الطريق", "لم يسمح", "اوقفت سياره",
    ),
    "assault": (
        "beaten", "beat", "assaulted", "punched", "kicked", "slapped",
        "بالضرب", "ضربوا", "ضرب", "صفع", "لكم", "ركل", "اعتدوا علي",
    ),
    "sexual_assault": ("rape", "raped", "sexual", "اغتصاب", "تحرش", "جنسي", "جنسيه"),
    "abduction_arrest_detention": (
        "abduct", "kidnap", "arrest", "detain", "detention", "taken away", "taken into custody",
        "خطف", "اختطاف", "اختطف", "اعتقال", "اعتقل", "احتجاز", "احتجز", "توقيف", "اقتيد",
        "اعتقلوا", "خطفوا",
    ),
    "armed_search": (
        "raid", "raided", "stormed", "searched", "search of",
        "مداهمه", "داهم", "داهمت", "داهموا", "اقتحام", "اقتحم", "اقتحموا", "تفتيش", "فتشوا",
    ),
    "militarization": (
        "military base", "used as a base", "military position", "took over the", "occupied the",
        "turned into a barracks", "ثكنه", "مقر عسكري", "موقع عسكري", "تمركز", "تمركزوا",
        "حولوا",
    ),
    "removal_of_assets": (
        "looted", "loot", "stole", "stolen", "seized", "confiscat", "took the ambulance",
        "نهب", "سرق", "سرقه", "سرقوا", "مصادره", "صادر", "صادروا", "استولي", "استولوا",
    ),
    "setting_fire": (
        "set fire", "set on fire", "burned", "burnt", "arson", "torched", "fire broke",
        "احراق", "اضرام النار", "احرق", "احرقوا", "حرق", "النيران", "حريق",
    ),
    "chemical_agent": (
        "chemical", "chlorine", "tear gas", "toxic gas", "sarin",
        "كيماوي", "كيميائي", "كيميائيه", "كلور", "غاز سام", "غازات",
    ),
    "criminalization": (
        "prosecuted", "charged with", "convicted", "sentenced", "for treating",
        "محاكمه", "ملاحقه قضائيه", "تهمه", "حكم عليه", "بتهمه",
    ),
}  # fmt: skip

KILLED: tuple[str, ...] = (
    "killed", "killing", "dead", "died", "dies", "deaths", "death", "martyr", "lives",
    "قتل", "قتلي", "مقتل", "قتيل", "قتيلا", "استشهد", "استشهاد", "شهيد", "شهداء", "شهيدا",
    "وفاه", "توفي", "توفيت", "موت", "مات", "ماتت", "ارتقي", "ارتقاء", "الضحايا", "ضحايا",
)  # fmt: skip
INJURED: tuple[str, ...] = (
    "injured", "injuring", "injuries", "injury", "wounded", "wounding", "hurt", "casualties",
    "جرح", "جريح", "جرحي", "اصابه", "اصابات", "مصاب", "مصابين", "مصابا", "اصيب", "اصيبت",
    "اصابه", "جراح", "بجروح", "الجرحي", "جريحا",
)  # fmt: skip
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "dozen": 12,
    "fifteen": 15, "twenty": 20, "thirty": 30,
    "واحد": 1, "واحده": 1, "اثنان": 2, "اثنين": 2, "اثنتين": 2, "اثنتان": 2, "ثلاث": 3,
    "ثلاثه": 3, "اربع": 4, "اربعه": 4, "خمس": 5, "خمسه": 5, "ست": 6, "سته": 6, "سبع": 7,
    "سبعه": 7, "ثمان": 8, "ثماني": 8, "ثمانيه": 8, "تسع": 9, "تسعه": 9, "عشر": 10,
    "عشره": 10, "عشرين": 20, "عشرون": 20, "ثلاثين": 30,
}  # fmt: skip
# Arabic person nouns whose dual ("طبيبان", "ممرضتين") means two; "-ين" counts only where the
# plural is broken (أطباء, مرضى), so it cannot be a plural.
DUAL_STEMS = ("طبيب", "مريض", "شخص", "طفل", "قتيل", "جريح", "شهيد", "مدني", "رجل")
DUAL_AN_ONLY = ("ممرض", "مسعف", "عامل", "سائق", "مصاب", "موظف")
# Arabic plural nouns of the dead and injured: their number stands before them ("ثلاثة شهداء");
# after a verb or verbal noun it follows ("استشهاد ٣").
COUNTED_NOUNS = frozenset(
    normalize(w) for w in ("قتلى", "قتيل", "شهداء", "شهيد", "جرحى", "جريح", "مصابين", "ضحايا")
)
# Plurals of the dead and injured that cannot describe the writer of a text, and first-person
# words that make a mention the writer's own (`reported_casualties`).
PLURALS = frozenset(
    normalize(w) for w in ("قتلى", "شهداء", "جرحى", "مصابين", "casualties", "martyrs", "fatalities")
)
FIRST_PERSON = frozenset(
    normalize(w)
    for w in (
        "i", "im", "me", "my", "we", "us", "our", "انا", "أنا", "احنا", "نحن", "نحنا",
        "عندنا", "عندي", "ana", "2ana", "ahna", "n7na",
    )
)  # fmt: skip
KILLED = tuple(normalize(w) for w in KILLED)
INJURED = tuple(normalize(w) for w in INJURED)
NUMBER_WORDS = {normalize(k): v for k, v in NUMBER_WORDS.items()}
CLAUSE = re.compile(r"[.;!?\n،؛]")
MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    "يناير": 1, "فبراير": 2, "مارس": 3, "ابريل": 4, "مايو": 5, "يونيو": 6, "يوليو": 7,
    "اغسطس": 8, "سبتمبر": 9, "اكتوبر": 10, "نوفمبر": 11, "ديسمبر": 12, "شباط": 2,
    "اذار": 3, "نيسان": 4, "ايار": 5, "حزيران": 6, "تموز": 7, "اب": 8, "ايلول": 9,
}  # fmt: skip
TWO_WORD_MONTHS = {
    ("تشرين", "الاول"): 10, ("تشرين", "الثاني"): 11, ("كانون", "الاول"): 12,
    ("كانون", "الثاني"): 1,
}  # fmt: skip
TODAY_WORDS = {"today", "tonight", "this morning", "اليوم", "الليله", "صباح اليوم"}
YESTERDAY_WORDS = {"yesterday", "last night", "امس", "البارحه", "مساء امس", "ليله امس"}


TODAY = {normalize(w) for w in TODAY_WORDS}
YESTERDAY = {normalize(w) for w in YESTERDAY_WORDS}
MONTHS = {normalize(k): v for k, v in MONTHS.items()}


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    norm: str
    clause: int


@dataclass
class Finding:
    field: str  # date, area, attack_type, killed, injured
    value: object
    start: int
    end: int


@dataclass
class Draft:
    occurred_on: date | None = None
    area: object | None = None  # a people.Area
    attack_types: list[str] = field(default_factory=list)
    killed: int | None = None
    injured: int | None = None
    findings: list[Finding] = field(default_factory=list)


def tokenize(text: str) -> list[Token]:
    out = []
    clause = 0
    last = 0
    for match in WORD.finditer(text):
        clause += len(CLAUSE.findall(text, last, match.start()))
        last = match.end()
        norm = normalize(match.group())
        if norm:
            out.append(Token(match.start(), match.end(), norm.replace(" ", ""), clause))
    return out


@lru_cache(maxsize=50_000)
def variants(word: str) -> tuple[str, ...]:
    """The word and the word without one Arabic clitic prefix (one level, and a second for
    "و" + "ال"): what a phrase word may match."""
    found = [word]
    for prefix in PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            found.append(word[len(prefix) :])
    return tuple(found)


def _word_matches(phrase_word: str, word: str) -> bool:
    for variant in variants(word):
        if variant == phrase_word:
            return True
        if len(phrase_word) >= 4 and variant.startswith(phrase_word):
            return True
    return False


@lru_cache(maxsize=256)
def _compiled(phrases: tuple[tuple[str, str], ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((code, tuple(normalize(p).split())) for code, p in phrases)


def phrase_table(extra: dict[str, str] | None = None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    pairs = [(code, p) for code, words in PHRASES.items() for p in words]
    pairs += [(code, phrase) for phrase, code in (extra or {}).items()]
    return _compiled(tuple(pairs))


@lru_cache(maxsize=256)
def _by_first_word(
    table: tuple[tuple[str, tuple[str, ...]], ...],
) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    index: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for code, words in table:
        if words:
            index.setdefault(words[0], []).append((code, words))
    return index


def _candidates(word: str, index: dict[str, list[tuple[str, tuple[str, ...]]]]) -> list[Any]:
    """The phrases whose first word matches this word: exactly, or as its start (4+ letters)."""
    found = []
    for variant in variants(word):
        found += index.get(variant, [])
        for end in range(4, len(variant)):
            found += index.get(variant[:end], [])
    return found


def find_phrases(
    tokens: Sequence[Token], table: tuple[tuple[str, tuple[str, ...]], ...]
) -> list[Finding]:
    index = _by_first_word(table)
    found = []
    for i, token in enumerate(tokens):
        for code, words in _candidates(token.norm, index):
            if i + len(words) > len(tokens):
                continue
            if all(_word_matches(w, tokens[i + j].norm) for j, w in enumerate(words[1:], 1)):
                end = tokens[i + len(words) - 1].end
                found.append(Finding("attack_type", code, token.start, end))
    return found


def number_of(word: str) -> int | None:
    if word.startswith("و") and word[1:].isdigit():  # "و٥": and five
        word = word[1:]
    if word.isdigit():
        return int(word) if len(word) <= 5 else None
    for variant in variants(word):
        if variant in NUMBER_WORDS:
            return NUMBER_WORDS[variant]
        if _is_dual(variant):
            return 2
    return None


def _is_dual(word: str) -> bool:
    for stem in DUAL_STEMS + DUAL_AN_ONLY:
        if word in (stem + "ان", stem + "تان", stem + "تين", stem + "هان"):
            return True
        if stem in DUAL_STEMS and word == stem + "ين":
            return True
    return False


def _keyword(word: str, keywords: tuple[str, ...]) -> bool:
    """A death or injury word: exactly, or as the start of a longer form (``قتيلان``,
    ``wounding``), once clitic prefixes are set aside."""
    return any(
        v in keywords
        or any(len(k) >= (5 if k.isascii() else 3) and v.startswith(k) for k in keywords)
        for v in variants(word)
    )


def _pairs(tokens: Sequence[Token]) -> list[tuple[int, int, str]]:
    """Each mention of a death or injury word with the nearest number in its clause (at most
    four words away; a tie goes to the word after it in Arabic, before it in English), nearest
    pairs first, each number used once: (word index, number index, field). A dual noun that is
    itself the death or injury word ("قتيلان") is its own count (word index == number index)."""
    pairs: list[tuple[int, int, int, int, str]] = []  # distance, tie, keyword, number, field
    for i, token in enumerate(tokens):
        for name, keywords in (("killed", KILLED), ("injured", INJURED)):
            if not _keyword(token.norm, keywords):
                continue
            if not token.norm.isascii() and number_of(token.norm) == 2:
                pairs.append((0, 0, i, i, name))
                continue
            for j in range(max(0, i - 4), min(len(tokens), i + 5)):
                if j == i or tokens[j].clause != token.clause or number_of(tokens[j].norm) is None:
                    continue
                if tokens[j].norm in ("a", "an") and j > i:
                    continue
                after_first = not token.norm.isascii() and not (
                    set(variants(token.norm)) & COUNTED_NOUNS
                )
                tie = 0 if (j > i) == after_first else 1
                pairs.append((abs(j - i), tie, i, j, name))
    chosen: list[tuple[int, int, str]] = []
    used_keywords: set[int] = set()
    used_numbers: set[int] = set()
    for _distance, _tie, i, j, name in sorted(pairs):
        if i in used_keywords or j in used_numbers:
            continue
        used_keywords.add(i)
        used_numbers.add(j)
        chosen.append((i, j, name))
    return chosen


def _counts(tokens: Sequence[Token]) -> list[Finding]:
    """Deaths and injuries (see `_pairs`); several mentions: the largest."""
    best: dict[str, Finding] = {}
    for i, j, name in _pairs(tokens):
        value = number_of(tokens[j].norm) or 0
        start, end = min(tokens[i].start, tokens[j].start), max(tokens[i].end, tokens[j].end)
        if name not in best or value > int(best[name].value):  # type: ignore[call-overload]
            best[name] = Finding(name, value, start, end)
    return list(best.values())


def _about_the_writer(tokens: Sequence[Token], first: int) -> bool:
    """A first-person word ("we", "I am", "احنا", "وأنا") in the three words before."""
    return any(
        set(variants(t.norm)) & FIRST_PERSON
        for t in tokens[max(0, first - 3) : first]
        if t.clause == tokens[first].clause
    )


def reported_casualties(text: str) -> list[tuple[int, int]]:
    """The spans of the words in `text` that report other people's deaths or injuries: a death
    or injury word with its count and the count itself ("2 killed", "٣ شهداء", "three
    wounded", "قتيلان"), or a plural that cannot be the writer ("casualties", "جرحى"); never
    one after a first-person word ("we have 3 injured", "احنا مصابين"). What is left of a
    text is the writer's own (the ATTACK command reads a call for help in it)."""
    tokens = tokenize(text)
    spans: list[tuple[int, int]] = []
    for i, j, _name in _pairs(tokens):
        if not _about_the_writer(tokens, min(i, j)):
            spans += [(tokens[i].start, tokens[i].end), (tokens[j].start, tokens[j].end)]
    for i, token in enumerate(tokens):
        if set(variants(token.norm)) & PLURALS and not _about_the_writer(tokens, i):
            spans.append((token.start, token.end))
    return sorted(set(spans))


def find_date(text: str, tokens: Sequence[Token], today: date) -> Finding | None:
    iso = re.search(r"\b(20\d\d)-(\d{1,2})-(\d{1,2})\b", normalize_digits(text))
    if iso:
        found = _safe_date(int(iso[1]), int(iso[2]), int(iso[3]))
        if found:
            return Finding("date", found, iso.start(), iso.end())
    dmy = re.search(r"\b(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2,4}))?\b", normalize_digits(text))
    if dmy:
        year = int(dmy[3]) if dmy[3] else today.year
        year = year + 2000 if year < 100 else year
        found = _safe_date(year, int(dmy[2]), int(dmy[1]))
        if found:
            return Finding("date", found, dmy.start(), dmy.end())
    for i, token in enumerate(tokens):
        month = _month_at(tokens, i)
        if month is None:
            continue
        for j in (i - 1, i + 1, i + 2):
            if 0 <= j < len(tokens) and tokens[j].norm.isdigit() and int(tokens[j].norm) <= 31:
                year = (
                    today.year
                    if (month, int(tokens[j].norm)) <= (today.month, today.day)
                    else today.year - 1
                )
                found = _safe_date(year, month, int(tokens[j].norm))
                if found:
                    return Finding(
                        "date",
                        found,
                        min(token.start, tokens[j].start),
                        max(token.end, tokens[j].end),
                    )
    for i, token in enumerate(tokens):
        for size in (2, 1):
            if i + size > len(tokens):
                continue
            words = " ".join(t.norm for t in tokens[i : i + size])
            for variant in {words, *variants(words)}:
                if variant in YESTERDAY:
                    return Finding(
                        "date", today - timedelta(days=1), token.start, tokens[i + size - 1].end
                    )
                if variant in TODAY:
                    return Finding("date", today, token.start, tokens[i + size - 1].end)
    return None


def _month_at(tokens: Sequence[Token], i: int) -> int | None:
    if i + 1 < len(tokens):
        pair = (tokens[i].norm, tokens[i + 1].norm)
        if pair in TWO_WORD_MONTHS:
            return TWO_WORD_MONTHS[pair]
    if i > 0 and (tokens[i - 1].norm, tokens[i].norm) in TWO_WORD_MONTHS:
        return None
    word = tokens[i].norm
    if word in ("may", "mar") or len(word) < 3:
        return None if word != "may" or i == 0 or not tokens[i - 1].norm.isdigit() else 5
    return MONTHS.get(word) or next(
        (MONTHS[v] for v in variants(word) if v in MONTHS and len(v) > 2), None
    )


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def normalize_digits(text: str) -> str:
    return "".join(str(int(ch)) if ch.isdigit() and not ch.isascii() else ch for ch in text)


@dataclass(frozen=True)
class AreaName:
    area: object
    words: tuple[str, ...]


def area_names(areas: Iterable[object]) -> list[AreaName]:
    names = []
    for area in areas:
        spellings = [area.name_en, area.name_ar, *area.alias_list()]  # type: ignore[attr-defined]
        for spelling in spellings:
            words = tuple(normalize(spelling).split())
            if words:
                names.append(AreaName(area, words))
                stripped = tuple(w for w in words if w not in ("al", "el"))
                if stripped and stripped != words:
                    names.append(AreaName(area, stripped))
    return names


def find_area(tokens: Sequence[Token], names: Sequence[AreaName]) -> Finding | None:
    """The best area name in the text: the highest score (exact words score 100), then the
    longer name; a window of the text's words is compared with each name of its length, also
    with its Arabic clitic prefixes set aside."""
    by_size: dict[int, list[AreaName]] = {}
    for name in names:
        by_size.setdefault(len(name.words), []).append(name)
    best: tuple[float, int, Finding] | None = None
    for size, group in by_size.items():
        targets = [" ".join(n.words) for n in group]
        for i in range(len(tokens) - size + 1):
            window = tokens[i : i + size]
            words = [t.norm for t in window]
            tries = {" ".join(words), " ".join(variants(w)[-1] for w in words)}
            if size == 1:
                tries |= set(variants(words[0]))
            for text in tries:
                match = process.extractOne(
                    text, targets, scorer=fuzz.ratio, score_cutoff=AREA_THRESHOLD
                )
                if match is None or (match[1] < 100 and len(match[0]) < 5):
                    continue
                key = (match[1], len(match[0]))
                if best is None or key > best[:2]:
                    finding = Finding("area", group[match[2]].area, window[0].start, window[-1].end)
                    best = (match[1], len(match[0]), finding)
    return best[2] if best else None


def draft(
    text: str,
    *,
    areas: Iterable[object] = (),
    today: date | None = None,
    extra_phrases: dict[str, str] | None = None,
    names: Sequence[AreaName] | None = None,
) -> Draft:
    """Propose a draft from text (see the module docstring)."""
    tokens = tokenize(text)
    out = Draft()
    today = today or clock.now().date()
    when = find_date(text, tokens, today)
    if when:
        out.occurred_on = when.value  # type: ignore[assignment]
        out.findings.append(when)
    place = find_area(tokens, names if names is not None else area_names(areas))
    if place:
        out.area = place.value
        out.findings.append(place)
    types = list(
        {(f.value, f.start): f for f in find_phrases(tokens, phrase_table(extra_phrases))}.values()
    )
    out.findings += types
    codes = {str(f.value) for f in types}
    out.attack_types = [code for code in PHRASES if code in codes]
    for count in _counts(tokens):
        setattr(out, count.field, count.value)
        out.findings.append(count)
    out.findings.sort(key=lambda f: (f.start, f.end))
    return out
