"""A complete offline archive: pulled images scaled to what the site shows, avatars pulled
like other images, sources recorded in media/SOURCES.csv, and a build that warns once
while images are still linked from other hosts."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ArchiveFactory, Cli
from PIL import Image
from replay_server import Answer, Replay
from sample_images import jpeg, png, size
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from site_builder import archive
from site_builder.config import SiteConfig
from site_builder.model import Site
from site_builder.render.build import build_site

WIDE = jpeg(3000, 1500)
TURNED = jpeg(300, 200, orientation=6)
"""Stored landscape, shown portrait: EXIF orientation 6 turns it a quarter."""
FACE = png(512, 512)
ICON = png(16, 16)


def routes() -> dict[str, Answer]:
    return {
        "/wide.jpg": Answer(WIDE, "image/jpeg"),
        "/turned.jpg": Answer(TURNED, "image/jpeg"),
        "/face.png": Answer(FACE, "image/png"),
        "/icon.png": Answer(ICON, "image/png"),
    }


def remote(base: str, other: str) -> Callable[[Site], None]:
    """The sample archive with images on two hosts (`base` and `other`, one server)."""

    def edit(site: Site) -> None:
        site.config = SiteConfig(
            title="Test archive", base_url="https://archive.example/", license="CC-BY-4.0"
        )
        site.events["spring-hack"].logo_url = f"{base}/icon.png"
        river = site.projects[("spring-hack", "river-levels")]
        river.image_url = f"{base}/wide.jpg"
        river.pitch = f"![turned]({other}/turned.jpg)\n\n![wide]({base}/wide.jpg)"
        site.people["ada"].avatar_url = f"{other}/face.png"
        site.activities["20240323T100000-0001"].content = f"Kick-off! ![icon]({base}/icon.png)"

    return edit


def hotlink_warnings(content: Path, out: Path) -> list[str]:
    report = build_site(content, out, jobs=1)
    return [w for w in report.warnings if "jamdat media pull" in w]


def test_pull_resizes_pulls_avatars_records_sources_and_silences_the_warning(
    cli: Cli, tmp_path: Path, tmp_archive: ArchiveFactory
) -> None:
    with Replay(routes()) as server:
        base, other = server.url, server.url.replace("127.0.0.1", "localhost")
        content = tmp_archive(edit=remote(base, other))
        out = tmp_path / "public"
        before = hotlink_warnings(content, out)
        again = hotlink_warnings(content, out)  # nothing changed: remembered, said again
        result = cli("media", "pull", "--content", content)
    assert result.exit_code == 0, result.output
    assert "4 image(s) downloaded" in result.output and "0 failed" in result.output

    # icon (logo, activity post), wide (project image, pitch), turned, face: on the index,
    # the event, the project and the event's activity pages, from 127.0.0.1 and localhost.
    expected = (
        "4 images on 4 pages are linked from 2 other hosts: offline or once those hosts are "
        "gone they show as empty boxes; run `jamdat media pull` to keep copies in "
        "content/media/"
    )
    assert before == again == [expected]

    site = archive.load(content)
    river = site.projects[("spring-hack", "river-levels")]
    ada = site.people["ada"]
    assert ada.avatar_url.startswith("media/") and ada.avatar_url.endswith(".png")
    assert river.image_url.startswith("media/") and river.image_url.endswith(".jpg")
    assert "](https://archive.example/media/" in site.activities["20240323T100000-0001"].content

    # A 3000 px photo used as the project image and in the pitch: the larger need, 1600 px
    # for texts, aspect kept; EXIF orientation applied and the camera's tags dropped.
    wide = (content / river.image_url).read_bytes()
    assert size(wide) == (1600, 800)
    assert size((content / ada.avatar_url).read_bytes()) == (128, 128)
    turned_url = river.pitch.split("](https://archive.example/")[1].split(")")[0]
    with Image.open(content / turned_url) as turned:
        assert turned.size == (200, 300) and not turned.getexif()
    assert (content / site.events["spring-hack"].logo_url).read_bytes() == ICON  # not scaled up

    with (content / "media" / "SOURCES.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["file"] for r in rows] == sorted(r["file"] for r in rows)
    by_url = {r["source_url"]: r for r in rows}
    assert set(by_url) == {f"{base}/wide.jpg", f"{other}/turned.jpg", f"{other}/face.png",
                           f"{base}/icon.png"}  # fmt: skip
    assert by_url[f"{other}/face.png"] == {
        "file": ada.avatar_url.removeprefix("media/"),
        "source_url": f"{other}/face.png",
        "used_in": "data/people.csv, person ada, field 'avatar_url'",
        "license": "CC-BY-4.0",
    }
    assert by_url[f"{base}/wide.jpg"]["used_in"] == (
        "data/projects.csv, project spring-hack/river-levels, field 'image_url'; "
        "projects/spring-hack/river-levels.md"
    )

    assert hotlink_warnings(content, out) == []
    # Every image of every page, texts' images included, loads from the copy being read:
    # a text's link to the site's own address is a site path (a local build, a preview).
    shown = {
        img.attributes.get("src") or ""
        for page in out.rglob("*.html")
        for img in HTMLParser(page.read_text(encoding="utf-8")).css("img")
    }
    assert shown and not [src for src in shown if "://" in src or src.startswith("//")]
    assert f"/{turned_url}" in shown
    assert not (out / "media" / "SOURCES.csv").exists()  # the archive's record, not the site's
    assert (out / river.image_url).read_bytes() == wide


def test_max_width_option_and_a_local_archive_builds_without_the_warning(
    cli: Cli, tmp_path: Path, tmp_archive: ArchiveFactory
) -> None:
    content = tmp_archive()
    assert hotlink_warnings(content, tmp_path / "public") == []
    with Replay(routes()) as server:
        edit = remote(server.url, server.url)
        content = tmp_archive("remote", edit=edit)
        bad = cli("media", "pull", "--content", content, "--max-width", "banner=10")
        assert bad.exit_code == 2 and "'banner=10': expected USE=PX" in bad.output
        result = cli("media", "pull", "--content", content, "--max-width", "text=400",
                     "--max-width", "avatar=0")  # fmt: skip
    assert result.exit_code == 0, result.output
    site = archive.load(content)
    river = site.projects[("spring-hack", "river-levels")]
    assert size((content / river.image_url).read_bytes()) == (1200, 600)  # image: 1200 px
    assert (content / site.people["ada"].avatar_url).read_bytes() == FACE  # 0: as it came


def test_animated_gifs_are_kept_as_they_came(cli: Cli, tmp_archive: ArchiveFactory) -> None:
    frames = [Image.new("P", (2000, 100), n) for n in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100)
    gif = out.getvalue()

    def edit(site: Site) -> None:
        site.projects[("spring-hack", "river-levels")].image_url = f"{base}/anim.gif"

    with Replay({"/anim.gif": Answer(gif, "image/gif")}) as server:
        base = server.url
        content = tmp_archive(edit=edit)
        assert cli("media", "pull", "--content", content).exit_code == 0
    image_url = archive.load(content).projects[("spring-hack", "river-levels")].image_url
    assert (content / image_url).read_bytes() == gif


def counts_counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one each time linked images are counted over the archive."""
    from site_builder.media import hotlinks

    counted: list[int] = []
    count = hotlinks.count

    def counting(site: Site) -> hotlinks.Counted:
        counted.append(1)
        return count(site)

    monkeypatch.setattr(hotlinks, "count", counting)
    return counted


