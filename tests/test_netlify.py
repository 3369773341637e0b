"""netlify.toml: the build commands do what the README says (sync only with a token, never
fail a deploy on a sync error), and the cache rules match where the build puts
fingerprinted assets."""

from __future__ import annotations

import os
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from site_builder.render.assets import IMMUTABLE_DIR, fingerprinted

ROOT = Path(__file__).resolve().parents[1]
CONFIG: dict[str, Any] = tomllib.loads((ROOT / "netlify.toml").read_text("utf-8"))
TOKENS = ("GITHUB_TOKEN", "GITLAB_TOKEN", "HF_TOKEN", "GITEA_TOKEN")


def run(command: str, tmp_path: Path, sync_fails: bool = False, **env: str) -> list[str]:
    """Run a build command with `pip` and `jamdat` stubs that log their arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / "calls.log"
    for name in ("pip", "jamdat"):
        fail = 'if [ "$1" = sync ]; then exit 1; fi' if sync_fails and name == "jamdat" else ""
        stub = bin_dir / name
        stub.write_text(f'#!/bin/sh\necho "{name} $*" >> "{log}"\n{fail}\n', encoding="utf-8")
        stub.chmod(0o755)
    clean = {k: v for k, v in os.environ.items() if k not in TOKENS}
    path = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    result = subprocess.run(
        ["bash", "-c", command], env={**clean, "PATH": path, **env}, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return log.read_text("utf-8").splitlines()


def test_production_build_syncs_only_with_a_token(tmp_path: Path) -> None:
    command = CONFIG["build"]["command"]
    url = "https://archive.example.org"
    assert run(command, tmp_path, URL=url) == [
        "pip install -e .",
        f"jamdat build --base-url {url}",
    ]
    (tmp_path / "calls.log").unlink()
    assert run(command, tmp_path, URL=url, GITHUB_TOKEN="t") == [
        "pip install -e .",
        "jamdat sync",
        f"jamdat build --base-url {url}",
    ]


def test_a_failed_sync_still_deploys(tmp_path: Path) -> None:
    calls = run(CONFIG["build"]["command"], tmp_path, sync_fails=True, URL="u", HF_TOKEN="t")
    assert calls[-1] == "jamdat build --base-url u"


@pytest.mark.parametrize("context", ["deploy-preview", "branch-deploy"])
def test_previews_build_their_own_address_without_sync(tmp_path: Path, context: str) -> None:
    command = CONFIG["context"][context]["command"]
    calls = run(command, tmp_path, DEPLOY_PRIME_URL="https://p--x.netlify.app", GITHUB_TOKEN="t")
    assert calls == ["pip install -e .", "jamdat build --base-url https://p--x.netlify.app"]


def test_headers() -> None:
    assert CONFIG["build"]["publish"] == "public"
    rules = {rule["for"]: rule["values"] for rule in CONFIG["headers"]}
    everywhere = rules["/*"]
    for name in ("X-Content-Type-Options", "Referrer-Policy", "Permissions-Policy"):
        assert everywhere[name]
    csp = dict(d.strip().split(" ", 1) for d in everywhere["Content-Security-Policy"].split(";"))
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert "unsafe-inline" not in everywhere["Content-Security-Policy"]
    assert csp["object-src"] == "'none'"
    # Only fingerprinted files are cached for good, and no header is set by two rules
    # (Netlify would join their values).
    assert "immutable" in rules[f"/{IMMUTABLE_DIR}*"]["Cache-Control"]
    assert "Cache-Control" not in everywhere
    assert fingerprinted("style.css", b"body{}").startswith("style.")
