"""The short check-in key: one token that the field page makes for each tap and that a text can
carry, so the server counts a check-in once whichever channel brings it first
(salama.safety.idempotency; docs/text-protocol.md, "The key").

Form: ``#`` and seven characters from Crockford's base-32 alphabet (digits and lower-case letters
without i, l, o, u): six random ones and a check character. Read forgivingly: case, ``o`` for
``0``, ``i``/``l`` for ``1``, Arabic-Indic digits, a hyphen or a space after ``#``. The check
character is a weighted sum of the six modulo 29 (a prime), so a single mistyped character or two
swapped neighbours are caught (unless they differ by exactly 29): a key that fails it is not a
key, and the text is read without it.

Pure Python, no Django: the parser, the services and the tests use it.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
BODY = 6
_CHECK_MOD = 29
_FOLD = str.maketrans("oilOIL٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹＃", "01101101234567890123456789#")
# '#' (or the full-width one), an optional space or hyphen, then 7 characters with at most one
# hyphen among them; alone as a word.
_IN_TEXT = re.compile(
    r"(?<![\w#＃])[#＃][\s-]?((?:[0-9A-Za-z٠-٩۰-۹]-?){6}[0-9A-Za-z٠-٩۰-۹])(?![\w])"
)


def _check(body: str) -> str:
    total = sum((i + 1) * ALPHABET.index(c) for i, c in enumerate(body))
    return ALPHABET[total % _CHECK_MOD]


def new_key() -> str:
    """A fresh key, canonical form without the ``#`` (what the server stores)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY))
    return body + _check(body)


def canonical(raw: str) -> str | None:
    """The canonical form of a key as typed (with or without ``#``), or None if it is not one."""
    text = raw.strip().translate(_FOLD).lower().replace("-", "").replace(" ", "").lstrip("#")
    if len(text) != BODY + 1 or any(c not in ALPHABET for c in text):
        return None
    return text if _check(text[:BODY]) == text[BODY] else None


def split(text: str) -> tuple[str, str | None, bool]:
    """Take a key token out of a text: (the text without it, the canonical key or None,
    whether a key-shaped token was found but failed its check)."""
    found = _IN_TEXT.search(text)
    if found is None:
        return text, None, False
    rest = (text[: found.start()].rstrip() + " " + text[found.end() :].lstrip()).strip()
    key = canonical(found.group(1))
    return rest, key, key is None
