"""A symbolic link in the archive or a site's templates is refused, never followed: every
command that reads content names the link and exits non-zero, and its target reaches
neither `public/` nor an export."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import ArchiveFactory, Cli

from site_builder.errors import ContentError
from site_builder.render.build import BuildSession, build_site

DEMO = Path(__file__).resolve().parents[1] / "content"

SECRET = "GITHUB_TOKEN=ghp_secret0123456789"
ENVIRON = Path("/proc/self/environ")
PLACES = {
    "media": "media/env.png",
    "pitch": "projects/spring-hack/river-levels.md",
    "event text": "events/spring-hack.md",
    "synced README": "synced/spring-hack/river-levels.md",
    "extras": "extras/spring-hack.json",
}
EXPORTS = ("datapackage", "zip", "sqlite", "csv")


def _secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET + "\n", encoding="utf-8")
    return path


def _link(content: Path, rel: str, target: Path) -> None:
    link = content / rel
    link.parent.mkdir(parents=True, exist_ok=True)
    link.unlink(missing_ok=True)
    link.symlink_to(target)


def _leaked(root: Path) -> list[str]:
    """Files under `root` holding the secret or a process environment."""
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            if SECRET.encode() in data or b"PATH=" in data or b"ghp_secret" in data:
                found.append(str(path))
    return found


def _refused(output: str, rel: str) -> bool:
    return f"{rel}: is a symbolic link;" in output and "Traceback" not in output


@pytest.mark.parametrize("to_environ", [False, True], ids=["secret-file", "proc-environ"])
@pytest.mark.parametrize("place", list(PLACES))
def test_every_command_refuses_a_linked_file(
    place: str, to_environ: bool, tmp_path: Path, tmp_archive: ArchiveFactory, cli: Cli
) -> None:
    content = tmp_archive()
    rel = PLACES[place]
    _link(content, rel, ENVIRON if to_environ else _secret(tmp_path))
    out = tmp_path / "out"
    runs = {
        "validate": cli("validate", "--content", content),
        "validate --fast": cli("validate", "--fast", "--content", content),
        "build": cli("build", "--content", content, "--out", out / "public"),
        "media pull": cli("media", "pull", "--content", content, "--dry-run"),
    }
    for fmt in EXPORTS:
        target = out / f"export-{fmt}" / {"zip": "x.zip", "sqlite": "x.db"}.get(fmt, "")
        runs[f"export {fmt}"] = cli(
            "export", "--content", content, "--format", fmt, "--out", target
        )
    for name, result in runs.items():
        assert result.exit_code != 0, f"{name} accepted {rel}:\n{result.output}"
        assert _refused(result.output, rel), f"{name}:\n{result.output}"
    assert _leaked(out) == []


@pytest.mark.parametrize("rel", ["media/etc", "projects/spring-hack", "media/deep/down"])
def test_a_linked_folder_is_refused(
    rel: str, tmp_path: Path, tmp_archive: ArchiveFactory, cli: Cli
) -> None:
    content = tmp_archive()
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "river-levels.md").write_text(SECRET, encoding="utf-8")
    (folder / "passwd.png").write_text(SECRET, encoding="utf-8")
    if rel == "projects/spring-hack":
        for path in (content / rel).iterdir():
            path.unlink()
        (content / rel).rmdir()
    _link(content, rel, folder)
    out = tmp_path / "public"
    zipped = tmp_path / "a.zip"
    for args in (
        ("validate",),
        ("build", "--out", out),
        ("export", "--format", "zip", "--out", zipped),
    ):
        result = cli(*args, "--content", content)
        assert result.exit_code != 0 and _refused(result.output, rel), result.output
    assert not out.exists() and not zipped.exists()


def test_the_build_state_folder_is_not_content(
    tmp_path: Path, tmp_archive: ArchiveFactory, cli: Cli
) -> None:
    content = tmp_archive()
    (content / ".jamdat").mkdir(exist_ok=True)
    (content / ".jamdat" / "elsewhere").symlink_to("/etc")
    result = cli("validate", "--fast", "--content", content)
    assert result.exit_code == 0, result.output
    assert cli("build", "--content", content, "--out", tmp_path / "public").exit_code == 0


def test_incremental_builds_refuse_a_link_added_later(
    tmp_path: Path, tmp_archive: ArchiveFactory, cli: Cli
) -> None:
    """A link appearing after a good build fails the next build (a fresh process, and a
    warm session as `jamdat serve` and the API keep) and leaves `public/` as it was."""
    content = tmp_archive()
    out = tmp_path / "public"
    secret = _secret(tmp_path)
    assert cli("build", "--content", content, "--out", out).exit_code == 0
    session = BuildSession(content, out, jobs=1, long_lived=True)
    session.build(warm=True)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    pitch = "projects/spring-hack/river-levels.md"
    _link(content, pitch, secret)
    with pytest.raises(ContentError) as refused:
        session.build()
    assert _refused(str(refused.value), pitch)
    result = cli("build", "--content", content, "--out", out)
    assert result.exit_code != 0 and _refused(result.output, pitch), result.output

    (content / pitch).unlink()
    (content / pitch).write_text("We map rivers.\n", encoding="utf-8")
    os.makedirs(content / "media", exist_ok=True)
    _link(content, "media/etc", Path("/etc"))
    with pytest.raises(ContentError) as refused:
        session.build()
    assert _refused(str(refused.value), "media/etc")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert _leaked(out) == []


@pytest.mark.parametrize("rel", ["assets/leak.txt", "assets/more", "page.html"])
def test_a_site_templates_folder_cannot_publish_a_link(
    rel: str, tmp_path: Path, tmp_archive: ArchiveFactory, cli: Cli
) -> None:
    content = tmp_archive()
    secret = _secret(tmp_path)
    templates = tmp_path / "templates"
    (templates / "assets").mkdir(parents=True)
    _link(templates, rel, secret.parent if rel == "assets/more" else secret)
    out = tmp_path / "public"
    result = cli("build", "--content", content, "--out", out)
    assert result.exit_code != 0 and _refused(result.output, f"templates/{rel}"), result.output
    assert not out.exists()


def test_a_dangling_link_and_a_pipe_are_named_not_followed(
    tmp_archive: ArchiveFactory, cli: Cli
) -> None:
    content = tmp_archive()
    (content / "media").mkdir()
    (content / "media" / "gone.png").symlink_to("/nonexistent/file.png")
    os.mkfifo(content / "media" / "pipe.png")
    result = cli("validate", "--content", content)
    assert result.exit_code != 0 and _refused(result.output, "media/gone.png"), result.output
    assert "media/pipe.png: is not a regular file" in result.output


def test_linked_content_and_templates_folders_are_refused(tmp_path: Path) -> None:
    """The folders themselves, not only what is in them: a committed `templates -> /x`
    or `content -> /y` must not make another folder the site's templates or archive."""
    outside = tmp_path / "outside"
    shutil.copytree(Path(__file__).resolve().parents[1] / "templates", outside / "templates")
    (outside / "templates" / "assets" / "secret.txt").write_text("s3cret", encoding="utf-8")
    shutil.copytree(DEMO, outside / "content", ignore=shutil.ignore_patterns(".jamdat"))
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    shutil.copytree(DEMO, checkout / "content", ignore=shutil.ignore_patterns(".jamdat"))
    (checkout / "templates").symlink_to(outside / "templates")
    with pytest.raises(ContentError, match="templates: is a symbolic link"):
        build_site(checkout / "content", tmp_path / "public", jobs=1)
    (checkout / "templates").unlink()
    shutil.rmtree(checkout / "content")
    (checkout / "content").symlink_to(outside / "content")
    with pytest.raises(ContentError, match="is a symbolic link"):
        build_site(checkout / "content", tmp_path / "public", jobs=1)
    assert not (tmp_path / "public").exists()


