from typing import Any
from zoneinfo import available_timezones

from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from salama.lib import clock
from salama.lib.fields import EncryptedTextField


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(_("Unknown time zone: %(zone)s"), params={"zone": value})


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("short name"), max_length=40, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Damascus", validators=[validate_time_zone]
    )
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    # Channel and gateway credentials (a JSON document), encrypted under the org's own key.
    credentials = EncryptedTextField(_("credentials"))
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("organisation")

    def __str__(self) -> str:
        return self.slug

    def setting(self, key: str, default: Any = None) -> Any:
        return self.settings.get(key, default)


class User(AbstractUser):
    language = models.CharField(
        _("language"), max_length=8, choices=[("ar", "العربية"), ("en", "English")], default="en"
    )

    class Meta:
        verbose_name = _("user")


class Role(models.TextChoices):
    ORG_ADMIN = "org_admin", _("Organisation admin")
    COORDINATOR = "coordinator", _("Coordinator")
    LIAISON = "liaison", _("Liaison")
    FIELD_LEAD = "field_lead", _("Field lead")
    STAFF = "staff", _("Field staff")
    OBSERVER = "observer", _("Observer")


class OrgQuerySet(models.QuerySet):
    def for_org(self, org: "Organisation | int") -> "OrgQuerySet":
        """The one way into an organisation's data. Views, API and jobs start every query of
        organisation data here; an object of another organisation is then simply not found."""
        org_id = org if isinstance(org, int) else org.pk
        if org_id is None:
            return self.none()
        return self.filter(org_id=org_id)


OrgManager = models.Manager.from_queryset(OrgQuerySet)


class OrgScoped(models.Model):
    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")

    objects = OrgManager()

    class Meta:
        abstract = True


class Membership(OrgScoped):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "org"], name="one_membership_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.org_id}:{self.role}"


class AuditEvent(models.Model):
    """Append-only (a trigger rejects UPDATE and DELETE on PostgreSQL). Ids and actions only:
    never names, numbers or note text."""

    org_id = models.BigIntegerField(null=True, db_index=True)
    actor_id = models.BigIntegerField(null=True)
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    address = models.GenericIPAddressField(null=True)
    at = models.DateTimeField(default=clock.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class UserSession(AbstractBaseSession):
    """Django's session row plus who, where from, and which organisation, so a user can see and
    end their sessions and a seized phone's sessions can be ended at once."""

    user = models.ForeignKey(User, null=True, on_delete=models.CASCADE, related_name="sessions")
    org_id = models.BigIntegerField(null=True)
    address = models.GenericIPAddressField(null=True)
    user_agent = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    last_seen_at = models.DateTimeField(default=clock.now)

    @classmethod
    def get_session_store_class(cls) -> Any:
        from salama.accounts.sessions import SessionStore

        return SessionStore


class RateCounter(models.Model):
    """A fixed-window counter in the database, shared by every process (login attempts,
    unknown senders)."""

    key = models.CharField(max_length=200, unique=True)
    window_start = models.DateTimeField()
    count = models.IntegerField(default=0)

    def __str__(self) -> str:
        return self.key


class ApiToken(OrgScoped):
    """A per-user API token: 32 random bytes shown once; only its SHA-256 is stored (a token is
    random, so a slow password hash adds nothing but latency). Bound to one user and one
    organisation; revocable."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=60)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=clock.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token#{self.pk}"


class FallbackFactor(models.Model):
    """A user's TOTP fallback and its recovery codes. Both devices stay unconfirmed, and so
    unusable, until the user has proven the code once (`proven_at`) and an org admin of one of
    the user's organisations has approved it (`approved_at`)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="fallback_factor")
    totp = models.OneToOneField("otp_totp.TOTPDevice", on_delete=models.CASCADE, related_name="+")
    recovery = models.OneToOneField(
        "otp_static.StaticDevice", on_delete=models.CASCADE, related_name="+"
    )
    requested_at = models.DateTimeField(default=clock.now)
    proven_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"fallback#{self.pk}"

    @property
    def is_pending(self) -> bool:
        return self.approved_at is None


class FallbackApproval(OrgScoped):
    """One organisation's approval of a user's authenticator app. The app counts as a second
    factor for a privileged role (SECOND_FACTOR_ROLES) only in the organisations that approved
    it: an admin of one organisation cannot vouch for the user in another."""

    fallback = models.ForeignKey(FallbackFactor, on_delete=models.CASCADE, related_name="approvals")
    approved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["fallback", "org"], name="one_approval_per_org")
        ]

    def __str__(self) -> str:
        return f"approval#{self.pk}"


class LoginBackoff(models.Model):
    """Failed logins for one key (an account name as typed, or an address): each failure past
    the free ones doubles the wait (`locked_until`); the count is forgotten after a quiet
    period, and a success resets it."""

    key = models.CharField(max_length=200, unique=True)
    failures = models.IntegerField(default=0)
    last_failure_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.key
