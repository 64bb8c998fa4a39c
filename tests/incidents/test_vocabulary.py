"""The SSA vocabulary is complete in both languages, with its version: every code of every
group has a label in every SSA version's table, in English and in Arabic (a translation, not
the English text), and codes are unique and stable in shape."""

import re

import pytest
from django.utils import translation

from salama.incidents import vocabulary as v


@pytest.mark.parametrize("version", sorted(v.LABELS))
@pytest.mark.parametrize("group", sorted(v.CODES))
def test_every_code_has_a_label_in_both_languages(version: str, group: str) -> None:
    table = v.LABELS[version][group]
    assert set(table) == set(v.CODES[group]), f"{version}/{group}: labels and codes differ"
    for code in v.CODES[group]:
        english = v.label(group, code, version)
        with translation.override("ar"):
            arabic = v.label(group, code, version)
        assert english and english != code
        assert arabic != english and re.search("[\u0600-\u06ff]", arabic), (group, code)


def test_the_issue_lists_are_complete_and_codes_are_stable() -> None:
    assert len(v.ATTACK_TYPES) == 15 and len(v.SOURCE_KINDS) == 12 and len(v.RESOURCES) == 7
    for codes in v.CODES.values():
        assert len(set(codes)) == len(codes)
        assert all(re.fullmatch(r"[a-z][a-z_]*", code) for code in codes)
    assert v.SSA_VERSION in v.LABELS


def test_an_unknown_code_shows_as_itself() -> None:
    assert v.label("attack_type", "not_a_code") == "not_a_code"
