"""The field text protocol (DESIGN §8): one SMS in, one meaning out.

Pure Python, no Django: the inbound handler, the simulator and the tests call ``parse``.

The order of the rules is the protocol:

0. A check-in key (``#k7f3q9x``, salama.lib.checkinkey) is taken out of the text first and kept
   in ``key``; the rest is read by the rules below. A key that fails its check is dropped. A
   help word can be shaped like a key (``# sa3doni``): when the whole text, token included,
   reads as help or injury and the rest does not, the whole reading wins and there is no key.
1. Nothing left after normalisation: ``empty``.
2. A help or injury word anywhere (or ``2``/``3`` first, or a negated safe word such as
   ``مش منيح``): a NEED_HELP or INJURED check-in, injury winning. Never asked back.
3. A number first: ``1`` is SAFE (with codenames or ALL: a proxy check-in), a number from 4 to 99
   is a roll-call option. Both set ``option``.
4. ``NEW <codename> <personal code>`` and ``<ack word> <alert number>``.
5. A safe word: a check-in, or a proxy check-in when codenames or ALL are named. A proxy with
   words the parser does not know is asked back rather than guessed.
6. ``STATUS``; ``AT <area>`` (also ``بالسكري``): a move, asked back when the area is not clear.
7. Anything else is asked back (``unknown_word``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Literal

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from salama.lib import checkinkey
from salama.lib.textnorm import normalize, tokens
from salama.messaging.vocabulary import DEFAULT_WORDS, EXACT_ONLY, Intent

__all__ = [
    "DEFAULT_WORDS",
    "AreaChoice",
    "AreaMatch",
    "Intent",
    "Parsed",
    "Vocabulary",
    "match_area",
    "parse",
]


# Fixed grammar, not per organisation: words that negate a safe word, that may stand between
# the negation and the word, and that carry no meaning here.
_NEGATIONS = frozenset(
    normalize(w)
    for w in [
        "not", "isnt", "arent", "aint", "dont", "never", "nobody", "no one", "noone",
        "مش", "مو", "مب", "موب", "ما", "مانو", "ماني", "مانا", "مانيش", "ليس", "لست", "لسنا",
        "غير", "بدون", "ما حدا", "ماحدا", "محدا", "مافي حدا", "ما في حدا", "ولا حدا", "محد",
        "ماحد", "ما أحد", "لا أحد", "mish", "msh", "mesh", "mush", "mosh", "mo", "mu", "mub",
        "mani", "mano", "ma", "ma 7ada", "ma7ada",
    ]
)  # fmt: skip
_INTENSIFIERS = frozenset(
    normalize(w)
    for w in [
        "very", "so", "really", "too", "that", "كتير", "كثير", "جدا", "وايد", "مرة", "اوي",
        "قوي", "كلش", "ktir", "kteer", "awi", "kteer",
    ]
)  # fmt: skip
_FILLERS = frozenset(
    normalize(w)
    for w in [
        "i", "im", "am", "me", "we", "are", "is", "its", "it", "my", "now", "the", "to", "here",
        "still", "and", "please", "plz", "pls", "thanks", "what", "whats", "everything",
        "انا", "أنا", "احنا", "نحن", "نحنا", "هلق", "هلا", "الان", "الحين", "هسه", "هسا",
        "دلوقتي", "حاليا", "هون", "هنا", "لسا", "لسه", "يا", "شو", "ايش", "وش", "شنو", "ايه",
        "الى", "على", "ع", "و", "كله", "كلو", "كلشي", "كل شي", "كل شيء", "صرت", "والله",
        "شكرا", "لو سمحت", "من فضلك", "ان شاء الله", "انشالله", "يا رب",
        "ana", "2ana", "ahna", "n7na", "hala2", "halla", "hassa", "hallaa", "ya", "shu", "sho",
        "esh", "shno", "kolo", "kullo", "kello", "kolshi", "kol shi", "kilshi", "kell shi",
        "wallah", "inshallah", "shukran", "ma3", "w",
    ]
)  # fmt: skip

_CODENAME = re.compile(r"[a-z]{1,3}[0-9]{1,4}")
_NUMBER = re.compile(r"[0-9]{1,9}")
_PERSONAL_CODE = re.compile(r"[a-z0-9]{3,12}")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
# Arabic clitics (and, so, with, for, the) tried off a word that is not itself a keyword.
_CLITICS = ("وال", "بال", "فال", "لل", "ال", "و", "ف", "ب", "ل")
_CLITIC_INTENTS = frozenset({Intent.SAFE, Intent.NEED_HELP, Intent.INJURED})
_DANGER = (Intent.INJURED, Intent.NEED_HELP)
_DANGER_STATUS = frozenset(i.value for i in _DANGER)
# Arabizi digits for Arabic letters (7 ح, 5 خ, 3 ع, 2 ء), folded for the comparison at one typo:
# sa3dooni, sa3edooni and saedooni are one word written three ways.
_ARABIZI = str.maketrans({"7": "h", "5": "kh", "3": "", "2": ""})
_ARABIZI_DIGIT = re.compile(r"[2357]")
# Everyday words one typo from a help or injury word, never read as one: would (wound),
# shop (shot), قليل little (قتيل), شديد very (شهيد), نظيف clean (نزيف), نازل going down (نازف),
# اسعار prices (اسعاف), عالي high (عالق), اصبح became (اصبت)...
_NOT_TYPOS = frozenset(
    normalize(w)
    for w in [
        "would", "found", "round", "sound", "bound", "pound", "mound", "rounded", "founded",
        "sounded", "shop", "shut", "show", "shoe", "short", "hot", "spot", "slot", "filled",
        "billed", "skilled", "dancer", "anger",
        "اسعار", "عادل", "اجل", "عاقل", "عالي", "عالم", "شديد", "شهيه", "شهد", "قليل", "قبيل",
        "قبلي", "جري", "صريح", "اصبح", "اصبر", "نظيف", "ينزل", "بنزل", "نازل",
    ]
)  # fmt: skip


_EXACT_ONLY = frozenset(normalize(w) for w in EXACT_ONLY)


def _fold(word: str) -> str:
    return word.translate(_ARABIZI)


def _norm_word(word: str) -> tuple[str, ...]:
    key = tuple(tokens(word))
    if not key or all(t.isdigit() for t in key) or any(t.startswith("-") for t in key):
        raise ValueError(f"not usable as a keyword: {word!r}")
    return key


@dataclass(frozen=True)
class Vocabulary:
    """Normalised keyword (one or more words) -> intent. One per organisation."""

    words: Mapping[str, Intent]
    _phrases: Mapping[tuple[str, ...], Intent] = field(init=False, repr=False, compare=False)
    _longest: int = field(init=False, repr=False, compare=False)
    _fuzzy: tuple[tuple[str, Intent], ...] = field(init=False, repr=False, compare=False)
    _folded: tuple[tuple[str, Intent], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        phrases = {_norm_word(w): Intent(i) for w, i in self.words.items()}
        danger = [
            (k[0], i)
            for k, i in phrases.items()
            if i in _DANGER and len(k) == 1 and k[0] not in _EXACT_ONLY
        ]
        fuzzy = tuple((w, i) for w, i in danger if len(w) >= 4 and not _ARABIZI_DIGIT.search(w))
        folded = tuple((f, i) for w, i in danger if w.isascii() and len(f := _fold(w)) >= 4)
        object.__setattr__(
            self, "words", MappingProxyType({" ".join(k): i for k, i in phrases.items()})
        )
        object.__setattr__(self, "_phrases", MappingProxyType(phrases))
        object.__setattr__(self, "_longest", max((len(k) for k in phrases), default=1))
        object.__setattr__(self, "_fuzzy", fuzzy)
        object.__setattr__(self, "_folded", folded)

    def __hash__(self) -> int:
        return hash(frozenset(self.words.items()))

    @classmethod
    def default(cls) -> Vocabulary:
        return cls({w: intent for intent, ws in DEFAULT_WORDS.items() for w in ws})

    def with_changes(
        self,
        *,
        add: Mapping[str, Intent | str] = MappingProxyType({}),
        remove: Iterable[str] = (),
        rename: Mapping[str, str] = MappingProxyType({}),
    ) -> Vocabulary:
        """A copy with words removed, then renamed (old -> new, same intent), then added.

        Words are normalised. Removing a word that is not there is not an error; renaming one
        is (``KeyError``), as is a word that normalises to nothing or to digits (``ValueError``).
        """
        words = dict(self.words)
        for word in remove:
            words.pop(" ".join(_norm_word(word)), None)
        for old, new in rename.items():
            key = " ".join(_norm_word(old))
            if key not in words:
                raise KeyError(f"no such keyword: {old!r}")
            words[" ".join(_norm_word(new))] = words.pop(key)
        for word, intent in add.items():
            words[" ".join(_norm_word(word))] = Intent(intent)
        return Vocabulary(words)

    def by_intent(self) -> dict[Intent, list[str]]:
        """The words of each intent, sorted, for settings pages."""
        out: dict[Intent, list[str]] = {i: [] for i in Intent}
        for word, intent in sorted(self.words.items()):
            out[intent].append(word)
        return out

    def lookup(self, toks: Sequence[str], start: int) -> tuple[Intent, int] | None:
        """The longest keyword starting at ``toks[start]``: its intent and length."""
        for n in range(min(self._longest, len(toks) - start), 0, -1):
            intent = self._phrases.get(tuple(toks[start : start + n]))
            if intent is not None:
                return intent, n
        return None

    def lookup_word(self, tok: str) -> Intent | None:
        """One token, trying Arabic clitics off it (``ومصاب``) for the safe/help/injury words."""
        intent = self._phrases.get((tok,))
        if intent is not None:
            return intent
        for clitic in _CLITICS:
            if tok.startswith(clitic) and len(tok) - len(clitic) >= 2:
                intent = self._phrases.get((tok[len(clitic) :],))
                if intent in _CLITIC_INTENTS:
                    return intent
        return None

    def danger(self, toks: Sequence[str]) -> Intent | None:
        """INJURED or NEED_HELP if any help or injury keyword occurs anywhere, else None.

        Help and injury words of four letters or more, in both scripts, also match at one typo
        (a letter missing, added, changed, or two swapped: ``hlep``, ``مساعد``), since erring
        towards an alert is the safe side; see ``typo_of``.
        """
        found: set[Intent] = set()
        for start, tok in enumerate(toks):
            for n in range(1, min(self._longest, len(toks) - start) + 1):
                intent = self._phrases.get(tuple(toks[start : start + n]))
                if intent in _DANGER:
                    found.add(intent)
            intent = self.lookup_word(tok)
            if intent in _DANGER:
                found.add(intent)
            elif intent is None:
                found.update(self.typo_of(tok))
        return next((i for i in _DANGER if i in found), None)

    def typo_of(self, tok: str) -> set[Intent]:
        """The danger intents `tok` is one typo away from. Not for a keyword of this
        vocabulary, a word of the grammar, a codename, a number, an everyday word listed in
        ``_NOT_TYPOS``, or a word of the ``EXACT_ONLY`` list. Arabizi with digits
        (``sa3dooni``) is compared with its digits folded (``_ARABIZI``)."""
        if (
            len(tok) < 3
            or tok in _NOT_TYPOS
            or _CODENAME.fullmatch(tok)
            or tok.isdigit()
            or _grammar([tok], 0) is not None
        ):
            return set()
        if tok.isascii() and _ARABIZI_DIGIT.search(tok):
            # Folded words of four letters match only exactly (3ajel: 3amel doing).
            key = _fold(tok)
            return {
                i
                for w, i in self._folded
                if w == key or (len(w) >= 5 and OSA.distance(key, w, score_cutoff=1) <= 1)
            }
        return {i for w, i in self._fuzzy if OSA.distance(tok, w, score_cutoff=1) <= 1}


@dataclass(frozen=True)
class AreaChoice:
    id: int
    names: tuple[str, ...]  # English, Arabic, aliases, as written


@dataclass(frozen=True)
class AreaMatch:
    area_id: int | None  # set when one area is a clear match
    candidates: tuple[int, ...] = ()  # areas worth offering when it is not clear


@dataclass(frozen=True)
class Parsed:
    kind: Literal[
        "checkin", "proxy_checkin", "move", "status", "option", "acknowledge", "new",
        "ask_back", "empty",
    ]  # fmt: skip
    status: str | None = None
    note: str = ""
    codenames: tuple[str, ...] = ()
    everyone: bool = False
    except_codenames: tuple[str, ...] = ()
    area_id: int | None = None
    option: int | None = None
    alert_number: int | None = None
    personal_code: str | None = None
    reason: str | None = None
    area_candidates: tuple[int, ...] = ()
    key: str | None = None  # a check-in key the text carried (rule 0)


# --- areas -----------------------------------------------------------------------------------

_RESOLVE = 82.0  # a best match at least this good, ...
_MARGIN = 8.0  # ... and this far ahead of the next area, resolves
_SUGGEST = 60.0  # matches at least this good are offered when asking back
_LATIN_ARTICLES = frozenset(
    {"al", "el", "il", "ul", "as", "ash", "es", "esh", "ad", "an", "ar", "az"}
)


def _area_keys(toks: Sequence[str]) -> set[str]:
    """The forms of a name to compare: as written, and without the article (ال, al-, el-)."""
    bare: list[str] = []
    for tok in toks:
        if tok == "ال" or (tok in _LATIN_ARTICLES and len(toks) > 1):
            continue
        glued = tok.startswith("ال") and len(tok) > 3
        glued = glued or (tok[:2] in ("al", "el") and len(tok) > 5 and tok.isalpha())
        bare.append(tok[2:] if glued else tok)
    return {k for k in ("".join(toks), "".join(bare)) if k}


@lru_cache(maxsize=4096)
def _name_keys(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(k for name in names for k in _area_keys(tokens(name)))


def _query_keys(toks: Sequence[str]) -> set[str]:
    keys = _area_keys(toks)
    first = toks[0] if toks else ""
    if first.startswith("ب") and len(first) > 2:  # بالسكري, بهنانو: "in ..."
        keys |= _area_keys([first[1:], *toks[1:]])
    return keys


def match_area(phrase: Sequence[str], areas: Sequence[AreaChoice]) -> AreaMatch:
    """Fuzzy-match normalised ``phrase`` tokens against the names and aliases of ``areas``."""
    queries = _query_keys(phrase)
    scores: list[tuple[float, int]] = []
    for area in areas:
        keys = _name_keys(tuple(area.names))
        best = max((fuzz.ratio(q, k) for q in queries for k in keys), default=0.0)
        scores.append((best, area.id))
    scores.sort(key=lambda s: (-s[0], s[1]))
    if not scores or scores[0][0] < _SUGGEST:
        return AreaMatch(None)
    top = scores[0][0]
    runner_up = scores[1][0] if len(scores) > 1 else 0.0
    if top >= _RESOLVE and top - runner_up >= _MARGIN:
        return AreaMatch(scores[0][1])
    return AreaMatch(None, tuple(i for s, i in scores if s >= _SUGGEST and s >= top - 15))


# --- the message -----------------------------------------------------------------------------

_Kind = Literal[
    "intent", "codename", "except_codename", "number", "neg", "intens", "filler", "word"
]


@dataclass(frozen=True)
class _Item:
    kind: _Kind
    text: str
    intent: Intent | None = None


def _scan(toks: Sequence[str], vocab: Vocabulary) -> list[_Item]:
    items: list[_Item] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        bare = tok.lstrip("-")
        found = vocab.lookup(toks, i)
        grammar = _grammar(toks, i)
        if found and (not grammar or found[1] >= grammar[1]):
            items.append(_Item("intent", " ".join(toks[i : i + found[1]]), found[0]))
            i += found[1]
            continue
        if grammar:
            items.append(_Item(grammar[0], " ".join(toks[i : i + grammar[1]])))
            i += grammar[1]
            continue
        if tok.startswith("-") and _CODENAME.fullmatch(bare):
            items.append(_Item("except_codename", bare.upper()))
        elif _CODENAME.fullmatch(bare):
            items.append(_Item("codename", bare.upper()))
        elif _NUMBER.fullmatch(tok):
            items.append(_Item("number", tok))
        elif (intent := vocab.lookup_word(bare)) is not None:
            items.append(_Item("intent", bare, intent))
        else:
            items.append(_Item("word", bare))
        i += 1
    return items


def _grammar(toks: Sequence[str], i: int) -> tuple[_Kind, int] | None:
    for n in range(min(3, len(toks) - i), 0, -1):
        phrase = " ".join(toks[i : i + n])
        if phrase in _NEGATIONS:
            return "neg", n
        if phrase in _INTENSIFIERS:
            return "intens", n
        if phrase in _FILLERS:
            return "filler", n
    return None


def _is(item: _Item, *intents: Intent) -> bool:
    return item.kind == "intent" and item.intent in intents


def _negated_safe(items: Sequence[_Item]) -> bool:
    """A safe word preceded by a negation, with at most two softer words between."""
    for pos, item in enumerate(items):
        if not _is(item, Intent.SAFE, Intent.ACK):
            continue
        for back in items[max(0, pos - 3) : pos][::-1]:
            if back.kind == "neg" or (back.kind == "intent" and back.text in _NEGATIONS):
                return True
            if back.kind not in ("intens", "filler") and not _is(back, Intent.ALL):
                break
    return False


@dataclass(frozen=True)
class _Place:
    words: list[str]  # normalised tokens naming the area
    used: frozenset[int]  # positions of the items they (and the AT word) take
    explicit: bool  # after an AT word, not only guessed from a ب prefix


def _place(items: Sequence[_Item]) -> _Place | None:
    """Where the message names an area: after an AT word, or a word such as بالسكري."""
    for pos, item in enumerate(items):
        if _is(item, Intent.AT):
            first = pos + 1
            while first < len(items) and items[first].kind == "filler":
                first += 1
            end = first
            while end < len(items) and items[end].kind == "word":
                end += 1
            words = [i.text for i in items[first:end]]
            return _Place(words, frozenset(range(pos, end)), explicit=True)
    for pos, item in enumerate(items):
        if item.kind == "word" and item.text.startswith("ب") and len(item.text) > 3:
            end = pos + 1
            while end < len(items) and items[end].kind == "word":
                end += 1
            words = [i.text for i in items[pos:end]]
            return _Place(words, frozenset(range(pos, end)), explicit=False)
    return None


def parse(
    text: str, *, vocabulary: Vocabulary | None = None, areas: Sequence[AreaChoice] = ()
) -> Parsed:
    """Read one field text. Never raises; see the module docstring for the rules."""
    rest, key, _mistyped = checkinkey.split(text)
    parsed = _parse(rest, vocabulary=vocabulary, areas=areas)
    if rest != text and parsed.status not in _DANGER_STATUS:
        # A help word can look like a key ("#sa3doni"): a call for help is never lost to one.
        whole = _parse(text, vocabulary=vocabulary, areas=areas)
        if whole.status in _DANGER_STATUS:
            return whole
    return replace(parsed, key=key) if key else parsed


def _parse(
    text: str, *, vocabulary: Vocabulary | None = None, areas: Sequence[AreaChoice] = ()
) -> Parsed:
    vocab = vocabulary if vocabulary is not None else _default_vocabulary()
    toks = tokens(text)
    if not toks:
        return Parsed("empty", reason="empty")
    items = _scan(toks, vocab)
    codenames = tuple(dict.fromkeys(i.text for i in items if i.kind == "codename"))
    digit = int(items[0].text) if items[0].kind == "number" else None
    place = _place(items)
    area = match_area(place.words, areas) if place and place.words else AreaMatch(None)
    if place and not place.explicit and area.area_id is None and not area.candidates:
        place = None  # a word that merely starts with ب

    danger = vocab.danger(toks)
    if danger is None and digit in (2, 3):
        danger = Intent.NEED_HELP if digit == 2 else Intent.INJURED
    if danger is None and _negated_safe(items):
        danger = Intent.NEED_HELP
    if danger is not None:
        digit_status = {2: Intent.NEED_HELP, 3: Intent.INJURED}.get(digit or 0)
        return Parsed(
            "checkin",
            status=danger.value,
            note=text.strip(),
            codenames=codenames,
            area_id=area.area_id if place else None,
            option=digit if digit_status == danger else None,
        )
    if digit is not None:
        return _numbered(digit, items[1:])
    return _worded(items, codenames, place, area)


def _numbered(digit: int, rest: Sequence[_Item]) -> Parsed:
    codenames = tuple(dict.fromkeys(i.text for i in rest if i.kind == "codename"))
    if digit == 1:
        return _safe(rest, codenames, AreaMatch(None), option=1, strict=True)
    if 4 <= digit <= 99 and all(i.kind in ("codename", "filler") for i in rest):
        return Parsed("option", option=digit, codenames=codenames)
    return Parsed("ask_back", reason="unknown_word")


def _worded(
    items: Sequence[_Item], codenames: tuple[str, ...], place: _Place | None, area: AreaMatch
) -> Parsed:
    meaningful = [i for i in items if i.kind != "filler"]
    head = meaningful[0] if meaningful else None
    if head is not None and _is(head, Intent.NEW):
        rest = meaningful[1:]
        # The code: every word after the codename (one to three, fillers included).
        after = items[items.index(rest[0]) + 1 :] if rest else []
        words = [w for i in after for w in i.text.lower().split()]
        code = "".join(words) if all(_PERSONAL_CODE.fullmatch(w) for w in words) else ""
        if rest and rest[0].kind == "codename" and code and len(words) <= 3:
            return Parsed("new", codenames=(rest[0].text,), personal_code=code)
        return Parsed("ask_back", reason="unknown_word")
    if head and _is(head, Intent.ACK) and len(meaningful) == 2 and meaningful[1].kind == "number":
        return Parsed("acknowledge", alert_number=int(meaningful[1].text))
    used = place.used if place else frozenset()
    outside = [i for p, i in enumerate(items) if p not in used]
    if any(_is(i, Intent.SAFE, Intent.ACK) for i in items):
        return _safe(outside, codenames, area if place else AreaMatch(None), option=None)
    if any(i.kind not in ("filler", "codename") and not _is(i, Intent.STATUS) for i in outside):
        return Parsed("ask_back", reason="unknown_word")
    if any(_is(i, Intent.STATUS) for i in outside):
        if place:
            return Parsed("ask_back", reason="unknown_word")
        return Parsed("status", codenames=codenames)
    if place is None:
        return Parsed("ask_back", reason="unknown_word")
    if area.area_id is not None:
        return Parsed("move", area_id=area.area_id, codenames=codenames)
    reason = "ambiguous_area" if area.candidates else "unknown_area"
    return Parsed("ask_back", reason=reason, area_candidates=area.candidates)


def _safe(
    items: Sequence[_Item],
    codenames: tuple[str, ...],
    area: AreaMatch,
    *,
    option: int | None,
    strict: bool = False,
) -> Parsed:
    """SAFE for the sender, or for named people / the sender's team (a proxy check-in).

    Words the parser does not know are tolerated around a self check-in, not around a proxy
    one, where a guess could mark someone safe who is not. ``strict`` (after a digit) tolerates
    none.
    """
    everyone = any(_is(i, Intent.ALL) for i in items)
    excepted = [i.text for i in items if i.kind == "except_codename"]
    after_except = False
    for item in items:
        after_except = after_except or _is(item, Intent.EXCEPT)
        if item.kind == "codename" and after_except:
            excepted.append(item.text)
    named = tuple(c for c in codenames if c not in excepted)
    unknown = any(
        i.kind in ("word", "number", "neg")
        or (
            i.kind == "intent"
            and i.intent not in (Intent.SAFE, Intent.ACK, Intent.ALL, Intent.EXCEPT)
        )
        for i in items
    )
    proxy = everyone or bool(named) or bool(excepted)
    if (unknown and (proxy or strict)) or (excepted and not everyone) or (everyone and named):
        return Parsed("ask_back", reason="unknown_word")
    return Parsed(
        "proxy_checkin" if proxy else "checkin",
        status=Intent.SAFE.value,
        codenames=named,
        everyone=everyone,
        except_codenames=tuple(dict.fromkeys(excepted)),
        area_id=area.area_id,
        area_candidates=area.candidates,
        option=option,
    )


@cache
def _default_vocabulary() -> Vocabulary:
    return Vocabulary.default()
