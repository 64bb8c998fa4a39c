"""The facility text command, parsed: ``FAC <code> PARTIAL FUEL 2D BEDS 40/60`` and its Arabic
equivalents (``مشفى <code> جزئي مازوت ٢ي``). Pure Python on the protocol's normaliser
(salama.lib.textnorm: Arabic-Indic digits, letter variants, case, punctuation).

Grammar, after the head word and the code, in any order:

- a functionality word (full / partial / none / unknown);
- a stock word and its days of stock: ``2d``, ``2 d``, ``36h`` (hours), ``1.5d``; no unit: days;
- ``BEDS <occupied> <total>`` (``40/60``).

Words of five letters or more (four in Arabic) match at one typo. The words are a table that each
organisation can rename, extend or trim (``Organisation.settings["facility_keywords"]``, the
same ``add`` / ``remove`` / ``rename`` shape as the protocol's keywords).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from salama.lib.textnorm import normalize, tokens

HEAD = "FAC"
BEDS = "BEDS"
DAYS = "DAYS"
HOURS = "HOURS"
FUNCTIONALITY_WORDS = ("full", "partial", "none", "unknown")
STOCK_WORDS = ("fuel", "oxygen", "blood", "anaesthesia", "iv_fluids", "antibiotics")
MEANINGS = (HEAD, BEDS, DAYS, HOURS, *FUNCTIONALITY_WORDS, *STOCK_WORDS)

DEFAULT_WORDS: dict[str, list[str]] = {
    HEAD: ["fac", "facility", "site", "مشفى", "مرفق", "منشأة", "نقطة"],
    BEDS: ["beds", "bed", "أسرة", "اسرة", "سرير", "سراير", "asreh"],
    DAYS: ["d", "day", "days", "ي", "يوم", "أيام", "ايام"],
    HOURS: ["h", "hr", "hrs", "hour", "hours", "س", "ساعة", "ساعات"],
    "full": ["full", "fully", "working", "كامل", "كاملة", "يعمل", "شغال", "kamel"],
    "partial": ["partial", "partly", "part", "جزئي", "جزئيا", "نص", "ju2i", "juz2i"],
    "none": ["none", "down", "closed", "stopped", "متوقف", "مغلق", "معطل", "واقف", "mota2ef"],
    "unknown": ["unknown", "مجهول", "majhoul"],
    "fuel": ["fuel", "diesel", "gen", "مازوت", "وقود", "ديزل", "محروقات", "mazot", "mazout"],
    "oxygen": ["oxygen", "o2", "oxy", "أكسجين", "اكسجين", "أوكسجين", "ox"],
    "blood": ["blood", "دم", "damm"],
    "anaesthesia": ["anaesthesia", "anesthesia", "anaes", "بنج", "تخدير", "banj"],
    "iv_fluids": ["fluids", "iv", "سيروم", "سوائل", "serum"],
    "antibiotics": ["antibiotics", "abx", "صادات", "مضادات", "antibiotic"],
}  # fmt: skip

_DECIMAL = re.compile(r"(\d)[.,\u066b](\d)")
_QUANTITY = re.compile(r"(-?)(\d{1,6})(?:x(\d{1,3}))?(\D*)")
_ARABIC = re.compile(r"[\u0600-\u06ff]")


@dataclass(frozen=True)
class Words:
    """Normalised word -> meaning."""

    table: Mapping[str, str]

    @classmethod
    def build(cls, changes: Mapping[str, object] | None = None) -> Words:
        table = {normalize(w): m for m, ws in DEFAULT_WORDS.items() for w in ws}
        changes = changes or {}
        for word in changes.get("remove", []) or []:  # type: ignore[attr-defined]
            table.pop(normalize(str(word)), None)
        for old, new in (changes.get("rename", {}) or {}).items():  # type: ignore[attr-defined]
            meaning = table.pop(normalize(str(old)), None)
            if meaning is not None:
                table[normalize(str(new))] = meaning
        for word, meaning in (changes.get("add", {}) or {}).items():  # type: ignore[attr-defined]
            if meaning in MEANINGS and normalize(str(word)):
                table[normalize(str(word))] = str(meaning)
        return cls(table)

    def meaning(self, token: str, *, fuzzy: bool = True) -> str | None:
        found = self.table.get(token)
        if found is not None or not fuzzy:
            return found
        if len(token) < (4 if _ARABIC.search(token) else 5):
            return None
        close = {m for w, m in self.table.items() if len(w) >= 4 and _near(token, w)}
        return close.pop() if len(close) == 1 else None


def _near(a: str, b: str) -> bool:
    return Levenshtein.distance(a, b, score_cutoff=1) <= 1


@dataclass
class FacilityText:
    code: str = ""
    functionality: str | None = None
    stocks: dict[str, float] = field(default_factory=dict)  # days of stock
    beds_occupied: int | None = None
    beds_total: int | None = None
    error: str = ""  # no_code | unknown_word | negative | nothing


def is_facility_text(text: str, words: Words) -> bool:
    toks = tokens(text)
    return bool(toks) and words.meaning(toks[0], fuzzy=False) == HEAD


def _quantity(toks: list[str], i: int, words: Words) -> tuple[float | None, int, bool]:
    """(days, tokens used, negative) for the quantity at toks[i]."""
    if i >= len(toks):
        return None, 0, False
    match = _QUANTITY.fullmatch(toks[i])
    if match is None:
        return None, 0, False
    sign, whole, frac, unit = match.groups()
    value = float(f"{whole}.{frac}") if frac else float(whole)
    used = 1
    if not unit and i + 1 < len(toks) and words.meaning(toks[i + 1]) in (DAYS, HOURS):
        unit, used = toks[i + 1], 2
    meaning = words.meaning(unit) if unit else DAYS
    if meaning not in (DAYS, HOURS):
        return None, 0, False
    days = value / 24 if meaning == HOURS else value
    return days, used, bool(sign)


def parse_facility(text: str, words: Words) -> FacilityText | None:
    """The command in ``text``, or None when the text is not a facility command."""
    toks = tokens(_DECIMAL.sub(r"\1x\2", text))
    if not toks or words.meaning(toks[0], fuzzy=False) != HEAD:
        return None
    out = FacilityText()
    if len(toks) < 2 or words.meaning(toks[1], fuzzy=False) is not None:
        out.error = "no_code"
        return out
    out.code = toks[1].upper()
    i = 2
    while i < len(toks):
        meaning = words.meaning(toks[i])
        if meaning in FUNCTIONALITY_WORDS:
            out.functionality, i = meaning, i + 1
        elif meaning in STOCK_WORDS:
            days, used, negative = _quantity(toks, i + 1, words)
            if negative:
                out.error = "negative"
                return out
            if days is None:
                out.error = "unknown_word"
                return out
            out.stocks[str(meaning)] = round(days, 2)
            i += 1 + used
        elif meaning == BEDS:
            numbers = [t for t in toks[i + 1 : i + 3] if t.isdigit()]
            if not numbers:
                out.error = "unknown_word"
                return out
            out.beds_occupied = int(numbers[0])
            out.beds_total = int(numbers[1]) if len(numbers) > 1 else None
            i += 1 + len(numbers)
        else:
            out.error = "negative" if toks[i].startswith("-") else "unknown_word"
            return out
    if out.functionality is None and not out.stocks and out.beds_occupied is None:
        out.error = "nothing"
    return out
