"""The status vocabulary: named codes, each with an English and an Arabic label."""

import re

import pytest
from django.utils import translation

from salama.facilities.vocabulary import STOCK_UNITS, VOCABULARY, Stock

ARABIC = re.compile(r"[\u0600-\u06ff]")
PAIRS = [(name, code) for name, choices in VOCABULARY.items() for code in choices.values]


@pytest.mark.parametrize(("vocabulary", "code"), PAIRS)
def test_every_code_has_an_english_and_an_arabic_label(vocabulary: str, code: str) -> None:
    choices = VOCABULARY[vocabulary]
    label = dict(choices.choices)[code]
    with translation.override("en"):
        english = str(label)
    with translation.override("ar"):
        arabic = str(label)
    assert english and not ARABIC.search(english)
    assert ARABIC.search(arabic), f"{vocabulary}.{code}: no Arabic label ({arabic!r})"


def test_codes_are_named_never_letters() -> None:
    for _vocabulary, code in PAIRS:
        assert len(code) >= 2 and re.fullmatch(r"[a-z_]+", code), code


def test_herams_lists_are_complete() -> None:
    assert set(VOCABULARY["functionality"].values) == {"full", "partial", "none", "unknown"}
    assert set(VOCABULARY["condition"].values) == {
        "not_damaged", "slightly_damaged", "substantially_damaged", "fully_damaged",
        "not_relevant",
    }  # fmt: skip
    assert set(VOCABULARY["availability"].values) == {"full", "partial", "none", "not_provided"}
    assert {"trauma", "icu", "bemonc", "cemonc", "dialysis", "blood_bank"} <= set(
        VOCABULARY["service"].values
    )


def test_every_stock_has_a_unit_in_both_languages() -> None:
    for stock in Stock:
        with translation.override("ar"):
            assert ARABIC.search(str(STOCK_UNITS[stock]))
