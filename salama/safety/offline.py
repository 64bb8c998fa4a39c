"""The field page offline (O1): its settings, the per-user queue key, the service worker's list.

The page keeps unsent check-ins in the browser (IndexedDB), encrypted with AES-GCM under a key
the server derives for the user in the organisation and hands only to a logged-in session
(``queue_key``); each item is tagged with an opaque owner tag (``owner_tag``), so one user's
queue is never shown to another on a shared phone. docs/field-offline.md explains the limits.

Organisation settings (``Organisation.settings``), all optional:

- ``field_app_name``: the installed app's name (default: a neutral word, translated);
- ``field_app_icon``: one of ICONS (default ``notes``);
- ``field_sms_number``: the number the pre-filled text goes to (empty: the person picks it);
- ``field_sms_after_minutes``: offer the text when the oldest unsent item is older (15);
- ``field_lock_minutes``: the page locks after this long in the background (3).

An org admin edits them on /safety/field-settings/ or with ``PUT /api/field/settings``, both
through ``save_settings`` (checked, audited as ``field.settings``). The field page, its shell
and its manifest never name the organisation (``neutral``): their title is ``app_name``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Organisation
from salama.lib import keyring
from salama.people.contacts import normalise_number, region_of

ICONS = ("notes", "leaf", "sun")
PNG_SIZES = (192, 512)
SMS_AFTER_MINUTES = 15
LOCK_MINUTES = 3
NAME_MAX = 30
SHORT_CODE = re.compile(r"^[0-9]{3,8}$")


def names_org(text: str, org: Organisation) -> bool:
    """Whether `text` holds the organisation's name or slug (any case)."""
    folded = text.casefold()
    return any(word and word.casefold() in folded for word in (org.name, org.slug))


def app_name(org: Organisation | None) -> str:
    """The field page's title and the installed app's name: the organisation's chosen label,
    or a neutral word; never one that names the organisation (a label set before that was
    checked falls back to the neutral word)."""
    name = str(org.setting("field_app_name") or "").strip() if org is not None else ""
    if not name or (org is not None and names_org(name, org)):
        return _("Notes")
    return name


def neutral(org: Organisation | None) -> dict[str, Any]:
    """Template context for the field pages: nothing of the organisation in the top bar (its
    name, the other organisations to switch to), the neutral title and icon instead."""
    return {
        "org": None,
        "other_memberships": None,
        "field_title": app_name(org),
        "field_icon": app_icon(org),
    }


def app_icon(org: Organisation | None) -> str:
    icon = org.setting("field_app_icon") if org is not None else None
    return icon if icon in ICONS else ICONS[0]


def _int_setting(org: Organisation, key: str, default: int) -> int:
    try:
        value = int(org.setting(key, default))
    except (TypeError, ValueError):
        return default
    return value if value >= 0 else default


def owner_tag(org_id: int, user_id: int) -> str:
    """An opaque tag for the user's items: the same on every login, meaningless elsewhere."""
    return keyring.lookup_hash(org_id, f"field-owner:{user_id}")[:24]


def queue_key(org_id: int, user_id: int) -> str:
    """The user's queue key (256 bits, hex), derived under the organisation's lookup key:
    given only to the user's logged-in session, never stored on the server or in the page's
    storage at rest. Destroying the organisation's keys makes every queue unreadable."""
    return keyring.lookup_hash(org_id, f"field-queue:{user_id}")


def session_info(org: Organisation, user_id: int, codename: str | None) -> dict[str, Any]:
    return {
        "owner": owner_tag(org.pk, user_id),
        "key": queue_key(org.pk, user_id),
        "codename": codename or "",
        "sms_number": str(org.setting("field_sms_number") or ""),
        "sms_after": _int_setting(org, "field_sms_after_minutes", SMS_AFTER_MINUTES),
        "lock_after": _int_setting(org, "field_lock_minutes", LOCK_MINUTES),
    }


def settings_of(org: Organisation) -> dict[str, Any]:
    """The settings as the form and the API show them (defaults filled in)."""
    return {
        "app_name": str(org.setting("field_app_name") or ""),
        "app_icon": app_icon(org),
        "sms_number": str(org.setting("field_sms_number") or ""),
        "sms_after_minutes": _int_setting(org, "field_sms_after_minutes", SMS_AFTER_MINUTES),
        "lock_minutes": _int_setting(org, "field_lock_minutes", LOCK_MINUTES),
    }


def _sms_number(raw: str, org: Organisation) -> str:
    text = "".join(
        str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in (raw or "")
    ).strip()
    if not text:
        return ""
    compact = re.sub(r"[\s-]", "", text)
    if SHORT_CODE.match(compact):
        return compact  # a gateway's short code
    return normalise_number(text, region_of(org))


def save_settings(
    *,
    org: Organisation,
    app_name: str,
    app_icon: str,
    sms_number: str,
    sms_after_minutes: int,
    lock_minutes: int,
    request: HttpRequest | None = None,
) -> Organisation:
    """Check and save the field page's settings; every problem is reported at once (translated),
    nothing is saved unless all are right. An empty name means the neutral default."""
    errors: dict[str, list[str]] = {}
    name = " ".join(str(app_name or "").split())
    if len(name) > NAME_MAX:
        errors.setdefault("app_name", []).append(
            _("The name is at most %(max)d characters.") % {"max": NAME_MAX}
        )
    if name and names_org(name, org):
        errors.setdefault("app_name", []).append(
            _("The name must not name the organisation: a searched phone would show it.")
        )
    if app_icon not in ICONS:
        errors.setdefault("app_icon", []).append(_("Choose one of the icons offered."))
    number = ""
    try:
        number = _sms_number(str(sms_number or ""), org)
    except ValidationError as exc:
        errors.setdefault("sms_number", []).extend(exc.messages)
    if not 1 <= int(sms_after_minutes) <= 24 * 60:
        errors.setdefault("sms_after_minutes", []).append(
            _("Offer the text after 1 to 1440 minutes.")
        )
    if not 1 <= int(lock_minutes) <= 60:
        errors.setdefault("lock_minutes", []).append(_("Lock after 1 to 60 minutes."))
    if errors:
        raise ValidationError(errors)
    values = {
        "field_app_name": name,
        "field_app_icon": app_icon,
        "field_sms_number": number,
        "field_sms_after_minutes": int(sms_after_minutes),
        "field_lock_minutes": int(lock_minutes),
    }
    with transaction.atomic():
        locked = Organisation.objects.select_for_update().get(pk=org.pk)
        before = {key: locked.settings.get(key) for key in values}
        locked.settings = {**locked.settings, **values}
        locked.save(update_fields=["settings"])
        org.settings = locked.settings
        # Codes and numbers only: which settings changed, the icon, the minutes; not the name.
        audit.record(
            "field.settings",
            org_id=org.pk,
            request=request,
            detail={
                "changed": sorted(k for k, v in values.items() if before[k] != v),
                "icon": app_icon,
                "sms_after_minutes": int(sms_after_minutes),
                "lock_minutes": int(lock_minutes),
                "sms_number_set": bool(number),
            },
        )
    return locked
