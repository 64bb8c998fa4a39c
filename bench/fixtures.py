"""Fixtures for the ingest benchmarks and fault tests: one organisation whose persons each have
a login (role staff) linked to them and an API token, so every request is a person checking in
for themself (basis self: the state, heard-from and the deadline all move).

    python -m bench.fixtures PERSONS DATAFILE [PATH]

writes DATAFILE for bench/lua/post.lua (path, body, "token T" lines, "person CODENAME" lines)
and prints {"org_id": ..., "persons": ...} as JSON.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sys
from pathlib import Path
from typing import Any

import django

BODY = '{"status": "SAFE"}'


def _token(user: Any, org: Any) -> str:
    try:
        from salama.safety.tokens import create_token
    except ImportError:  # before per-user tokens landed: the same row by hand
        from salama.accounts.models import ApiToken

        token = secrets.token_urlsafe(32)
        ApiToken.objects.create(
            user=user, org=org, name="bench", token_hash=hashlib.sha256(token.encode()).hexdigest()
        )
        return token
    return create_token(user=user, org=org, name="bench")


def make_org(persons: int, slug: str = "ingest") -> tuple[Any, list[tuple[str, str]]]:
    """(org, [(codename, token)]): persons with linked staff logins and tokens."""
    from django.db import transaction

    from salama.accounts.models import Membership, Organisation, User
    from salama.lib import keyring
    from salama.people.models import Area, Person, Team

    keyring.ensure_master_key()
    with transaction.atomic():
        org = Organisation.objects.create(name=slug.title(), slug=slug, time_zone="Asia/Damascus")
        keyring.ensure_org_keys(org.pk)
        area = Area.objects.create(org=org, name_en="Centre", name_ar="المركز")
        team = Team.objects.create(org=org, name="Team 1")
        users = User.objects.bulk_create(
            User(username=f"{slug}-{i:06d}", password="!unusable") for i in range(persons)
        )
        members = Membership.objects.bulk_create(
            Membership(org=org, user=u, role="staff") for u in users
        )
        Person.objects.bulk_create(
            Person(org=org, codename=f"S{i:06d}", role="nurse", team=team, area=area, membership=m)
            for i, m in enumerate(members)
        )
        pairs = [(f"S{i:06d}", _token(u, org)) for i, u in enumerate(users)]
    return org, pairs


def write_datafile(path: Path, url_path: str, pairs: list[tuple[str, str]], body: str) -> None:
    lines = [url_path, body]
    lines += [f"token {token}" for _code, token in pairs]
    lines += [f"person {code}" for code, _token in pairs]
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    django.setup()
    persons, datafile = int(sys.argv[1]), Path(sys.argv[2])
    org, pairs = make_org(persons)
    write_datafile(datafile, "/api/checkins", pairs, BODY)
    print(json.dumps({"org_id": org.pk, "persons": persons}))


if __name__ == "__main__":
    main()