def test_a_reader_of_many_files_opens_each_folder_once_and_never_through_a_link(
    tmp_path: Path,
) -> None:
    """The loader reads thousands of pitches with one `contentfs.Reader`: it keeps a few
    folders open (never running out of descriptors, whatever the number of events),
    refuses a link to a folder or a file as `read_optional` does, and leaves nothing open."""
    from site_builder.archive import contentfs

    root = tmp_path / "content"
    folders = contentfs.Reader.OPEN_FOLDERS + 5
    for n in range(folders):
        (root / "projects" / f"e{n}").mkdir(parents=True)
        (root / "projects" / f"e{n}" / "p.md").write_text(f"pitch {n}")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "p.md").write_text("a secret")
    (root / "projects" / "linked").symlink_to(outside)
    (root / "projects" / "e0" / "q.md").symlink_to(outside / "p.md")
    open_before = len(os.listdir("/proc/self/fd"))
    with contentfs.Reader(root) as reader:
        for _ in range(2):  # the second time, the first folders were closed in between
            for n in range(folders):
                assert reader.read_optional(f"projects/e{n}/p.md") == f"pitch {n}".encode()
        assert reader.read_optional("projects/e0/missing.md") is None
        assert reader.read_optional("projects/none/p.md") is None
        assert reader.read_optional("projects/e0") is None  # a folder
        # A linked folder is not gone through (the listing names it: `contentfs.check`).
        assert reader.read_optional("projects/linked/p.md") is None
        assert contentfs.read_optional(root, "projects/linked/p.md") is None
        with pytest.raises(ContentError) as raised:
            reader.read_optional("projects/e0/q.md")
        assert raised.value.problems[0].file == "projects/e0/q.md"
        with pytest.raises(ContentError):  # as the one-file reader does
            contentfs.read_optional(root, "projects/e0/q.md")
    assert len(os.listdir("/proc/self/fd")) == open_before


def test_a_folder_swapped_for_a_link_while_the_archive_is_scanned_is_refused(
    tmp_archive: ArchiveFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder listed as a folder, then replaced by a link to one full of secrets before
    the scan goes into it: the scan opens it without following the link, and names it."""
    from site_builder.archive import contentfs

    content = tmp_archive()
    outside = tmp_path / "outside"
    (outside / "spring-hack").mkdir(parents=True)
    (outside / "spring-hack" / "river-levels.md").write_text(SECRET, encoding="utf-8")
    real_list = contentfs._list
    swapped: list[str] = []

    def list_then_swap(fd: int, rel: str, *args: object) -> None:
        real_list(fd, rel, *args)  # type: ignore[arg-type]
        if rel == "" and not swapped:  # the top is listed: "projects/" is on the stack
            shutil.rmtree(content / "projects")
            (content / "projects").symlink_to(outside)
            swapped.append(rel)

    monkeypatch.setattr(contentfs, "_list", list_then_swap)
    with pytest.raises(ContentError) as raised:
        contentfs.scan(content)
    assert swapped
    assert [p.file for p in raised.value.problems] == ["projects"]
    assert "symbolic link" in raised.value.problems[0].message
