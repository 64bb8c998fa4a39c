"""O1: the field page's first load against its 50 KB budget (transferred, compressed).

What a phone fetches the first time it opens /safety/ logged in: the page, its stylesheets and
script, the manifest and icon, the session JSON, then the service worker and what it caches (the
offline shell). Each body is compressed with gzip (level 6), as whitenoise serves the static
files and a reverse proxy the pages; the sum is compared with the budget. Bytes, not timings.

    python -m bench.field_page measure   -> JSON on the last line
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from typing import Any

import django

BUDGET = 50 * 1024
MARK_START = "<!-- bench:field_page:start -->"
MARK_END = "<!-- bench:field_page:end -->"


def _persona() -> Any:
    from salama.accounts.models import Membership, Organisation, User
    from salama.lib import keyring
    from salama.people.models import Person

    keyring.ensure_master_key()
    org, _new = Organisation.objects.get_or_create(
        slug="bench-field", defaults={"name": "Bench field", "time_zone": "UTC"}
    )
    keyring.ensure_org_keys(org.pk)
    user, _new = User.objects.get_or_create(username="bench-field-staff")
    membership, _new = Membership.objects.get_or_create(
        user=user, org=org, defaults={"role": "staff"}
    )
    if not Person.objects.filter(membership=membership).exists():
        Person.objects.create(org=org, codename="K1", role="nurse", membership=membership)
    return user


def measure() -> dict[str, Any]:
    from django.conf import settings
    from django.test import Client

    host = next((h for h in settings.ALLOWED_HOSTS if h and "*" not in h), "localhost")
    client = Client(HTTP_HOST=host.lstrip("."))
    client.force_login(_persona())
    page = client.get("/safety/")
    assert page.status_code == 200, page.status_code
    html = page.content
    urls = [
        (css or js or other).decode()
        for css, js, other in re.findall(
            rb'<link rel="stylesheet" href="([^"]+)"|<script[^>]* src="([^"]+)"|'
            rb'<link rel="(?:icon|manifest)" href="([^"]+)"',
            html,
        )
    ]
    urls += ["/safety/session/", "/safety/sw.js", "/safety/offline/"]
    manifest = json.loads(client.get("/safety/manifest.webmanifest").content)
    urls += [icon["src"] for icon in manifest["icons"]]
    files = {"/safety/": html}
    for url in dict.fromkeys(urls):
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        files[url] = body
    raw = {url: len(body) for url, body in files.items()}
    packed = {url: len(gzip.compress(body, 6)) for url, body in files.items()}
    total = sum(packed.values())
    return {
        "raw_bytes": sum(raw.values()),
        "gzip_bytes": total,
        "budget_bytes": BUDGET,
        "within_budget": total <= BUDGET,
        "files": {url: {"raw": raw[url], "gzip": packed[url]} for url in files},
    }


def run(cluster: Any, cfg: dict[str, Any], quick: bool) -> dict[str, Any]:
    """The phase of `make bench` (bench/run.py): its own small database."""
    from bench import common
    from bench.common import VAR

    db = "salama_field_page"
    if not cluster.has_db(db):
        cluster.psql(f'CREATE DATABASE "{db}"')
    env = common.salama_env(cluster.url(db), VAR / db)
    common.migrate(env)
    return dict(common.py_json("bench.field_page", env, "measure"))


def render(results: dict[str, Any]) -> str:
    fp = results["field_page"]
    verdict = "within" if fp["within_budget"] else "OVER"
    lines = [
        f"Field page first load (O1): {fp['gzip_bytes']:,} B gzip ({fp['raw_bytes']:,} B raw),"
        f" budget {fp['budget_bytes']:,} B: {verdict} ({results['date']}).",
        "",
        "| file | raw B | gzip B |",
        "|---|---|---|",
    ]
    for url, size in fp["files"].items():
        lines.append(f"| `{url}` | {size['raw']:,} | {size['gzip']:,} |")
    return "\n".join(lines)


def main() -> None:
    django.setup()
    print(json.dumps(measure()))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "measure":
        main()
