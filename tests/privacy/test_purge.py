"""S2 §4: the emergency purge destroys the organisation's keys first, then its personal data;
the audit log and the other organisation stay."""

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from salama.accounts import factors
from salama.accounts.models import (
    AuditEvent,
    Membership,
    Organisation,
    User,
    UserSession,
)
from salama.lib import keyring
from salama.people.models import ContactPoint, Person
from salama.privacy import purge
from salama.safety.models import CheckIn
from tests.privacy.data import FREE_TEXT_B, MARKERS_B, NUMBER_B, fill_both

pytestmark = pytest.mark.django_db


def assert_a_is_gone_and_b_is_whole(world: Any) -> None:
    org = Organisation.objects.get(pk=world.org.pk)
    assert not org.is_active and org.credentials == ""
    assert not keyring.has_keys(world.org.pk)
    for model in (Person, ContactPoint, CheckIn, Membership):
        assert not model.objects.for_org(world.org).exists(), model
    assert not UserSession.objects.filter(org_id=world.org.pk).exists()
    b = Person.objects.for_org(world.other_org).get()
    assert [b.real_name, b.specialty, b.exact_location] == MARKERS_B[:3]
    assert b.checkins.get().note == MARKERS_B[3]
    assert b.contact_points.get().value == NUMBER_B
    assert keyring.has_keys(world.other_org.pk)


def test_purge_command_destroys_a_and_keeps_b_and_the_audit_log(
    world: Any, clients: dict[str, Any]
) -> None:
    fill_both(world)
    audit_before = AuditEvent.objects.count()
    out = StringIO()
    call_command("purge", "--org", "relief", "--yes", stdout=out)
    assert "Purged relief" in out.getvalue()
    assert_a_is_gone_and_b_is_whole(world)
    assert AuditEvent.objects.count() >= audit_before + 2
    assert AuditEvent.objects.filter(action="org.purged", org_id=world.org.pk).exists()
    # Logins of the organisation alone are disabled and lose their names.
    staff = User.objects.get(pk=world.users["staff"].pk)
    assert not staff.is_active and staff.username == f"purged-{staff.pk}"
    assert User.objects.get(pk=world.users["outsider"].pk).is_active
    # A member's open browser is signed out.
    assert "/accounts/login" in clients["coordinator"].get(reverse("home"))["Location"]


def test_purge_command_asks_for_the_short_name_again(world: Any, monkeypatch: Any) -> None:
    fill_both(world)
    monkeypatch.setattr("builtins.input", lambda prompt="": "relief-typo")
    with pytest.raises(CommandError):
        call_command("purge", "--org", "relief", stdout=StringIO())
    assert keyring.has_keys(world.org.pk)
    assert Person.objects.for_org(world.org).exists()
    monkeypatch.setattr("builtins.input", lambda prompt="": "relief")
    call_command("purge", "--org", "relief", stdout=StringIO())
    assert_a_is_gone_and_b_is_whole(world)


def test_unknown_organisation_is_refused(world: Any) -> None:
    with pytest.raises(CommandError):
        call_command("purge", "--org", "nobody", "--yes", stdout=StringIO())


def test_keys_go_first_so_an_interrupted_purge_leaves_nothing_readable(
    world: Any, monkeypatch: Any
) -> None:
    a, _b = fill_both(world)

    def interrupted(org: Any) -> dict[str, int]:
        raise KeyboardInterrupt

    monkeypatch.setattr(purge, "_delete_rows", interrupted)
    with pytest.raises(KeyboardInterrupt):
        call_command("purge", "--org", "relief", "--yes", stdout=StringIO())
    row = Person.objects.get(pk=a.pk)  # the rows are still there ...
    assert row.real_name.startswith("v1:")  # ... as ciphertext nobody can open
    with pytest.raises(keyring.KeyUnavailable):
        keyring.decrypt(row.real_name)
    # Running it again finishes the job.
    monkeypatch.undo()
    call_command("purge", "--org", "relief", "--yes", stdout=StringIO())
    assert_a_is_gone_and_b_is_whole(world)