def test_a_session_counts_linked_images_again_only_when_a_text_changed_its_images(
    tmp_path: Path, tmp_archive: ArchiveFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`jamdat serve` and the API rebuild on every save: the warning stays right, and a
    save that changed no image reference is not counted over the whole archive again."""
    from site_builder.render.build import BuildSession

    content = tmp_archive(edit=remote("https://a.example", "https://b.example"))
    session = BuildSession(content, tmp_path / "public", long_lived=True)
    counted = counts_counted(monkeypatch)

    def save(pitch: str) -> str:
        site = archive.load(content)
        site.projects[("spring-hack", "river-levels")].pitch = pitch
        archive.save(content, site, read=archive.snapshot(content))
        counted.clear()
        warnings = [w for w in session.build().warnings if "jamdat media pull" in w]
        return warnings[0].split(" on ")[0]

    first = next(w for w in session.build().warnings if "media pull" in w)
    assert first.startswith("4 images")  # icon, wide, turned (this pitch's) and face
    wide = "![wide](https://a.example/wide.jpg)"
    assert save(f"{wide}\n\nA new paragraph.") == "3 images" and counted == [1]
    assert save(f"{wide}\n\nAnother paragraph.") == "3 images" and counted == []
    assert save(f"{wide} ![c](https://c.example/c.png)") == "4 images" and counted == [1]


def test_a_new_process_counts_linked_images_again_only_when_a_text_changed_its_images(
    tmp_path: Path, tmp_archive: ArchiveFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`jamdat build` after an edit: the count is remembered with the images each text
    held, so a build that finds only texts changed, holding the same images, does not
    count over the whole archive again; one that changed an image does."""
    from site_builder.render import deps
    from site_builder.render.build import BuildSession

    content, out = (
        tmp_archive(edit=remote("https://a.example", "https://b.example")),
        tmp_path / "p",
    )
    counted = counts_counted(monkeypatch)

    def build(pitch: str | None = None, description: str | None = None) -> str:
        site = archive.load(content)
        if pitch is not None:
            site.projects[("spring-hack", "river-levels")].pitch = pitch
        if description is not None:
            site.events["spring-hack"].description = description
        archive.save(content, site, read=archive.snapshot(content))
        deps.forget()
        counted.clear()
        warnings = [w for w in BuildSession(content, out).build().warnings if "media pull" in w]
        return warnings[0].split(" on ")[0]

    assert build() == "4 images" and counted == [1]
    wide = "![wide](https://a.example/wide.jpg)"
    assert build(f"{wide}\n\nA new paragraph.") == "3 images" and counted == [1]
    assert build(f"{wide}\n\nAnother paragraph.") == "3 images" and counted == []
    assert build(description="Now with a longer description.") == "3 images" and counted == []
    assert build(f"{wide} ![c](https://c.example/c.png)") == "4 images" and counted == [1]
    assert build(description="![d](https://d.example/d.png)") == "5 images" and counted == [1]
