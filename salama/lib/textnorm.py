"""Normalisation of short field texts (SMS) in Arabic, Arabizi and English.

Pure Python, no Django: the text parser, the template checks and the tests use it directly.

``normalize`` makes the many ways one word arrives over SMS compare equal:

1. invisible direction and format marks are removed (RLM, LRM, ZWSP, BOM, bidi embeddings);
2. NFKC folds presentation forms (Arabic ligatures, full-width letters and digits);
3. case is folded;
4. combining marks are dropped (Arabic harakat, shadda, sukun, dagger alef, Quranic marks,
   Latin accents); this also turns hamza-carrying letters (أ إ آ ؤ ئ) into their bare base;
5. tatweel is removed; alef wasla and Persian letters are mapped onto their Arabic base;
   alef maksura becomes yaa and taa marbuta becomes haa;
6. every decimal digit (Arabic-Indic, Eastern Arabic-Indic, ...) becomes ASCII;
7. a letter repeated three times or more is written once (``تماااام``, ``heeelp``);
8. punctuation and symbols become spaces, except a ``-`` that starts a token (``-k27``);
   apostrophes are dropped so that ``don't`` and Arabizi ``3'`` stay one word;
9. whitespace is collapsed.

The result is idempotent: ``normalize(normalize(s)) == normalize(s)``.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize", "tokens"]

# Marks that change direction or shaping but carry no letter.
_INVISIBLE = frozenset(
    [chr(c) for c in range(0x200B, 0x2010)]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2060, 0x2070)]
    + ["\u061c", "\ufeff", "\u00ad", "\u180e"]
)

_TATWEEL = "\u0640"

# After marks are stripped (step 4) the hamza forms are already bare; these letters have no
# canonical decomposition, so they are mapped explicitly.
_LETTERS = str.maketrans(
    {
        "\u0671": "\u0627",  # ٱ alef wasla
        "\u0672": "\u0627",  # ٲ alef with wavy hamza above
        "\u0673": "\u0627",  # ٳ alef with wavy hamza below
        "\u0675": "\u0627",  # ٵ high hamza alef
        "\u0649": "\u064a",  # ى alef maksura -> yaa
        "\u06cc": "\u064a",  # ی Farsi yeh
        "\u06d2": "\u064a",  # ے yeh barree
        "\u0629": "\u0647",  # ة taa marbuta -> haa
        "\u06c0": "\u0647",  # ۀ heh with yeh above
        "\u06c1": "\u0647",  # ہ heh goal
        "\u06d5": "\u0647",  # ە ae
        "\u06a9": "\u0643",  # ک keheh -> kaf
        "\u0621": "",  # ء lone hamza carries no letter in casual writing
        "\u0674": "",  # ٴ high hamza
    }
)

_DASHES = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d\u058a\u05be")
_APOSTROPHES = frozenset("'`\u2018\u2019\u201b\u02bc\u02bb\u00b4")

_REPEATS = re.compile(r"([^\W\d_])\1{2,}")


def _char_class(ch: str) -> str:
    """Map one character to what it becomes in the token stream."""
    if ch in _DASHES:
        return "-"
    if ch in _APOSTROPHES:
        return ""
    if ch.isspace():
        return " "
    cat = unicodedata.category(ch)
    if cat == "Nd":
        return str(unicodedata.decimal(ch))
    if cat[0] in "LN" or cat == "Mc":
        return ch
    if cat in ("Mn", "Me", "Cf"):
        return ""
    # Punctuation, symbols (emoji included), controls, private use, unassigned, surrogates.
    return " "


def _split_dashes(word: str) -> list[str]:
    """Keep a '-' only at the start of a token: '-k27' stays, 'k-27' becomes 'k 27'."""
    leading = word.startswith("-")
    parts = [p for p in word.split("-") if p]
    if leading and parts:
        parts[0] = "-" + parts[0]
    return parts


def _fold(text: str) -> str:
    text = "".join(ch for ch in text if ch not in _INVISIBLE)
    text = unicodedata.normalize("NFKC", text).casefold()
    # NFKD splits hamza carriers and accented letters into base + mark; the marks go below.
    text = unicodedata.normalize("NFKD", text)
    text = "".join(_char_class(ch) for ch in text.replace(_TATWEEL, ""))
    text = unicodedata.normalize("NFKC", text.translate(_LETTERS))
    # NFKC may rebuild marks or punctuation (e.g. Hangul); a second pass of the per-character
    # map over the recomposed text keeps the result stable.
    return "".join(_char_class(ch) for ch in text).translate(_LETTERS)


def normalize(text: str) -> str:
    """Return the comparable form of ``text`` (see the module docstring)."""
    folded = _fold(text)
    folded = _REPEATS.sub(r"\1", folded)
    words: list[str] = []
    for word in folded.split():
        words.extend(_split_dashes(word))
    return " ".join(words)


def tokens(text: str) -> list[str]:
    """The normalised words of ``text``."""
    return normalize(text).split()
