"""SMS segment counting: GSM-7 with its extension table, UCS-2 in UTF-16 code units."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salama.lib.sms import GSM_BASIC, GSM_EXTENDED, fits_one_segment, segments

ARABIC = "س"
EMOJI = "\U0001f600"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("GSM-7", 1)),
        ("a" * 160, ("GSM-7", 1)),
        ("a" * 161, ("GSM-7", 2)),
        ("a" * 306, ("GSM-7", 2)),
        ("a" * 307, ("GSM-7", 3)),
        ("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà", ("GSM-7", 1)),
        ("€" + "a" * 158, ("GSM-7", 1)),
        ("€" + "a" * 159, ("GSM-7", 2)),
        ("{" * 80, ("GSM-7", 1)),
        ("{" * 81, ("GSM-7", 2)),
        ("^~[]|\\}\f", ("GSM-7", 1)),
        # an escape pair is never split: the euro moves whole into the second segment
        ("a" * 152 + "€" + "a" * 152, ("GSM-7", 3)),
        (ARABIC * 70, ("UCS-2", 1)),
        (ARABIC * 71, ("UCS-2", 2)),
        (ARABIC * 134, ("UCS-2", 2)),
        (ARABIC * 135, ("UCS-2", 3)),
        ("a" * 69 + ARABIC, ("UCS-2", 1)),
        ("a" * 70 + ARABIC, ("UCS-2", 2)),
        (EMOJI * 35, ("UCS-2", 1)),
        (EMOJI * 36, ("UCS-2", 2)),
        ("a" * 68 + EMOJI, ("UCS-2", 1)),
        ("a" * 69 + EMOJI, ("UCS-2", 2)),
        # a surrogate pair is never split either
        (ARABIC * 66 + EMOJI + ARABIC * 66, ("UCS-2", 3)),
        ("ç", ("UCS-2", 1)),  # only the capital Ç is in the GSM alphabet
        ("`", ("UCS-2", 1)),
    ],
    ids=lambda v: None if isinstance(v, str) else f"{v[0]}x{v[1]}",
)
def test_segments(text: str, expected: tuple[str, int]) -> None:
    assert segments(text) == expected


def test_alphabet_sizes_are_those_of_gsm_03_38() -> None:
    assert len(GSM_BASIC) == 128
    assert len(GSM_EXTENDED) == 10
    assert not GSM_BASIC & GSM_EXTENDED


def test_fits_one_segment() -> None:
    assert fits_one_segment("Received 03:11, not yet seen.")
    assert fits_one_segment("تم الاستلام، لم تتم القراءة بعد")
    assert not fits_one_segment(ARABIC * 71)
    assert not fits_one_segment("{" * 81)


@given(st.text())
def test_segments_never_fail_and_grow_with_length(text: str) -> None:
    encoding, count = segments(text)
    assert encoding in ("GSM-7", "UCS-2")
    assert count >= 1
    units = len(text.encode("utf-16-le")) // 2
    if encoding == "UCS-2":
        assert count >= -(-units // 67) or units <= 70
    assert segments(text + text)[1] >= count
