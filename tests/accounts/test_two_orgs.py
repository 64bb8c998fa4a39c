"""People in two organisations (S3 item 5): one organisation's admin approving a member's
authenticator app does not make it a second factor for a privileged role in another."""

from typing import Any

from django.test import Client

from salama.accounts.models import AuditEvent, FallbackFactor, Membership, User
from tests.conftest import PASSWORD, client_for, current_code, second_factor_device


def second_admin(world: Any) -> User:
    """An org admin of the other organisation ("elsewhere")."""
    admin = User.objects.create_user(username="admin_b", password=PASSWORD)
    Membership.objects.create(user=admin, org=world.other_org, role="org_admin")
    return admin


def verify(client: Client, fallback: FallbackFactor) -> int:
    return client.post("/accounts/verify/", {"code": current_code(fallback.totp)}).status_code


def reaches_pages(client: Client) -> bool:
    response = client.get("/accounts/security/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_an_app_approved_by_one_organisation_does_not_count_in_another(world: Any) -> None:
    user = world.users["coordinator"]
    Membership.objects.create(user=user, org=world.other_org, role="coordinator")
    admin_b = client_for(second_admin(world))
    # The coordinator sets up an app and proves it.
    client = Client()
    client.post("/accounts/login/", {"username": "coordinator", "password": PASSWORD})
    client.post("/accounts/verify/app/", {"action": "start"})
    fallback = FallbackFactor.objects.get(user=user)
    client.post("/accounts/verify/app/", {"action": "prove", "code": current_code(fallback.totp)})
    # The first organisation ("relief", where the session is) approves it.
    relief_admin = client_for(world.users["org_admin"])
    relief_membership = user.memberships.get(org=world.org)
    relief_admin.post(f"/accounts/members/{relief_membership.pk}/approve-app/")
    assert (
        client.post("/accounts/verify/", {"code": current_code(fallback.totp)}).status_code == 302
    )
    assert reaches_pages(client)
    # In the other organisation the same session is sent back to the second factor, and the
    # app's codes are refused there until its own admin approves.
    client.post("/accounts/switch/", {"org": world.other_org.pk})
    assert not reaches_pages(client)
    assert client.get("/api/me").status_code == 403
    assert verify(client, fallback) == 200
    assert not reaches_pages(client)
    other_membership = user.memberships.get(org=world.other_org)
    listing = admin_b.get("/accounts/members/").content.decode()
    assert "waiting for approval" in listing
    admin_b.post(f"/accounts/members/{other_membership.pk}/approve-app/")
    assert (
        client.post("/accounts/verify/", {"code": current_code(fallback.totp)}).status_code == 302
    )
    assert reaches_pages(client)
    # Each approval is audited in both organisations.
    assert AuditEvent.objects.filter(action="fallback_approved", org_id=world.org.pk).exists()
    assert AuditEvent.objects.filter(
        action="fallback_approved", org_id=world.other_org.pk, actor_id=admin_b_id(world)
    ).exists()
    told = AuditEvent.objects.filter(action="fallback_approved_elsewhere").order_by("pk")
    assert [(e.org_id, e.detail["counts_here"]) for e in told] == [
        (world.other_org.pk, False),
        (world.org.pk, True),
    ]
    assert {e.object_id for e in told} == {str(user.pk)}


def admin_b_id(world: Any) -> int:
    return User.objects.get(username="admin_b").pk


def test_a_role_that_needs_no_second_factor_uses_the_app_anywhere(world: Any) -> None:
    user = world.users["coordinator"]
    client = client_for(user)  # its app is approved by "relief" only
    Membership.objects.create(user=user, org=world.other_org, role="staff")
    assert reaches_pages(client)
    client.post("/accounts/switch/", {"org": world.other_org.pk})
    assert reaches_pages(client)


def test_before_the_factor_a_person_can_switch_to_an_organisation_that_approved_it(
    world: Any,
) -> None:
    user = world.users["outsider"]  # a coordinator of "elsewhere", whose app it approved
    device = second_factor_device(user)  # approved by "elsewhere" only, its one org so far
    Membership.objects.create(user=user, org=world.org, role="coordinator")  # the first org
    client = Client()
    client.post("/accounts/login/", {"username": "outsider", "password": PASSWORD})
    # In "relief", which has not approved the app, its code does not pass ...
    assert client.post("/accounts/verify/", {"code": current_code(device)}).status_code == 200
    # ... but the person may switch to "elsewhere" and pass there.
    assert client.post("/accounts/switch/", {"org": world.other_org.pk})["Location"] == "/"
    assert client.post("/accounts/verify/", {"code": current_code(device)}).status_code == 302
    assert reaches_pages(client)
    assert client.get("/api/me").json()["organisation"] == "elsewhere"
