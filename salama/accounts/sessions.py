"""Session engine: Django's database sessions in our own table (UserSession), which records the
user, organisation, address and user agent of each session."""

from datetime import UTC, datetime
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DbStore

from salama.lib import clock

META_KEYS = ("_salama_org", "_salama_addr", "_salama_ua")


class SessionStore(DbStore):
    @classmethod
    def get_model_class(cls) -> Any:
        from salama.accounts.models import UserSession

        return UserSession

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        obj: Any = super().create_model_instance(data)
        user_id = data.get("_auth_user_id")
        obj.user_id = int(user_id) if user_id else None
        obj.org_id = data.get("_salama_org")
        obj.address = data.get("_salama_addr")
        obj.user_agent = (data.get("_salama_ua") or "")[:200]
        obj.last_seen_at = clock.now()
        # Every save rewrites the whole row: keep the start of the session, not of this save.
        started = data.get("_salama_started")
        obj.created_at = (
            datetime.fromtimestamp(started, tz=UTC) if started is not None else clock.now()
        )
        return obj
