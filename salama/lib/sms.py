"""SMS encoding and segment counting (GSM 03.38 / 3GPP TS 23.038).

A text that uses only the GSM 7-bit default alphabet (plus its extension table, where each
character costs an escape and so two septets) goes as GSM-7: 160 septets in one segment, 153 per
segment once it is split (the user data header takes the rest). Anything else goes as UCS-2,
counted in UTF-16 code units: 70 in one segment, 67 per segment when split; characters outside
the Basic Multilingual Plane (most emoji) take two units.

Phones never split an escape pair or a surrogate pair across two segments, so the multipart
count packs whole characters rather than dividing the total.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["GSM_BASIC", "GSM_EXTENDED", "Encoding", "fits_one_segment", "segments"]

Encoding = Literal["GSM-7", "UCS-2"]

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# Characters reached through the escape (0x1B); each costs two septets.
GSM_EXTENDED = frozenset("\f^{}\\[~]|€")

_LIMITS: dict[Encoding, tuple[int, int]] = {"GSM-7": (160, 153), "UCS-2": (70, 67)}


def _units(text: str) -> tuple[Encoding, list[int]]:
    """The encoding for ``text`` and the cost of each of its characters in that encoding."""
    if all(ch in GSM_BASIC or ch in GSM_EXTENDED for ch in text):
        return "GSM-7", [2 if ch in GSM_EXTENDED else 1 for ch in text]
    return "UCS-2", [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def segments(text: str) -> tuple[Encoding, int]:
    """Return the encoding a phone would use for ``text`` and how many segments it takes.

    An empty text is one (empty) segment: sending it still costs a message.
    """
    encoding, costs = _units(text)
    single, multi = _LIMITS[encoding]
    if sum(costs) <= single:
        return encoding, 1
    count, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            count, used = count + 1, 0
        used += cost
    return encoding, count


def fits_one_segment(text: str) -> bool:
    """Whether ``text`` goes as a single SMS segment."""
    return segments(text)[1] == 1
