"""The check every rendered text passes: no area or facility name or alias, no organisation
name, no note, no real name."""

from typing import Any

from salama.people.models import Area, Facility
from salama.safety.models import CheckIn


def forbidden_words(world: Any, roster: Any) -> list[str]:
    words: list[str] = [world.org.name, world.org.slug]
    for area in Area.objects.for_org(world.org):
        words += [area.name_en, area.name_ar, *area.alias_list()]
    for facility in Facility.objects.for_org(world.org):
        words += [facility.name, *facility.alias_list()]
        if facility.name_ar:
            words.append(facility.name_ar)
    words += [c.note for c in CheckIn.objects.for_org(world.org) if c.note]
    words += list(roster.names.values())
    return [w for w in words if w]


def assert_clean(world: Any, roster: Any, texts: list[str]) -> None:
    assert texts, "no texts were rendered"
    words = forbidden_words(world, roster)
    for text in texts:
        for word in words:
            assert word.lower() not in text.lower(), f"{word!r} in a text: {text!r}"
