"""Org admins manage their organisation's members on Salama's own pages (S3 item 3), so a
deployment never needs the Django admin for daily work: add a member with a one-time password,
change a role, remove a member, set a new password."""

from typing import Any

from django.test import Client

from salama.accounts.models import ApiToken, AuditEvent, Membership, User, UserSession
from salama.safety.tokens import create_token
from tests.conftest import PASSWORD, client_for


def one_time_password(page: Any) -> str:
    body = page.content.decode()
    start = body.index('id="one-time-password">') + len('id="one-time-password">')
    return body[start : body.index("<", start)]


def test_an_org_admin_adds_a_member_who_then_logs_in(world: Any) -> None:
    admin = client_for(world.users["org_admin"])
    page = admin.post("/accounts/members/add/", {"username": "nurse.k40", "role": "staff"})
    assert page.status_code == 200
    password = one_time_password(page)
    assert len(password) >= 16
    member = Membership.objects.get(user__username="nurse.k40")
    assert member.org_id == world.org.pk and member.role == "staff"
    event = AuditEvent.objects.get(action="member.added")
    assert event.org_id == world.org.pk and event.detail == {"role": "staff"}
    assert password not in str(event.detail) and "nurse" not in str(event.detail)
    newcomer = Client()
    response = newcomer.post("/accounts/login/", {"username": "nurse.k40", "password": password})
    assert response.status_code == 302
    # A name already taken (here or in another organisation) is refused; nothing is created.
    again = admin.post("/accounts/members/add/", {"username": "outsider", "role": "coordinator"})
    assert "That user name is taken" in again.content.decode()
    assert not Membership.objects.filter(user__username="outsider", org=world.org).exists()


def test_an_org_admin_changes_a_role_and_the_second_factor_follows(world: Any) -> None:
    admin = client_for(world.users["org_admin"])
    staff = world.users["staff"]
    member = staff.memberships.get(org=world.org)
    admin.post(f"/accounts/members/{member.pk}/role/", {"role": "coordinator"})
    member.refresh_from_db()
    assert member.role == "coordinator"
    event = AuditEvent.objects.get(action="member.role_changed")
    assert event.detail == {"from": "staff", "to": "coordinator"}
    # Now a coordinator: a password alone no longer reaches any page.
    client = Client()
    client.post("/accounts/login/", {"username": "staff", "password": PASSWORD})
    assert client.get("/accounts/security/")["Location"].startswith("/accounts/verify/")
    # An admin cannot change their own role (the last admin could lock everyone out).
    own = world.users["org_admin"].memberships.get(org=world.org)
    admin.post(f"/accounts/members/{own.pk}/role/", {"role": "observer"})
    own.refresh_from_db()
    assert own.role == "org_admin"
    # Another organisation's member is not found.
    outsider = world.users["outsider"].memberships.get()
    response = admin.post(f"/accounts/members/{outsider.pk}/role/", {"role": "staff"})
    assert response.status_code == 404


def test_removing_a_member_ends_their_access_here_only(world: Any) -> None:
    user = world.users["lead"]
    Membership.objects.create(user=user, org=world.other_org, role="staff")
    create_token(user=user, org=world.org, name="tablet")
    create_token(user=user, org=world.other_org, name="tablet")
    lead = client_for(user)
    elsewhere = client_for(user)
    elsewhere.post("/accounts/switch/", {"org": world.other_org.pk})
    admin = client_for(world.users["org_admin"])
    member = user.memberships.get(org=world.org)
    admin.post(f"/accounts/members/{member.pk}/remove/")
    member.refresh_from_db()
    assert not member.is_active
    assert "/accounts/login" in lead.get("/accounts/security/")["Location"]
    assert elsewhere.get("/accounts/security/").status_code == 200
    assert not ApiToken.objects.filter(user=user, org=world.org, revoked_at=None).exists()
    assert ApiToken.objects.filter(user=user, org=world.other_org, revoked_at=None).exists()
    assert AuditEvent.objects.filter(action="member.removed", org_id=world.org.pk).exists()


def test_an_org_admin_sets_a_new_password_for_their_own_members_only(world: Any) -> None:
    admin = client_for(world.users["org_admin"])
    staff = world.users["staff"]
    old = client_for(staff)
    page = admin.post(f"/accounts/members/{staff.memberships.get().pk}/password/")
    password = one_time_password(page)
    assert not UserSession.objects.filter(user=staff).exists()
    assert "/accounts/login" in old.get("/accounts/security/")["Location"]
    assert (
        Client().post("/accounts/login/", {"username": "staff", "password": password}).status_code
        == 302
    )
    assert AuditEvent.objects.filter(action="member.password_set").exists()
    # A login that belongs to another organisation too is not this organisation's to reset.
    Membership.objects.create(user=world.users["staff2"], org=world.other_org, role="staff")
    shared = world.users["staff2"].memberships.get(org=world.org)
    response = admin.post(f"/accounts/members/{shared.pk}/password/", follow=True)
    assert "belongs to another organisation too" in response.content.decode()
    assert User.objects.get(username="staff2").check_password(PASSWORD)


def test_member_changes_need_a_recent_second_factor(world: Any, settings: Any) -> None:
    import time_machine

    from salama.lib import clock

    admin = client_for(world.users["org_admin"])
    with time_machine.travel(clock.now(), tick=False) as traveller:
        traveller.shift(settings.REAUTH_WINDOW + 60)
        response = admin.post("/accounts/members/add/", {"username": "late", "role": "staff"})
    assert response.status_code == 302 and "reauth=1" in response["Location"]
    assert not User.objects.filter(username="late").exists()


def test_the_operator_creates_an_organisation_and_its_first_admin(db: None) -> None:
    from io import StringIO

    from django.core.management import call_command

    from salama.accounts.models import Organisation

    out = StringIO()
    call_command("create_org", "newaid", "New Aid", "--time-zone", "UTC", stdout=out)
    org = Organisation.objects.get(slug="newaid")
    call_command("add_member", "newaid", "first.admin", "org_admin", stdout=out)
    password = out.getvalue().split("(shown once): ")[1].strip()
    client = Client()
    login = client.post("/accounts/login/", {"username": "first.admin", "password": password})
    assert login["Location"].startswith("/accounts/verify/")  # an org admin: second factor next
    assert Membership.objects.get(user__username="first.admin").org_id == org.pk
    # An existing login joins a second organisation with its password unchanged.
    call_command("add_member", "newaid", "first.admin", "observer", stdout=out)
    assert Membership.objects.get(user__username="first.admin").role == "observer"
    assert User.objects.get(username="first.admin").check_password(password)
    assert [e.detail["by"] for e in AuditEvent.objects.filter(action="member.added")] == [
        "operator",
        "operator",
    ]
