"""`jamdat serve` serves nothing outside the output folder, however the path is encoded,
and warns when it listens beyond this machine."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from conftest import ArchiveFactory

from site_builder.serve.preview import Preview

SECRET = "GITHUB_TOKEN=ghp_secret0123456789"


def raw_get(url: str, target: str) -> tuple[int, bytes]:
    """Status and whole reply of `GET target` sent byte for byte (no client normalises it)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), 10) as s:
        request = f"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        s.sendall(request.encode("latin-1"))
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    reply = b"".join(chunks)
    return int(reply.split(b" ", 2)[1]), reply


@pytest.fixture
def served(tmp_path: Path, tmp_archive: ArchiveFactory) -> Iterator[tuple[Preview, Path]]:
    """The sample archive served, with a secret beside it and links in `public/` to it."""
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    live = Preview(tmp_archive(), tmp_path / "public", port=0, jobs=1, echo=lambda m, e: None)
    live.start()
    public = live.live.out
    (public / "leak.txt").symlink_to(secret)
    (public / "env.txt").symlink_to("/proc/self/environ")
    (public / "etc").symlink_to("/etc")
    (public / "outside").symlink_to(tmp_path)
    rules = tmp_path / "rules.txt"
    rules.write_text(f"/leak /{SECRET} 301!\n", encoding="utf-8")
    (public / "_redirects").unlink(missing_ok=True)
    (public / "_redirects").symlink_to(rules)
    try:
        yield live, secret
    finally:
        live.stop()


def _escapes(secret: Path) -> list[str]:
    absolute = quote(str(secret))  # /tmp/.../secret.txt
    up = "/".join([".."] * 12)
    back_up, back_secret = up.replace("/", "\\"), absolute.replace("/", "\\")
    return [
        f"/%2F{absolute[1:]}",
        f"/%2F%2F{absolute[1:]}",
        f"/{absolute}",
        f"//{absolute[1:]}",
        "/%2Fetc/passwd",
        "/%2F%2Fetc/passwd",
        "//etc/passwd",
        f"/{up}{absolute}",
        f"/{up.replace('/', '%2F')}{absolute.replace('/', '%2F')}",
        f"/{up.replace('..', '%2e%2e')}{absolute}",
        f"/{up.replace('..', '%2E%2E').replace('/', '%2f')}/etc/passwd",
        f"/{back_up}{back_secret}",
        f"/{up.replace('/', '%5C')}{absolute.replace('/', '%5C')}",
        f"/%5C{absolute[1:]}",
        "/index.html%00",
        f"/%00{absolute}",
        f"/{up}%00/etc/passwd",
        "/leak.txt",
        "/env.txt",
        "/etc/passwd",
        "/etc/",
        "/etc",
        "/outside/secret.txt",
        "/outside/",
        "/leak",
        f"http://localhost/%2F{absolute[1:]}",
        "/" + "a" * 5_000,
        "/" + "a" * 60_000,
        "/" + "a/" * 30_000,
        "/" + "%2F" * 20_000,
    ]


def test_no_path_leaves_the_output_folder(
    served: tuple[Preview, Path], capfd: pytest.CaptureFixture[str]
) -> None:
    live, secret = served
    for target in _escapes(secret):
        status, reply = raw_get(live.url, target)
        assert status in (404, 414), (target[:80], status)
        assert status == 404 or len(target) > 8000, target[:80]
        assert b"ghp_secret" not in reply and b"root:" not in reply and b"PATH=" not in reply
    assert raw_get(live.url, "/spring-hack/")[0] == 200
    assert raw_get(live.url, "/spring-hack")[0] == 301
    assert "Traceback" not in capfd.readouterr().err


def test_a_host_beyond_this_machine_is_warned_about_once(
    tmp_path: Path, tmp_archive: ArchiveFactory
) -> None:
    jamdat = Path(sys.executable).with_name("jamdat")
    command = [str(jamdat), "serve", "--content", str(tmp_archive()), "--out", str(tmp_path / "p")]
    proc = subprocess.Popen(
        [*command, "--host", "0.0.0.0", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        while not (lines and lines[-1].startswith("Serving")):
            lines.append(proc.stdout.readline())
            assert lines[-1], "".join(lines)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    warnings = [line for line in lines if "warning" in line.lower()]
    assert len(warnings) == 1 and "0.0.0.0" in warnings[0], lines
    assert "development server" in warnings[0]
