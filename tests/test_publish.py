"""An incremental publish moves files in all or nothing, with renameat2 and without it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from site_builder.render import publish


def tree(out: Path) -> dict[str, bytes | None]:
    """Every path under `out`: a file's bytes, None for a folder."""
    return {
        str(p.relative_to(out)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(out.rglob("*"))
    }


@pytest.fixture(params=["renameat2", "link and replace"])
def out(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if request.param != "renameat2":
        monkeypatch.setattr(publish, "_renameat2", None)
    out = tmp_path / "public"
    (out / "a").mkdir(parents=True)
    (out / "a" / "index.html").write_bytes(b"old a")
    (out / "b.html").write_bytes(b"old b")
    (out / "gone.html").write_bytes(b"old gone")
    return out


WRITES = [
    ("a/index.html", b"new a"),
    ("b.html", b"new b"),
    ("new/deep/index.html", b"new page"),
]


def test_changes_are_published_and_their_stats_returned(out: Path) -> None:
    written = publish.apply_changes(out, WRITES, ["gone.html"])
    assert tree(out) == {
        "a": None,
        "a/index.html": b"new a",
        "b.html": b"new b",
        "new": None,
        "new/deep": None,
        "new/deep/index.html": b"new page",
    }
    assert set(written) == {rel for rel, _ in WRITES}
    for rel, st in written.items():
        on_disk = os.stat(out / rel)
        assert (st.st_ino, st.st_mtime_ns, st.st_size) == (
            on_disk.st_ino,
            on_disk.st_mtime_ns,
            on_disk.st_size,
        )


def test_a_failure_after_files_were_moved_in_leaves_out_exactly_as_it_was(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = tree(out)
    rename = os.rename

    def failing(src: Path, dst: Path) -> None:
        if Path(src).name == "gone.html":
            raise OSError(5, "Input/output error")
        rename(src, dst)

    monkeypatch.setattr(os, "rename", failing)
    with pytest.raises(OSError):
        publish.apply_changes(out, WRITES, ["gone.html"])
    assert tree(out) == before
