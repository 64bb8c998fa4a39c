"""Helpers for the deployment tests: a self-signed certificate made in the test, and
deploy/nginx/salama.conf rewritten to run unprivileged under a temporary prefix."""

import getpass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[2]


def self_signed(directory: Path, host: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def nginx_site(
    prefix: Path, *, cert: Path, key: Path, https_port: int, http_port: int, upstream: int,
    server_name: str = "salama.example.org", static: Path | None = None,
) -> Path:  # fmt: skip
    """Write nginx.conf (a minimal main file) and the site under `prefix`, changed only where a
    test must: ports, certificate, log, static and snippet paths. Returns the main file."""
    site = (ROOT / "deploy" / "nginx" / "salama.conf").read_text()
    replacements = {
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream};",
        "server_name salama.example.org;": f"server_name {server_name};",
        "/etc/ssl/salama/fullchain.pem": str(cert),
        "/etc/ssl/salama/privkey.pem": str(key),
        "/var/log/nginx/salama.access.log": str(prefix / "access.log"),
        "/var/lib/salama/static/": f"{static or prefix / 'static'}/",
        "/etc/nginx/snippets/salama-proxy.conf": str(prefix / "salama-proxy.conf"),
    }
    for old, new in replacements.items():
        assert old in site, f"deploy/nginx/salama.conf no longer holds {old!r}"
        site = site.replace(old, new)
    (prefix / "salama.conf").write_text(site)
    (prefix / "salama-proxy.conf").write_text(
        (ROOT / "deploy" / "nginx" / "salama-proxy.conf").read_text()
    )
    main = prefix / "nginx.conf"
    # Workers run as the test's user, who owns the prefix: a body nginx buffers to a temporary
    # file (over 16 KB) must not fail for want of access (nginx ignores `user` when not root).
    main.write_text(
        f"""daemon off;
user {getpass.getuser()};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/salama.conf;
}}
"""
    )
    return main
