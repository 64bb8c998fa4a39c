"""Normalisation of field texts: each class DESIGN §8 names, and stability on any input."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salama.lib.textnorm import normalize, tokens

CASES = [
    # case and full-width letters
    ("SAFE", "safe", "case"),
    ("Safe ALL", "safe all", "case-mixed"),
    ("ＳＡＦＥ", "safe", "fullwidth-letters"),
    ("ＯＫ　１７", "ok 17", "fullwidth-digits-and-space"),
    ("Straße", "strasse", "casefold-sharp-s"),
    # Arabic diacritics and tatweel
    ("آمِنٌ", "امن", "harakat"),
    ("السّكّري", "السكري", "shadda"),
    ("الحَمْدُ لِلّٰه", "الحمد لله", "sukun-and-dagger-alef"),
    ("بـــخـــيـــر", "بخير", "tatweel"),
    # letter variants
    ("أمن إسعاف آمن ٱلحمد", "امن اسعاف امن الحمد", "alef-variants"),
    ("مستشفى", "مستشفي", "alef-maksura"),
    ("مساعدة", "مساعده", "taa-marbuta"),
    ("مسؤول سائق", "مسوول سايق", "hamza-on-waw-and-yaa"),
    ("کی", "كي", "persian-kaf-and-yeh"),
    # digits
    ("٠١٢٣٤٥٦٧٨٩", "0123456789", "arabic-indic-digits"),
    ("۰۱۲۳۴۵۶۷۸۹", "0123456789", "eastern-arabic-indic-digits"),
    ("K١٢", "k12", "codename-with-arabic-digits"),
    # presentation forms
    ("\ufe81\ufee3\ufee6", "امن", "presentation-forms-amen"),
    ("\ufef7\ufefb", "لالا", "lam-alef-ligatures"),
    ("\ufdf2", "الله", "allah-ligature"),
    # invisible marks
    ("\u200fآمن\u200e", "امن", "rlm-lrm"),
    ("\u202bمساعدة\u202c", "مساعده", "embedding"),
    ("\u2067SAFE\u2069\ufeff", "safe", "isolates-and-bom"),
    ("SA\u200bFE", "safe", "zero-width-space"),
    ("\u061cتمام", "تمام", "arabic-letter-mark"),
    # punctuation and spaces
    ("تمام؟ ، ؛", "تمام", "arabic-punctuation"),
    ("  safe,,,   all!!  ", "safe all", "latin-punctuation"),
    ("ok #17", "ok 17", "hash"),
    ("safe\tall\nnow", "safe all now", "tabs-and-newlines"),
    ("SAFE 👍🏽", "safe", "emoji"),
    ("don't", "dont", "apostrophe-dropped"),
    # the leading dash
    ("SAFE ALL -K27", "safe all -k27", "leading-dash-kept"),
    ("SAFE ALL —K27", "safe all -k27", "em-dash-as-dash"),
    ("k-12 a-b", "k 12 a b", "inner-dash-splits"),
    ("--k27 -", "-k27", "double-and-lone-dash"),
    ("-k27-k28", "-k27 k28", "dash-chain"),
    # elongation
    ("تمااااام", "تمام", "arabic-elongation"),
    ("heeeelp", "help", "latin-elongation"),
    ("K111", "k111", "digits-not-collapsed"),
    ("", "", "empty"),
]


@pytest.mark.parametrize(("raw", "expected"), [c[:2] for c in CASES], ids=[c[2] for c in CASES])
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_tokens_split_the_normalised_text() -> None:
    assert tokens("  SAFE,  K12 ،K14 ") == ["safe", "k12", "k14"]
    assert tokens("؟!") == []


@given(st.text())
def test_normalize_is_idempotent_and_clean(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert once == once.strip()
    assert "  " not in once
    assert all(not t.endswith("-") and t != "-" for t in once.split())


@given(st.text(alphabet=st.characters(codec="utf-8")))
def test_normalize_output_has_no_invisible_marks_or_arabic_digits(text: str) -> None:
    out = normalize(text)
    assert not any(ch in out for ch in "\u200b\u200c\u200d\u200e\u200f\u202b\u2067\ufeff\u061c")
    assert not any("\u0660" <= ch <= "\u0669" or "\u06f0" <= ch <= "\u06f9" for ch in out)
    assert "\u0640" not in out
