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
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from salama.accounts.models import Organisation
from salama.lib import keyring

ICONS = ("notes", "leaf", "sun")
SMS_AFTER_MINUTES = 15
LOCK_MINUTES = 3


def app_name(org: Organisation | None) -> str:
    name = org.setting("field_app_name") if org is not None else None
    return str(name) if name else _("Notes")


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