def test_purge_page_needs_the_typed_short_name(world: Any, clients: dict[str, Any]) -> None:
    fill_both(world)
    url = reverse("privacy:purge")
    assert clients["org_admin"].get(url).status_code == 200
    wrong = clients["org_admin"].post(url, {"confirm": "Relief"})
    assert wrong.status_code == 400
    assert keyring.has_keys(world.org.pk)
    done = clients["org_admin"].post(url, {"confirm": "relief"})
    assert done.status_code == 200 and b'id="purged"' in done.content
    assert_a_is_gone_and_b_is_whole(world)


def test_purge_page_is_for_org_admins_with_a_recent_second_factor(
    world: Any, clients: dict[str, Any]
) -> None:
    url = reverse("privacy:purge")
    assert clients["coordinator"].post(url, {"confirm": "relief"}).status_code == 403
    client = clients["org_admin"]
    session = client.session
    session[factors.VERIFIED_AT] -= 3600
    session.save()
    response = client.post(url, {"confirm": "relief"})
    assert response.status_code == 302 and "reauth=1" in response["Location"]
    assert keyring.has_keys(world.org.pk)


def test_the_purge_leaves_no_name_no_label_and_no_question_of_a(world: Any) -> None:
    """The organisation's name and short name go with the purge (its row stays, inactive, for
    the audit log); its events and roll calls go with their labels and questions."""
    from salama.rollcalls.models import RollCall
    from salama.safety.models import Event

    fill_both(world)
    Organisation.objects.filter(pk=world.org.pk).update(name="ZQA-org-7731 Relief Union")
    call_command("purge", "--org", "relief", "--yes", stdout=StringIO())
    org = Organisation.objects.get(pk=world.org.pk)
    assert "ZQA" not in org.name and "relief" not in org.slug
    assert org.name == org.slug == f"purged-{org.pk}"
    assert not Event.objects.for_org(world.org).exists()
    assert not RollCall.objects.for_org(world.org).exists()
    assert Event.objects.for_org(world.other_org).get().label == FREE_TEXT_B[0]
    roll_call = RollCall.objects.for_org(world.other_org).get()
    assert roll_call.question == FREE_TEXT_B[1]
    assert roll_call.options[0]["label"] == FREE_TEXT_B[2]
    # Run again (by its new short name): nothing more to do, nothing fails.
    call_command("purge", "--org", org.slug, "--yes", stdout=StringIO())


def test_an_idempotency_key_keeps_no_hash_a_guessed_check_in_can_be_matched_with(
    world: Any,
) -> None:
    """The stored hash of an API check-in's body is keyed under the organisation's lookup key:
    someone holding a copy of the table cannot confirm a guess ("A1 SAFE, note ...") by hashing
    it; after the purge nobody can."""
    import hashlib
    import json

    from django.test import Client

    from salama.safety.api import CheckInIn
    from salama.safety.models import IdempotencyKey
    from salama.safety.tokens import create_token

    fill_both(world)
    token = create_token(user=world.users["coordinator"], org=world.org, name="laptop")
    body = {"status": "SAFE", "codename": "A1", "note": "ZQA-api-note-7731"}
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_IDEMPOTENCY_KEY": "k-1"}

    def post(payload: dict[str, str]) -> Any:
        return Client().post("/api/checkins", json.dumps(payload),
                             content_type="application/json", **headers)  # fmt: skip

    first = post(body)
    assert first.status_code == 201, first.content
    canonical = json.dumps(CheckInIn(**body).model_dump(mode="json"), sort_keys=True)
    stored = IdempotencyKey.objects.for_org(world.org).get().body_hash
    assert stored != hashlib.sha256(canonical.encode()).hexdigest()
    assert len(stored) == 64
    # Still what it is for: the same body replays the answer, another one is refused.
    again = post(body)
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert post({**body, "status": "INJURED"}).status_code == 409
    call_command("purge", "--org", "relief", "--yes", stdout=StringIO())
    with pytest.raises(keyring.KeyUnavailable):
        keyring.lookup_hash(world.org.pk, canonical)
