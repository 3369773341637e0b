"""The build state folder lives inside the archive, where anyone who can commit can put
files: nothing found there may reach a page unsanitized."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

from site_builder.render import markdown
from site_builder.render.build import build_site
from site_builder.render.mdcache import renderer_version

DEMO = Path(__file__).resolve().parents[1] / "content"
EVIL = "<script>alert(document.cookie)</script>"


def test_a_planted_markdown_cache_never_reaches_a_page(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(DEMO, content, ignore=shutil.ignore_patterns(".jamdat"))
    pitch = next((content / "projects").glob("*/*.md"))
    pitch.write_text("An innocent pitch.\n", encoding="utf-8")
    # What an attacker can compute: the renderer's version is public, the user's secret not.
    version = renderer_version(markdown).encode()
    keys = [
        hashlib.blake2b(version + b"An innocent pitch.", digest_size=16).digest(),
        hashlib.blake2b(version + b"An innocent pitch.", digest_size=16, key=b"guess").digest(),
    ]
    state = content / ".jamdat"
    state.mkdir()
    db = sqlite3.connect(state / "markdown.sqlite")
    db.execute("CREATE TABLE html (key BLOB PRIMARY KEY, html TEXT NOT NULL) WITHOUT ROWID")
    db.executemany("INSERT INTO html VALUES (?, ?)", [(k, EVIL) for k in keys])
    db.commit()
    db.close()
    out = tmp_path / "public"
    build_site(content, out, clean=True, jobs=1)
    page = out / pitch.parent.name / pitch.stem / "index.html"
    assert "An innocent pitch." in page.read_text(encoding="utf-8")
    assert not [p for p in out.rglob("*") if p.is_file() and EVIL.encode() in p.read_bytes()]
