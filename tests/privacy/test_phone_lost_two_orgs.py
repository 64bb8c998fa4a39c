"""S3 item 5: "phone lost" reported by one organisation ends the sessions and tokens used for
that organisation only, tells the other organisations' admins, and is audited in each."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from salama.accounts.models import ApiToken, AuditEvent, Membership, User, UserSession
from salama.safety.tokens import create_token
from tests.conftest import PASSWORD, client_for

pytestmark = pytest.mark.django_db


def session_in(user: User, org: Any) -> Client:
    client = client_for(user)
    client.post("/accounts/switch/", {"org": org.pk})
    return client


def test_phone_lost_in_one_organisation_leaves_the_other_alone(world: Any, roster: Any) -> None:
    user = world.users["coordinator"]
    Membership.objects.create(user=user, org=world.other_org, role="coordinator")
    admin_b = User.objects.create_user(username="admin_b", password=PASSWORD)
    Membership.objects.create(user=admin_b, org=world.other_org, role="org_admin")
    phone = session_in(user, world.org)
    laptop = session_in(user, world.other_org)
    assert set(UserSession.objects.filter(user=user).values_list("org_id", flat=True)) == {
        world.org.pk,
        world.other_org.pk,
    }
    create_token(user=user, org=world.org, name="relief script")
    create_token(user=user, org=world.other_org, name="elsewhere script")

    member = user.memberships.get(org=world.org)
    url = reverse("privacy:member_phone_lost", kwargs={"member_id": member.pk})
    relief_admin = client_for(world.users["org_admin"])
    response = relief_admin.post(url, {"points": [str(roster.coordinator_phone.pk)]})
    assert response.status_code == 200

    # The sessions and tokens of the reporting organisation end ...
    assert "/accounts/login" in phone.get("/accounts/security/")["Location"]
    assert not ApiToken.objects.filter(user=user, org=world.org, revoked_at=None).exists()
    # ... those used for the other organisation do not.
    assert laptop.get("/accounts/security/").status_code == 200
    assert ApiToken.objects.filter(user=user, org=world.other_org, revoked_at=None).exists()

    # Audited in both organisations.
    here = AuditEvent.objects.get(action="phone.lost")
    assert here.org_id == world.org.pk and here.detail["sessions"] == 1
    there = AuditEvent.objects.get(action="phone.lost_elsewhere")
    other_member = user.memberships.get(org=world.other_org)
    assert there.org_id == world.other_org.pk and there.object_id == str(other_member.pk)
    assert there.detail == {"reported_in": world.org.pk, "sessions_kept": 1, "tokens_kept": 1}
    # The other organisation's admins are told on their members page.
    page = client_for(admin_b).get("/accounts/members/").content.decode()
    assert "reported lost or seized in another organisation" in page
    assert 'id="phone-lost-elsewhere"' in page
    relief_page = relief_admin.get("/accounts/members/").content.decode()
    assert 'id="phone-lost-elsewhere"' not in relief_page
