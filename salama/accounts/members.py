"""An org admin's management of their organisation's members, so that daily work never needs the
Django admin: add a member (a new login with a one-time password), change a role, remove a
member, set a new password. Each is audited in the organisation (ids and roles only).

A login is shared by every organisation it belongs to; what one organisation does here never
changes the login's standing in another: removal ends only this organisation's sessions and
tokens, and a new password is refused for a login that belongs to another organisation too
(the operator sets it with `salama changepassword`)."""

import secrets

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import ApiToken, Membership, Organisation, Role, User, UserSession
from salama.lib import clock

PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
PASSWORD_GROUPS = 5


def one_time_password() -> str:
    """Five groups of four (about 98 bits), easy to read out over a call."""
    groups = (
        "".join(secrets.choice(PASSWORD_ALPHABET) for _n in range(4))
        for _g in range(PASSWORD_GROUPS)
    )
    return "-".join(groups)


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise ValidationError(_("Choose a role."), code="role")


def _not_self(membership: Membership, by: Membership) -> None:
    if membership.user_id == by.user_id:
        raise PermissionDenied(_("Another organisation admin must do this for your account."))


@transaction.atomic
def add_member(
    *,
    org: Organisation,
    username: str,
    role: str,
    by: Membership | None,
    request: HttpRequest | None,
) -> tuple[Membership, str]:
    """A new login and its membership; returns the one-time password, shown once. `by` is None
    when the operator does it (`salama add-member`)."""
    _check_role(role)
    username = username.strip()
    UnicodeUsernameValidator()(username)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(_("That user name is taken. Choose another."), code="taken")
    password = one_time_password()
    user = User.objects.create_user(username=username, password=password)
    membership = Membership.objects.create(user=user, org=org, role=role)
    audit.record(
        "member.added",
        org_id=org.pk,
        actor_id=by.user_id if by else None,
        obj=membership,
        request=request,
        detail={"role": role} if by else {"role": role, "by": "operator"},
    )
    return membership, password


@transaction.atomic
def grant_membership(*, org: Organisation, user: User, role: str) -> Membership:
    """The operator's way to put an existing login into a(nother) organisation, or back into
    one (`salama add-member`); org admins can only add new logins, never another
    organisation's."""
    _check_role(role)
    membership, _created = Membership.objects.update_or_create(
        user=user, org=org, defaults={"role": role, "is_active": True}
    )
    audit.record(
        "member.added",
        org_id=org.pk,
        obj=membership,
        detail={"role": role, "by": "operator", "existing_login": True},
    )
    return membership


@transaction.atomic
def set_role(
    *, membership: Membership, role: str, by: Membership, request: HttpRequest | None
) -> None:
    _check_role(role)
    _not_self(membership, by)
    before = membership.role
    Membership.objects.for_org(membership.org_id).filter(pk=membership.pk).update(role=role)
    membership.role = role
    audit.record(
        "member.role_changed",
        org_id=membership.org_id,
        obj=membership,
        request=request,
        detail={"from": before, "to": role},
    )


@transaction.atomic
def remove_member(*, membership: Membership, by: Membership, request: HttpRequest | None) -> None:
    """The membership ends; the login's sessions and API tokens for this organisation end too
    (those for its other organisations stay)."""
    _not_self(membership, by)
    org_id = membership.org_id
    Membership.objects.for_org(org_id).filter(pk=membership.pk).update(is_active=False)
    membership.is_active = False
    sessions, _kinds = (
        UserSession.objects.filter(user_id=membership.user_id)
        .filter(Q(org_id=org_id) | Q(org_id__isnull=True))
        .delete()
    )
    tokens = (
        ApiToken.objects.for_org(org_id)
        .filter(user_id=membership.user_id, revoked_at__isnull=True)
        .update(revoked_at=clock.now())
    )
    audit.record(
        "member.removed",
        org_id=org_id,
        obj=membership,
        request=request,
        detail={"sessions": sessions, "tokens": tokens},
    )


@transaction.atomic
def set_password(*, membership: Membership, by: Membership, request: HttpRequest | None) -> str:
    """A new one-time password for a login that belongs to this organisation only; every
    session of it ends. Returns the password, shown once."""
    _not_self(membership, by)
    elsewhere = Membership.objects.filter(user_id=membership.user_id, is_active=True).exclude(
        org_id=membership.org_id
    )
    if elsewhere.exists():
        raise ValidationError(
            _(
                "This login belongs to another organisation too: ask the operator to set its "
                "password (salama changepassword)."
            ),
            code="shared",
        )
    password = one_time_password()
    user = User.objects.get(pk=membership.user_id)
    user.set_password(password)
    user.save(update_fields=["password"])
    UserSession.objects.filter(user_id=user.pk).delete()
    audit.record("member.password_set", org_id=membership.org_id, obj=membership, request=request)
    return password
