"""Wire discipline (DESIGN §3): what must not travel in a text unless a coordinator confirms that
one message. ``wire_problems`` is the one check; the template editor calls it, and so will the
roll-call composer.

A text is checked, after normalisation (salama.lib.textnorm), for the organisation's name, the
names and aliases of its areas and facilities in both scripts, and its sensitive words (a
setting, seeded in Arabic and English with words for attack, strike, evacuation, convoy,
checkpoint, bombing, shelling and the like). Part of a name of two words or more names the place
too (Qasr or القصر for Bustan al-Qasr, Razi or الرازي for Al-Razi Hospital, M1 for Field Hospital
M1): each of its words that is not an article or a generic word (hospital, clinic, road, مشفى,
عيادة, طريق, ...), matched as a whole word.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Organisation
from salama.lib.textnorm import tokens
from salama.people.models import Area, Facility

SETTING = "sensitive_words"
# Arabic prefixes (and, so, with, for, the) a name may carry in a text.
_CLITICS = ("", "و", "ف", "ب", "ل", "ال", "وال", "بال", "فال", "لل", "وب", "ول")

DEFAULT_SENSITIVE_WORDS = (
    # English
    "attack", "attacked", "strike", "strikes", "airstrike", "air strike", "raid", "bombing",
    "bomb", "bombed", "shelling", "shelled", "missile", "rocket", "barrel bomb", "sniper",
    "evacuation", "evacuate", "evacuated", "convoy", "checkpoint", "check point", "siege",
    "corridor", "crossing", "army", "soldiers", "militia", "detained", "arrested", "prison",
    # Arabic
    "هجوم", "هجمة", "اعتداء", "ضربة", "ضربات", "غارة", "غارات", "قصف", "قصفوا", "تفجير",
    "انفجار", "قنبلة", "برميل", "براميل", "صاروخ", "صواريخ", "قذيفة", "قذائف", "قناص",
    "إخلاء", "اخلاء", "إجلاء", "اجلاء", "قافلة", "قوافل", "حاجز", "حواجز", "حصار", "ممر",
    "معبر", "جيش", "عسكر", "ميليشيا", "اعتقال", "معتقل", "سجن",
)  # fmt: skip


# Words of place names too common to name a place on their own.
_GENERIC = frozenset(
    " ".join(tokens(w))
    for w in [
        "al", "el", "il", "ul", "as", "ash", "es", "esh", "ad", "an", "ar", "az", "the", "of",
        "and", "hospital", "hospitals", "clinic", "centre", "center", "health", "medical",
        "field", "point", "post", "unit", "station", "ambulance", "children's", "children",
        "women's", "women", "maternity", "emergency", "street", "road", "square", "east",
        "west", "north", "south", "new", "old", "masaken", "masakin", "tariq", "tareeq", "hay",
        "ال", "مشفى", "مستشفى", "مستوصف", "مركز", "صحي", "طبي", "عيادة", "نقطة", "ميداني",
        "إسعاف", "أطفال", "نسائي", "توليد", "طوارئ", "شارع", "طريق", "ساحة", "حي", "مساكن",
        "شرق", "غرب", "شمال", "جنوب", "شرقي", "غربي", "شمالي", "جنوبي", "جديد", "قديم",
    ]
)  # fmt: skip


def _parts(name: str) -> list[str]:
    """The words of a name of two words or more that name the place on their own: not an
    article or a generic word, three letters or more (two with a digit: M1)."""
    words = tokens(name)
    if len(words) < 2:
        return []
    out = []
    for word in words:
        bare = word[2:] if word.startswith("ال") and len(word) > 4 else word
        long_enough = len(bare) >= 3 or (len(bare) == 2 and any(c.isdigit() for c in bare))
        if word in _GENERIC or bare in _GENERIC or word.isdigit() or not long_enough:
            continue
        out.append(word)
    return out


def sensitive_words(org: Organisation) -> list[str]:
    stored = org.setting(SETTING)
    return list(stored) if stored is not None else list(DEFAULT_SENSITIVE_WORDS)


@transaction.atomic
def save_sensitive_words(
    *,
    org: Organisation,
    words: Iterable[str],
    actor_id: int | None = None,
    request: HttpRequest | None = None,
) -> list[str]:
    cleaned = list(dict.fromkeys(w.strip() for w in words if w.strip() and tokens(w)))
    locked = Organisation.objects.select_for_update().get(pk=org.pk)
    locked.settings[SETTING] = cleaned
    locked.save(update_fields=["settings"])
    org.settings = locked.settings
    audit.record(
        "messaging.sensitive_words",
        org_id=org.pk,
        actor_id=actor_id,
        request=request,
        detail={"count": len(cleaned)},
    )
    return cleaned


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    """Whether the token run `needle` occurs in `haystack`; a one-word Arabic needle also
    matches behind a clitic (بالسكري, والقصف)."""
    n = len(needle)
    if not n:
        return False
    for i in range(len(haystack) - n + 1):
        if list(haystack[i : i + n]) == list(needle):
            return True
    if n == 1 and needle[0].isascii():
        return any(t in (f"al{needle[0]}", f"el{needle[0]}") for t in haystack)
    if n == 1:
        word = needle[0]
        bare = word[2:] if word.startswith("ال") and len(word) > 4 else word
        forms = {c + bare for c in _CLITICS} | {c + word for c in _CLITICS}
        return any(t in forms for t in haystack)
    return False


def _places(kind: str, names: Sequence[str]) -> list[tuple[str, str, list[str]]]:
    """(kind, name, words to look for): each name whole, then each of its parts."""
    names = [n for n in names if n]
    found = [(kind, n, tokens(n)) for n in names]
    found += [(kind, n, [part]) for n in names for part in _parts(n)]
    return found


def _names(org: Organisation) -> list[tuple[str, str, list[str]]]:
    """(kind, name, words) to look for: the name is what a coordinator is told."""
    found: list[tuple[str, str, list[str]]] = [("organisation", org.name, tokens(org.name))]
    for area in Area.objects.for_org(org).only("name_en", "name_ar", "aliases"):
        found += _places("area", [area.name_en, area.name_ar, *area.alias_list()])
    for facility in Facility.objects.for_org(org).only("name", "name_ar", "aliases"):
        found += _places("facility", [facility.name, facility.name_ar, *facility.alias_list()])
    found += [("sensitive", w, tokens(w)) for w in sensitive_words(org)]
    return found


def wire_problems(org: Organisation, text: str) -> list[str]:
    """What in `text` should not go over the wire, as translated sentences for a coordinator
    (empty: nothing found). Names an area, a facility, the organisation, or a sensitive word."""
    haystack = tokens(text)
    labels = {
        "organisation": _("It names the organisation: %(name)s"),
        "area": _("It names an area: %(name)s"),
        "facility": _("It names a facility: %(name)s"),
        "sensitive": _("It contains a sensitive word: %(name)s"),
    }
    problems: list[str] = []
    for kind, name, needle in _names(org):
        if _contains(haystack, needle):
            problem = labels[kind] % {"name": name}
            if problem not in problems:
                problems.append(problem)
    return problems
