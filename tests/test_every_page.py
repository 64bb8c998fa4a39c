"""Every page of the demo, as every role that may see it (U1 items 5 and 9, "Done when"):

- in Arabic, no page shows an English string of the catalogues (a text or a label that was
  never translated) or a raw enumeration value (`voice_note`, `third_party`, `NEED_HELP`...);
  the only exceptions are the proper nouns and protocol words listed in ALLOWED, each with its
  reason;
- every form of every page, submitted empty, answers without a server error.

The URL conf is walked as the role-matrix test walks it (tests/test_role_matrix.py), its
parameters filled from tests/access_samples.py on top of the demo's data (salama/demo)."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import reverse

from tests.conftest import client_for
from tests.test_role_matrix import fill, pattern_params, url_patterns
from tests.test_translations import CATALOGUES, entries

DEMO_PERSONAS = {
    "admin": "org_admin",
    "coordinator": "coordinator",
    "liaison": "liaison",
    "lead": "field_lead",
    "staff": "staff",
    "observer": "observer",
}
# Pages that are not pages: webhooks and machine endpoints, exports, the JSON catalogue.
NOT_PAGES = {
    "healthz",
    "metrics",
    "messaging:hook_inbound",
    "messaging:hook_status",
    "messaging:phone_inbound",
    "messaging:phone_smssync",
    "messaging:phone_outbox",
    "messaging:phone_status",
    "facilities:export_json",
    "facilities:export_csv",
    "accounts:jsi18n",
    "accounts:logout",
}
# Proper nouns and words of the text protocol, allowed in Latin letters on an Arabic page.
ALLOWED = {
    "SMS",  # the name of the technology
    "API",  # as above
    "CSV",
    "JSON",
    "HeRAMS",  # WHO's name of the facility-status scheme
    "Android",
    "Salama",
    "UTC",
    "English",  # the language's own name, offered beside Arabic
}


@dataclass
class DemoWorld:
    org: Any
    other_org: Any
    users: dict[str, Any]


class Page(HTMLParser):
    """The text a person reads (text nodes, and the attributes read aloud or shown), minus
    what is not in the page's language by design (lang="en", code, scripts); and the forms."""

    SKIP = {"script", "style", "code", "pre", "textarea"}
    SHOWN = ("title", "aria-label", "placeholder", "data-label", "alt")

    def __init__(self, ltr_too: bool = False) -> None:
        """`ltr_too`: keep the text marked left to right (codenames, numbers) - where an English
        name given also in Arabic must not hide either."""
        super().__init__(convert_charrefs=True)
        self.ltr_too = ltr_too
        self.texts: list[str] = []
        self.forms: list[dict[str, Any]] = []
        self._stack: list[tuple[str, bool]] = []

    def _skipping(self) -> bool:
        return any(skip for _tag, skip in self._stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        skip = (
            tag in self.SKIP
            or found.get("lang") not in (None, "ar")
            or (self.ltr_too and found.get("translate") == "no")  # a frozen record (a notice)
            or found.get("dir") == "auto"  # what people wrote
            or (
                not self.ltr_too
                and (
                    found.get("dir") == "ltr"  # codenames, numbers
                    or "ltr" in (found.get("class") or "").split()
                )
            )
        )
        if tag not in ("input", "br", "img", "meta", "link", "hr", "wbr", "source"):
            self._stack.append((tag, skip))
        if tag == "form":
            self.forms.append(
                {"method": (found.get("method") or "get").lower(), "action": found.get("action")}
            )
        if not (skip or self._skipping()):
            self.texts += [found[a] or "" for a in self.SHOWN if found.get(a)]
            if tag == "input" and found.get("type") in ("submit", "button"):
                self.texts.append(found.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                del self._stack[index:]
                break

    def handle_data(self, data: str) -> None:
        if data.strip() and not self._skipping():
            self.texts.append(data.strip())


def english_strings() -> tuple[set[str], list[str]]:
    """The catalogues' English msgids: short ones (compared with whole texts) and long ones
    (searched inside texts). Placeholders are cut out: a msgid is looked for in the pieces
    between them."""
    short: set[str] = set()
    long: set[str] = set()
    for po in CATALOGUES:
        for msgid, strs, _fuzzy in entries(po):
            if strs and strs[0] == msgid:
                continue  # translated as itself (a proper noun)
            for piece in re.split(r"%\(\w+\)[sd]|%[sd]|\{\w*\}|<[^>]+>", msgid):
                piece = piece.strip(" .,:;()·-–—")
                if not re.search(r"[A-Za-z]{2}", piece) or piece in ALLOWED:
                    continue
                (long if len(piece) >= 24 and " " in piece else short).add(piece)
    return short, sorted(long, key=len)


def enum_values() -> set[str]:
    """The stored values of every choice field of every model (`voice_note`, `NEED_HELP`)."""
    found: set[str] = set()
    for model in apps.get_models():
        if not model.__module__.startswith("salama."):
            continue
        for field in model._meta.get_fields():
            if isinstance(field, models.Field) and field.choices:
                for value, _label in field.flatchoices:
                    if isinstance(value, str) and re.fullmatch(r"[A-Za-z_]{2,}", value):
                        found.add(value)
    # Choices kept in encrypted text (a relayed check-in's source) are enumerations too.
    pending = list(models.TextChoices.__subclasses__())
    while pending:
        choices = pending.pop()
        pending += choices.__subclasses__()
        if choices.__module__.startswith("salama."):
            found |= {v for v in choices.values if re.fullmatch(r"[A-Za-z_]{2,}", v)}
    return found - ALLOWED


def findings(
    html: str, short: set[str], long: list[str], enums: set[str], names: set[str]
) -> list[str]:
    """What an Arabic reader would see in English: a text (or a piece of it between separators)
    that is a catalogue msgid, a long msgid inside a text, a stored choice value standing alone
    (`open`) or with its underscore (`voice_note`). `names`: proper nouns of the data
    (usernames, codenames), never a finding."""
    page = Page()
    page.feed(html)
    problems = []
    for text in page.texts:
        pieces = {text} | {p.strip(" .,:;()·-–—?!،") for p in re.split(r"[·|\n:()،,]", text)}
        pieces -= names
        problems += [f"English {p!r}" for p in pieces if p in short]
        problems += [f"English {p!r}" for p in long if p in text]
        problems += [f"raw value {p!r}" for p in pieces if p in enums and p not in short]
        problems += [
            f"raw value {w!r} in {text[:60]!r}"
            for w in re.findall(r"[A-Za-z]+_[A-Za-z_]+", text)
            if w in enums
        ]
    return sorted(set(problems))


def org_names(world: DemoWorld) -> dict[str, str]:
    """English name -> Arabic name of everything the organisation names in both languages
    (teams, areas, facilities, the parties of evacuation and negotiations): every model of ours
    with a `name_ar` beside its English `name_en` or `name`."""
    found: dict[str, str] = {}
    for model in apps.get_models():
        fields = {f.name for f in model._meta.get_fields()}
        if not model.__module__.startswith("salama.") or "name_ar" not in fields:
            continue
        english = "name_en" if "name_en" in fields else "name"
        rows = model.objects.filter(org__in=[world.org, world.other_org]).exclude(name_ar="")
        for en, ar in rows.values_list(english, "name_ar"):
            if re.search(r"[A-Za-z]{2}", en) and en != ar:
                found[en] = ar
    return found


def people_wrote(world: DemoWorld) -> set[str]:
    """Free text a coordinator typed (an event's label), shown where an option or a heading
    cannot mark it dir="auto": never a finding of `english_names`."""
    from salama.safety.models import Event

    return set(Event.objects.for_org(world.org).values_list("label", flat=True)) - {""}


def english_names(html: str, names: dict[str, str], written: Iterable[str] = ()) -> list[str]:
    """The English names of `names` on an Arabic page, even inside text marked left to right
    (only lang="en", code, form fields, what people wrote (dir="auto") and a frozen notice
    (translate="no") may hold them)."""
    page = Page(ltr_too=True)
    page.feed(html)
    problems = []
    for text in page.texts:
        for words in written:
            text = text.replace(words, " ")
        for en, ar in names.items():
            if re.search(rf"(?<![A-Za-z]){re.escape(en)}(?![A-Za-z])", text):
                problems.append(f"English name {en!r} (given in Arabic: {ar!r})")
    return problems


def demo_world() -> DemoWorld:
    from salama.accounts.models import Organisation, User
    from salama.demo.load import load_demo

    load_demo()
    users = {u.username: u for u in User.objects.all()}
    org = Organisation.objects.get(slug="demo")
    return DemoWorld(org=org, other_org=Organisation.objects.get(slug="demo-clinics"), users=users)


def data_pages(world: DemoWorld) -> list[tuple[str, str, Any]]:
    """Pages whose words come from stored values: people with relayed news and decisions, every
    alert, every roll call, every facility of the demo."""
    from salama.alerts.models import Alert
    from salama.facilities.models import FacilityStatus
    from salama.rollcalls.models import RollCall
    from salama.safety.models import CheckIn, Decision

    coordinating = ("org_admin", "coordinator")
    org = world.org
    persons = set(
        CheckIn.objects.for_org(org)
        .filter(basis="relayed")
        .values_list("person_id", flat=True)[:12]
    ) | set(Decision.objects.for_org(org).values_list("person_id", flat=True)[:3])
    found = [("safety:person", f"/safety/person/{p}/", coordinating) for p in persons]
    found += [("people:person", f"/people/{p}/", coordinating) for p in persons]
    found += [
        ("alerts:detail", f"/alerts/{n}/", coordinating)
        for n in Alert.objects.for_org(org).values_list("number", flat=True)[:20]
    ]
    found += [
        ("rollcalls:live_page", f"/rollcalls/{n}/", coordinating)
        for n in RollCall.objects.for_org(org).values_list("number", flat=True)
    ]
    found += [
        ("facilities:detail", f"/facilities/{f}/", coordinating)
        for f in FacilityStatus.objects.for_org(org).values_list("facility_id", flat=True)[:5]
    ]
    return found


def proper_nouns(world: DemoWorld) -> set[str]:
    from salama.people.models import Person

    return set(world.users) | set(
        Person.objects.for_org(world.org).values_list("codename", flat=True)
    )


def pages(world: DemoWorld) -> list[tuple[str, str, Any]]:
    """(name, url, roles) of every page, its parameters filled with objects of the demo."""
    found = data_pages(world)
    for name, pattern in url_patterns():
        if not name or name in NOT_PAGES:
            continue
        allowed = getattr(pattern.callback, "salama_roles", ())
        if allowed in ("webhook",):
            continue
        found.append((name, reverse(name, kwargs=fill(pattern_params(pattern), world)), allowed))
    return found


def arabic_client(user: Any) -> Client:
    user.language = "ar"
    user.save(update_fields=["language"])
    return client_for(user)


def visits(world: DemoWorld) -> list[tuple[str, str, Client]]:
    clients = {p: arabic_client(world.users[p]) for p in DEMO_PERSONAS}
    anon = Client()
    anon.cookies["django_language"] = "ar"
    out = []
    for name, url, allowed in pages(world):
        if allowed in ("public", "login"):
            out.append((name, url, anon if allowed == "public" else clients["coordinator"]))
            continue
        out += [(name, url, clients[p]) for p, role in DEMO_PERSONAS.items() if role in allowed]
    return out


@pytest.mark.django_db
def test_every_page_in_arabic_has_no_english_and_no_raw_values(settings: Any) -> None:
    settings.LANGUAGE_COOKIE_NAME = "django_language"
    short, long = english_strings()
    enums = enum_values()
    world = demo_world()
    names = proper_nouns(world)
    given = org_names(world)
    written = people_wrote(world)
    assert len(given) >= 10, given  # the demo names its areas, facilities and teams in Arabic
    problems: dict[str, set[str]] = {}
    for name, url, client in visits(world):
        response = client.get(url)
        assert response.status_code < 500, f"{name} {url}: {response.status_code}"
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        found = findings(html, short, long, enums, names) + english_names(html, given, written)
        if found:
            problems.setdefault(f"{name} ({url})", set()).update(found)
    report = "\n".join(f"{page}: {sorted(found)}" for page, found in sorted(problems.items()))
    assert not problems, f"{len(problems)} Arabic pages show English:\n{report}"


@pytest.mark.django_db
def test_every_form_submitted_empty_gives_no_server_error() -> None:
    world = demo_world()
    failures = []
    for name, url, client in visits(world):
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        page = Page()
        page.feed(response.content.decode())
        for form in page.forms:
            action = form["action"] or url
            if action.startswith(("http:", "https:")) or "/logout" in action:
                continue
            post = form["method"] == "post"
            answer = client.post(action, {}) if post else client.get(action)
            if answer.status_code >= 500:
                failures.append(
                    f"{name}: {form['method'].upper()} {action} -> {answer.status_code}"
                )
    assert not failures, "\n".join(failures)


def test_english_strings_are_found(tmp_path: Path) -> None:
    """The finder itself: an untranslated label, a raw value and a long sentence are caught;
    Arabic text, a codename and English inside lang="en" are not."""
    html = (
        "<p>الحالة: <span>voice_note</span></p><td>Acknowledged</td>"
        '<p lang="en">English</p><span class="ltr">K12</span><p>آمن</p>'
        "<p>Nobody on the roster matches.</p>"
    )
    found = findings(
        html,
        {"Acknowledged"},
        ["Nobody on the roster matches"],
        {"voice_note", "SAFE", "K12"},
        {"K12"},
    )
    assert found == [
        "English 'Acknowledged'",
        "English 'Nobody on the roster matches'",
        "raw value 'voice_note'",
        "raw value 'voice_note' in 'voice_note'",
    ]


def test_english_names_are_found() -> None:
    """An English name given also in Arabic is caught even inside left-to-right text; not in
    lang="en", what people wrote (dir="auto"), a frozen notice (translate="no") or typed free
    text."""
    names = {"Al-Shaar": "الشعار", "Field Hospital M1": "المشفى الميداني م١"}
    html = (
        '<td class="ltr">Al-Shaar</td><p>المشفى: <bdi dir="ltr">Field Hospital M1</bdi></p>'
        '<td lang="en">Al-Shaar</td><td dir="auto">Al-Shaar</td><td translate="no">Al-Shaar</td>'
        "<p>Strike near Al-Shaar · الشعار</p><p>Al-Shaarawi</p>"
    )
    assert english_names(html, names, {"Strike near Al-Shaar"}) == [
        "English name 'Al-Shaar' (given in Arabic: 'الشعار')",
        "English name 'Field Hospital M1' (given in Arabic: 'المشفى الميداني م١')",
    ]
