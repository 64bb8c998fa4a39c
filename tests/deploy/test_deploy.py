"""deploy/ is tested, not described (X1 item 5): nginx accepts the site, systemd accepts the
units. Both tools are Debian packages that .ci/run and `make system-deps` install; without them
these tests are skipped locally and, under SALAMA_REQUIRE_DEPLOY=1 (.ci/run), fail."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.tls import nginx_site, self_signed

ROOT = Path(__file__).resolve().parents[2]
REQUIRE = os.environ.get("SALAMA_REQUIRE_DEPLOY") == "1"


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if not found:
        if REQUIRE:
            pytest.fail(f"{name} is missing (make system-deps)")
        pytest.skip(f"needs {name} (make system-deps)")
    return found


def test_nginx_accepts_the_site(tmp_path: Path) -> None:
    nginx = tool("nginx")
    cert, key = self_signed(tmp_path, "salama.example.org")
    conf = nginx_site(tmp_path, cert=cert, key=key, https_port=8443, http_port=8080, upstream=8000)
    result = subprocess.run(  # noqa: S603
        [nginx, "-t", "-p", str(tmp_path), "-c", str(conf)],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_nginx_refuses_a_broken_site(tmp_path: Path) -> None:
    """The check above would catch a mistake: the same site with a typo fails `nginx -t`."""
    nginx = tool("nginx")
    cert, key = self_signed(tmp_path, "salama.example.org")
    conf = nginx_site(tmp_path, cert=cert, key=key, https_port=8443, http_port=8080, upstream=8000)
    site = tmp_path / "salama.conf"
    site.write_text(site.read_text().replace("proxy_pass", "proxy_passs", 1))
    result = subprocess.run(  # noqa: S603
        [nginx, "-t", "-p", str(tmp_path), "-c", str(conf)],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode != 0


def units(tmp_path: Path) -> list[Path]:
    """The units as installed, with /opt/salama pointing at this checkout (whose .venv holds the
    `salama` command) and an empty environment file."""
    env = tmp_path / "salama.env"
    env.write_text("")
    out = []
    for unit in sorted((ROOT / "deploy" / "systemd").glob("*.service")):
        text = unit.read_text().replace("/opt/salama", str(ROOT))
        text = text.replace("/etc/salama/salama.env", str(env))
        (tmp_path / unit.name).write_text(text)
        out.append(tmp_path / unit.name)
    return out


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    analyze = tool("systemd-analyze")
    installed = units(tmp_path)
    assert {unit.name for unit in installed} == {"salama-web.service", "salama-worker.service"}
    result = subprocess.run(  # noqa: S603
        [analyze, "verify", *map(str, installed)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    # systemd only warns about an option it cannot parse: any output is a failure here.
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    for unit in installed:
        text = unit.read_text()
        assert "Restart=always" in text and "NoNewPrivileges=yes" in text
        assert "ProtectSystem=strict" in text and "ReadWritePaths=/var/lib/salama" in text


def test_systemd_check_catches_a_bad_option(tmp_path: Path) -> None:
    analyze = tool("systemd-analyze")
    web = units(tmp_path)[0]
    web.write_text(web.read_text().replace("ProtectSystem=strict", "ProtectSystem=bogus"))
    result = subprocess.run(  # noqa: S603
        [analyze, "verify", str(web)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode != 0 or result.stderr.strip()
