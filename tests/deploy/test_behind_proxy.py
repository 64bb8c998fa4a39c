"""The real app behind the real nginx (X1 item 5): deploy/nginx/salama.conf serves Django's live
server on loopback over HTTPS with a certificate made here, and a client that speaks only HTTPS
to nginx logs in. Checked through the proxy: CSRF, secure cookies, HSTS (which Django sends only
when it believes nginx's X-Forwarded-Proto), the client address nginx saw (never one the client
wrote), HTTP redirected to HTTPS, and a large webhook body refused by nginx before Django."""

import http.client
import re
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_started

from salama.accounts.models import AuditEvent, UserSession
from tests.conftest import PASSWORD
from tests.deploy.test_deploy import tool
from tests.deploy.tls import nginx_site, self_signed

SPOOFED = "203.0.113.9"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Loopback(http.client.HTTPSConnection):
    """HTTPS to nginx on 127.0.0.1 for the name "localhost" (SNI and certificate check), the
    Host header saying localhost:port as a browser's would."""

    def __init__(self, port: int, trust: ssl.SSLContext) -> None:
        super().__init__("localhost", port, context=trust, timeout=30)
        self.trust = trust

    def connect(self) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        self.sock = self.trust.wrap_socket(sock, server_hostname="localhost")


@dataclass
class Site:
    https_port: int
    http_port: int
    trust: ssl.SSLContext

    @property
    def origin(self) -> str:
        return f"https://localhost:{self.https_port}"

    def request(
        self, method: str, path: str, body: bytes | None = None, **headers: str
    ) -> tuple[http.client.HTTPResponse, bytes]:
        conn = Loopback(self.https_port, self.trust)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response, response.read()
        finally:
            conn.close()


def cookies(response: http.client.HTTPResponse) -> dict[str, Any]:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return dict(jar)


@pytest.fixture
def site(tmp_path: Path, live_server: Any, settings: Any) -> Iterator[Site]:
    """nginx in front of the live server, and Django configured as deploy/salama.env.example
    configures it behind that nginx."""
    nginx = tool("nginx")
    https_port, http_port = free_port(), free_port()
    settings.ALLOWED_HOSTS = ["localhost"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.CSRF_TRUSTED_ORIGINS = [f"https://localhost:{https_port}"]
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    settings.SECURE_HSTS_SECONDS = 31536000
    cert, key = self_signed(tmp_path, "localhost")
    upstream = urlsplit(live_server.url).port
    assert upstream is not None
    conf = nginx_site(
        tmp_path, cert=cert, key=key, https_port=https_port, http_port=http_port,
        upstream=upstream, server_name="localhost",
    )  # fmt: skip
    trust = ssl.create_default_context(cafile=str(cert))

    # Some settings are read when Django builds its middleware (HSTS, CSRF's trusted origins),
    # as a production process starts with them: serve this test from a handler built now, and
    # give the live server (shared by the session) its own back afterwards.
    httpd = live_server.thread.httpd
    original = httpd.get_app()
    httpd.set_app(live_server.thread.static_handler(WSGIHandler()))
    stderr = tmp_path / "nginx.stderr"
    with stderr.open("wb") as err:
        proc = subprocess.Popen(  # noqa: S603
            [nginx, "-p", str(tmp_path), "-c", str(conf)], stdout=err, stderr=err
        )
    try:
        deadline = time.monotonic() + 15
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            log = tmp_path / "error.log"
            pytest.fail(
                "nginx did not start:\n"
                + stderr.read_text()
                + (log.read_text() if log.exists() else "")
            )
        yield Site(https_port=https_port, http_port=http_port, trust=trust)
    finally:
        httpd.set_app(original)
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_login_through_nginx_over_https(site: Site, live_world: Any) -> None:
    # (1) The login page over HTTPS: the CSRF cookie is Secure, and Django believed nginx's
    # X-Forwarded-Proto (it sends HSTS only on a request it takes for HTTPS).
    page, html = site.request("GET", "/accounts/login/")
    assert page.status == 200, html[:500]
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    csrf = cookies(page)["csrftoken"]
    assert csrf["secure"] and csrf["httponly"]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token is not None
    form = {"username": "staff", "password": PASSWORD, "next": ""}
    browser = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": site.origin,
        "Referer": f"{site.origin}/accounts/login/",
        "Cookie": f"csrftoken={csrf.value}",
        # A client that names an address of its choosing: nginx must replace it.
        "X-Forwarded-For": SPOOFED,
    }

    # (2) Without the token the login is refused; with it the persona is logged in, and the
    # session cookie is Secure and HttpOnly.
    refused, _ = site.request("POST", "/accounts/login/", urlencode(form).encode(), **browser)
    assert refused.status == 403
    assert not UserSession.objects.filter(user=live_world.users["staff"]).exists()

    body = urlencode({**form, "csrfmiddlewaretoken": token.group(1).decode()}).encode()
    done, html = site.request("POST", "/accounts/login/", body, **browser)
    assert done.status == 302, html[:500]
    assert "/accounts/" not in done.headers["Location"]
    session = cookies(done)["sessionid"]
    assert session["secure"] and session["httponly"]
    home, _ = site.request("GET", "/", Cookie=f"sessionid={session.value}")
    assert home.status in (200, 302)
    assert "/accounts/login" not in (home.headers["Location"] or "")

    # (3) Recorded under the address nginx saw, never the one the client wrote.
    row = UserSession.objects.get(user=live_world.users["staff"])
    audit = AuditEvent.objects.get(action="login", actor_id=live_world.users["staff"].pk)
    assert (row.address, audit.address) == ("127.0.0.1", "127.0.0.1")

    # (4) Plain HTTP on the site's port-80 server redirects to HTTPS.
    plain = http.client.HTTPConnection("127.0.0.1", site.http_port, timeout=30)
    try:
        plain.request("GET", "/accounts/login/?next=/", headers={"Host": "localhost"})
        moved = plain.getresponse()
        moved.read()
    finally:
        plain.close()
    assert moved.status == 301
    assert moved.headers["Location"] == "https://localhost/accounts/login/?next=/"


def test_nginx_refuses_a_large_webhook_body_before_django(
    site: Site, transactional_db: None
) -> None:
    """(5) The gateways' webhooks take 16 KB at most: nginx answers 413 and Django never sees
    the request; a small body to the same path does reach Django."""
    seen: list[str] = []

    def receiver(sender: Any, environ: dict[str, Any] | None = None, **kwargs: Any) -> None:
        seen.append((environ or {}).get("PATH_INFO", ""))

    path = "/messaging/hooks/no-such-gateway/inbound"
    request_started.connect(receiver)
    try:
        small, _ = site.request("POST", path, b"x" * 8 * 1024, **{"Content-Type": "text/plain"})
        assert small.status != 413 and seen == [path]
        large, html = site.request("POST", path, b"x" * 17 * 1024, **{"Content-Type": "text/plain"})
        assert large.status == 413, html[:500]
        assert seen == [path]
    finally:
        request_started.disconnect(receiver)
