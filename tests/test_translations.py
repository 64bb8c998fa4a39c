"""The Arabic catalogues are complete and compiled: every string of every page, message and
error has a translation, and the committed .mo matches its .po."""

import ast
import gettext
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "salama"
CATALOGUES = sorted(ROOT.glob("**/locale/ar/LC_MESSAGES/django.po"))


def entries(po: Path) -> list[tuple[str, list[str], bool]]:
    """(msgid, msgstrs, fuzzy) for each entry, header excluded."""
    found = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        lines = [ln for ln in block.splitlines() if not ln.startswith("#~")]
        fuzzy = any(ln.startswith("#,") and "fuzzy" in ln for ln in lines)
        current, parts = None, {}
        for line in lines:
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$', line)
            if match:
                current = match.group(1)
                parts[current] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and current:
                parts[current] += ast.literal_eval(line)
        if parts.get("msgid"):
            strs = [v for k, v in parts.items() if k.startswith("msgstr")]
            found.append((parts["msgid"], strs, fuzzy))
    return found


def test_there_are_catalogues() -> None:
    assert CATALOGUES


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_arabic_catalogue_is_complete(po: Path) -> None:
    missing = [msgid for msgid, strs, fuzzy in entries(po) if fuzzy or not all(strs)]
    assert not missing, f"untranslated or fuzzy in {po}: {missing}"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiled_catalogue_matches(po: Path) -> None:
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} missing: run make messages"
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        msgid
        for msgid, strs, _ in entries(po)
        if len(strs) == 1 and compiled.gettext(msgid) != strs[0]
    ]
    assert not stale, f"{mo} is older than {po}: run make messages ({stale[:3]})"
