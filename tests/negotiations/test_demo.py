"""The demo's negotiation picture, and every notice it exported read back as it leaves (JSON and
the printable page, both languages): no name, codename, phone number or medical detail of anyone
unless that person consented to that exact version for its recipient and the detail is one they
consented to."""

from __future__ import annotations

import json
import re

import pytest

from salama.accounts.models import Membership, User
from salama.demo.load import load_demo
from salama.evacuation.models import Request
from salama.evacuation.requests import details_of
from salama.negotiations import services
from salama.negotiations.models import (
    Approval,
    Consent,
    Disclosure,
    Interaction,
    PackageVersion,
    Party,
)
from salama.people.models import ContactPoint, Person
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _visible(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_demo_negotiation_picture() -> None:
    load_demo()
    load_demo()  # idempotent
    assert Party.objects.count() == 2 and Party.objects.filter(screens_evacuees=True).count() == 1
    rows = Interaction.objects.all()
    assert rows.count() == 12 and rows.filter(outcome="broken").count() == 1
    span = max(r.at for r in rows) - min(r.at for r in rows)
    assert span.days >= 80
    exported = PackageVersion.objects.exclude(exported_at=None)
    assert exported.count() == 1
    assert {a.by.user_id for a in Approval.objects.filter(version=exported.get())}.__len__() == 2
    pending = PackageVersion.objects.filter(voided_at=None, exported_at=None).get()
    assert pending.approvals.count() == 1 and not services.is_approved(pending)
    assert Consent.objects.filter(decision="withdrawn").count() == 1


def test_every_exported_notice_of_the_demo_keeps_to_consent() -> None:
    load_demo()
    org_people = list(Person.objects.filter(org__slug="demo"))
    phones = [
        _digits(str(c.value))
        for c in ContactPoint.objects.filter(org__slug="demo")
        if len(_digits(str(c.value))) >= 6
    ]
    medical: dict[int, list[str]] = {}
    for request in Request.objects.filter(org__slug="demo"):
        medical.setdefault(request.person_id, []).extend(details_of(request)["needs"])
    coordinator = client_for(User.objects.get(username="coordinator"))
    versions = list(PackageVersion.objects.exclude(exported_at=None))
    # The check is not vacuous: the demo has names, phone numbers and medical needs to leak.
    assert versions and phones and any(medical.values())
    assert any(p.real_name for p in org_people)
    for version in versions:
        allowed = {d.person_id: set(d.fields) for d in Disclosure.objects.filter(version=version)}
        for pid, _fields in version.named:
            assert services.consent_holds(pid, version, version.package.party_id)
        texts = [
            json.dumps(
                coordinator.get(f"/negotiations/versions/{version.pk}/notice.json").json(),
                ensure_ascii=False,
            ),
            json.dumps(
                coordinator.get(f"/api/negotiations/versions/{version.pk}/export").json(),
                ensure_ascii=False,
            ),
        ]
        for language in ("en", "ar"):
            page = coordinator.get(f"/negotiations/versions/{version.pk}/print/?lang={language}")
            assert page.status_code == 200
            texts.append(_visible(page.content.decode()))
        for text in texts:
            words = set(re.findall(r"[\w-]+", text))
            digits = _digits(text)
            for person in org_people:
                assert person.codename not in words, f"codename {person.codename} in {version}"
                fields = allowed.get(person.pk, set())
                if person.real_name and "name" not in fields:
                    assert str(person.real_name) not in text, f"a name in {version}"
                for need in medical.get(person.pk, []) if "medical" not in fields else []:
                    assert need not in words, f"a medical detail in {version}"
            for phone in phones:
                assert phone not in digits, f"a phone number in {version}"


def test_the_withdrawn_consent_blocks_the_pending_notice() -> None:
    load_demo()
    pending = PackageVersion.objects.filter(voided_at=None, exported_at=None).get()
    assert services.missing_consents(pending)
    second = Membership.objects.get(user__username="coordinator2", org__slug="demo")
    with pytest.raises(services.NegotiationError):
        services.approve(version=pending, by=second)
