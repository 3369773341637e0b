"""The build state folder lives inside the archive, where anyone who can commit can put
files: nothing found there may reach a page unsanitized."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import zlib
from pathlib import Path

from site_builder.render import markdown
from site_builder.render.build import build_site
from site_builder.render.mdcache import renderer_version
from site_builder.render.state import ScanDigests, state_file, stats_digest

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


def test_a_kept_archive_planted_with_the_archive_never_reaches_a_page(tmp_path: Path) -> None:
    """A state copied in with an archive (a tarball, a synced folder) holds a kept archive
    whose rows check out: it is bound to the stats of the files it was read from and to
    the code that read it, which a copy cannot have, so the files are read instead."""
    made = tmp_path / "made" / "content"
    shutil.copytree(DEMO, made, ignore=shutil.ignore_patterns(".jamdat"))
    build_site(made, made.parent / "public", jobs=1)
    (state,) = (made / ".jamdat").glob("build-*.sqlite")
    db = sqlite3.connect(state)
    with db:
        rows = db.execute("SELECT rel FROM texts WHERE rel LIKE 'projects/%'").fetchall()
        forged = EVIL.encode()
        db.executemany(
            "UPDATE texts SET data = ?, checksum = ? WHERE rel = ?",
            [(forged, zlib.crc32(forged), rel) for (rel,) in rows],
        )
    db.close()
    content = tmp_path / "copied" / "content"
    shutil.copytree(made, content)  # new inodes and change times: nothing is as recorded
    out = content.parent / "public"
    shutil.copytree(made.parent / "public", out)
    shutil.copy(state, content / ".jamdat" / state_file(content / ".jamdat", out).name)
    build_site(content, out, jobs=1)
    assert not [p for p in out.rglob("*") if p.is_file() and EVIL.encode() in p.read_bytes()]


def test_a_planted_scan_stamp_is_replaced_never_followed(tmp_path: Path) -> None:
    """`.jamdat/scan.stamp` as a link to a file elsewhere, a pipe or a folder: the build
    puts its own file there and leaves what a link points to untouched."""
    content = tmp_path / "content"
    shutil.copytree(DEMO, content, ignore=shutil.ignore_patterns(".jamdat"))
    stamp = content / ".jamdat" / "scan.stamp"
    stamp.parent.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("untouched\n")
    os.utime(victim, ns=(10**9, 10**9))
    before = victim.stat()
    for plant in ("link", "pipe", "folder"):
        if plant == "link":
            stamp.symlink_to(victim)
        elif plant == "pipe":
            os.mkfifo(stamp)
        else:
            (stamp / "inside").mkdir(parents=True)
        build_site(content, tmp_path / "public", jobs=1)
        assert stamp.is_file() and not stamp.is_symlink(), plant
        stamp.unlink()
    after = victim.stat()
    assert (after.st_mtime_ns, after.st_ctime_ns) == (before.st_mtime_ns, before.st_ctime_ns)
    assert victim.read_text() == "untouched\n"


def test_a_sessions_digest_of_each_scan_is_that_scans_digest() -> None:
    """A session updates the digest of its last scan by the files that changed; each must
    still be the digest of the whole scan, through changes, additions and removals."""
    digests = ScanDigests()
    scans = [{f"projects/e/p{i:02}.md": (i, i * 10, 100 + i) for i in range(40)}]
    scans.append({**scans[-1], "projects/e/p07.md": (8, 71, 107)})  # edited
    scans.append({**scans[-1], "projects/e/p07.md": (9, 72, 107)})  # edited again
    scans.append({**scans[-1], "projects/e/p40.md": (1, 2, 3)})  # added
    scans.append({k: v for k, v in scans[-1].items() if k != "projects/e/p03.md"})  # removed
    scans.append(dict(scans[-1]))  # the same files
    scans.append(scans[0])  # back to the first
    seen = set()
    for scan in scans:
        found = digests.digest(scan)
        assert found == stats_digest(scan)
        seen.add(found)
    assert len(seen) == len(scans) - 2  # the same files, and the first again, digest alike
