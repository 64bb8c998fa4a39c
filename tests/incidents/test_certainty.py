"""The certainty rule over every combination of the SSA's twelve source kinds (2^12 subsets,
with and without our own staff attacked). The expectation comes from a plain statement of the
rule written here, independently of salama.incidents.certainty."""

from itertools import combinations

import pytest

from salama.incidents.certainty import suggest
from salama.incidents.vocabulary import SOURCE_KINDS

RUMOUR_KINDS = {"social_media", "hearsay", "anonymous_form"}
POSSIBLE_KINDS = {"secondary_account", "local_media", "international_media"}
PROBABLE_KINDS = {"eyewitness_told", "police_report"}
PICTURES = {"photo", "video", "satellite"}
ORDER = ["rumour", "possible", "probable", "confirmed"]


def expected(kinds: set[str], own_staff_attacked: bool) -> str:
    """The rule in plain words:
    - our own staff attacked, or our own staff's eyewitness account: confirmed;
    - the accounts are probable with an eyewitness told to us or a police report, or two
      different possible-level kinds; else possible with any possible-level kind or two
      different rumour-level kinds; else rumour with any rumour-level kind; else nothing;
    - a photo, video or satellite image lifts the accounts one step (nothing counts as a step
      below possible, so pictures alone are possible); several pictures lift only once;
    - nothing at all: rumour."""
    if own_staff_attacked or "eyewitness_own_staff" in kinds:
        return "confirmed"
    if kinds & PROBABLE_KINDS or len(kinds & POSSIBLE_KINDS) >= 2:
        grade = "probable"
    elif kinds & POSSIBLE_KINDS or len(kinds & RUMOUR_KINDS) >= 2:
        grade = "possible"
    elif kinds & RUMOUR_KINDS:
        grade = "rumour"
    else:
        grade = None
    if kinds & PICTURES:
        return "possible" if grade is None else ORDER[ORDER.index(grade) + 1]
    return grade or "rumour"


ALL_SUBSETS = [set(c) for size in range(13) for c in combinations(SOURCE_KINDS, size)]


def test_there_are_twelve_kinds_and_every_subset_is_tried() -> None:
    assert len(SOURCE_KINDS) == 12 and len(set(SOURCE_KINDS)) == 12
    assert len(ALL_SUBSETS) == 4096


@pytest.mark.parametrize("own_staff", [False, True])
def test_every_combination_of_source_kinds(own_staff: bool) -> None:
    wrong = []
    for kinds in ALL_SUBSETS:
        got = suggest(sorted(kinds), own_staff_attacked=own_staff)
        if got.certainty != expected(kinds, own_staff) or not got.reasons:
            wrong.append((sorted(kinds), got.certainty, expected(kinds, own_staff)))
    assert not wrong, f"{len(wrong)} combinations differ, e.g. {wrong[:3]}"


def test_more_of_the_same_kind_does_not_raise_it() -> None:
    for kinds in ALL_SUBSETS:
        once = suggest(sorted(kinds)).certainty
        assert suggest(sorted(kinds) * 3).certainty == once


@pytest.mark.parametrize(
    ("kinds", "certainty"),
    [
        (["eyewitness_told"], "probable"),
        (["eyewitness_own_staff"], "confirmed"),
        (["eyewitness_told", "photo"], "confirmed"),
        (["social_media"], "rumour"),
        (["social_media", "social_media"], "rumour"),
        ([], "rumour"),
    ],
)
def test_the_issues_examples(kinds: list[str], certainty: str) -> None:
    assert suggest(kinds).certainty == certainty


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        suggest(["rumour_mill"])
