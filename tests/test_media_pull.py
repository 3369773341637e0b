"""`jamdat media pull` against a loopback image host: content-hash copies, rewritten
references, an allow-list, a size limit, and failures that keep the remote URL."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from conftest import ArchiveFactory, Cli
from replay_server import Answer, Replay
from sample_images import jpeg, png

from site_builder import archive
from site_builder.config import SiteConfig
from site_builder.media.resize import fit
from site_builder.model import Site

PNG = png()
JPEG = jpeg(60, 40)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def routes() -> dict[str, Answer]:
    return {
        "/logo.png": Answer(PNG, "image/png"),
        "/img/photo": Answer(JPEG, "application/octet-stream"),  # sniffed, not believed
        "/copy-of-logo.png": Answer(PNG, "image/png"),
        "/error.png": Answer(b"<!DOCTYPE html><h1>Access denied</h1>", "image/png"),
        "/vector.svg": Answer(SVG, "image/svg+xml"),
        "/huge.png": Answer(PNG + b"\x00" * 1_200_000, "image/png"),
    }


def name(body: bytes, ext: str) -> str:
    return hashlib.sha256(body).hexdigest()[:32] + ext


def remote(base: str) -> Callable[[Site], None]:
    """An edit that points the sample archive's images at `base`."""

    def edit(site: Site) -> None:
        site.config = SiteConfig(title="Test archive", base_url="https://archive.example/")
        event = site.events["spring-hack"]
        event.logo_url = f"{base}/logo.png"
        event.description += f"\n\n![chart]({base}/copy-of-logo.png)"
        river = site.projects[("spring-hack", "river-levels")]
        river.image_url = f"{base}/img/photo"
        river.pitch = (
            f'![logo]({base}/logo.png)\n\n<img src="{base}/error.png" alt="x">\n\n'
            f"See [the photo]({base}/img/photo).\n\n![gone]({base}/missing.png)"
        )
        river.readme = f"![vector]({base}/vector.svg)\n\n![big]({base}/huge.png)"

    return edit


def test_pull_copies_rewrites_and_reports(
    cli: Cli, tmp_path: Path, tmp_archive: ArchiveFactory
) -> None:
    with Replay(routes()) as server:
        base = server.url
        content = tmp_archive(edit=remote(base))
        result = cli("media", "pull", "--content", content, "--max-size", "1")
        assert result.exit_code == 0, result.output
        first_requests = list(server.requests)
        again = cli("media", "pull", "--content", content, "--max-size", "1", "--strict")

    logo, photo = name(PNG, ".png"), name(fit(JPEG, "jpeg", 1200).body, ".jpg")
    assert sorted(p.name for p in (content / "media").iterdir()) == sorted(
        [logo, photo, "SOURCES.csv"]
    )
    assert (content / "media" / logo).read_bytes() == PNG
    out = result.output
    assert "2 image(s) downloaded, 1 already in media/, 4 reference(s) rewritten, 4 failed" in out
    assert f"failed {base}/error.png (projects/spring-hack/river-levels.md): not an image" in out
    assert "(image/png; starts with '<!DOCTYPE html><h1>" in out
    assert f"failed {base}/missing.png" in out and "404 Not Found" in out
    assert f"failed {base}/vector.svg (synced/spring-hack/river-levels.md): svg images" in out
    assert f"failed {base}/huge.png" in out and "larger than 1 MB" in out

    site = archive.load(content)
    event, river = site.events["spring-hack"], site.projects[("spring-hack", "river-levels")]
    assert event.logo_url == f"media/{logo}" and river.image_url == f"media/{photo}"
    assert f"![chart](https://archive.example/media/{logo})" in event.description
    assert f"![logo](https://archive.example/media/{logo})" in river.pitch
    assert f"See [the photo]({base}/img/photo)." in river.pitch  # a link, not an image
    assert f'<img src="{base}/error.png"' in river.pitch  # failures keep the remote URL
    assert f"![gone]({base}/missing.png)" in river.pitch

    # Pulled images are not fetched again; what failed is tried again, and --strict says so.
    assert again.exit_code == 1
    assert "0 image(s) downloaded" in again.output and "no files changed" in again.output
    second = server.requests[len(first_requests) :]
    assert "/logo.png" not in second and "/img/photo" not in second and "/error.png" in second


def test_the_site_serves_the_copies(cli: Cli, tmp_path: Path, tmp_archive: ArchiveFactory) -> None:
    with Replay(routes()) as server:
        content = tmp_archive(edit=remote(server.url))
        assert cli("media", "pull", "--content", content).exit_code == 0
    out = tmp_path / "public"
    assert cli("build", "--content", content, "--out", out, "--jobs", "1").exit_code == 0
    logo = name(PNG, ".png")
    assert (out / "media" / logo).read_bytes() == PNG
    assert f"/media/{logo}" in (out / "spring-hack" / "index.html").read_text(encoding="utf-8")


def test_dry_run_changes_nothing(cli: Cli, tmp_archive: ArchiveFactory) -> None:
    with Replay(routes()) as server:
        content = tmp_archive(edit=remote(server.url))
        before = (content / "data" / "events.csv").read_bytes()
        result = cli("media", "pull", "--content", content, "--dry-run")
    # Within the size limit now: stored without its padding, it is the logo once more.
    assert result.exit_code == 0, result.output
    assert "2 image(s) downloaded, 2 already in media/" in result.output
    assert not (content / "media").exists()
    assert (content / "data" / "events.csv").read_bytes() == before


def test_downloads_in_flight_are_bounded(cli: Cli, tmp_archive: ArchiveFactory) -> None:
    images = {f"/photo-{n}.png": Answer(png(color=(n, 0, 0, 255)), "image/png") for n in range(12)}

    def many(base: str) -> Callable[[Site], None]:
        def edit(site: Site) -> None:
            river = site.projects[("spring-hack", "river-levels")]
            river.pitch = "\n\n".join(f"![photo {n}]({base}{path})" for n, path in
                                      enumerate(images))  # fmt: skip

        return edit

    with Replay(dict(images), delay=0.05) as server:
        content = tmp_archive(edit=many(server.url))
        result = cli("media", "pull", "--content", content, "--concurrency", "3")
    assert result.exit_code == 0, result.output
    assert "12 image(s) downloaded" in result.output
    assert sorted(server.requests) == sorted(images)
    assert 1 < server.most_at_once <= 3


def test_svg_is_pulled_only_when_asked_and_never_with_active_content(
    cli: Cli, tmp_archive: ArchiveFactory
) -> None:
    """`--type svg` lets plain drawings in; an SVG that could run or load anything when
    opened from the site (script, event handler, embedded HTML) stays refused."""
    plain = b'<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>'
    handler = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'

    def edit(site: Site) -> None:
        river = site.projects[("spring-hack", "river-levels")]
        river.image_url = f"{base}/plain.svg"
        site.events["spring-hack"].logo_url = f"{base}/handler.svg"
        river.readme = f"![vector]({base}/vector.svg)"

    svg = {"/plain.svg": plain, "/handler.svg": handler, "/vector.svg": SVG}
    with Replay({p: Answer(b, "image/svg+xml") for p, b in svg.items()}) as server:
        base = server.url
        content = tmp_archive(edit=edit)
        result = cli("media", "pull", "--content", content, "--type", "svg")
    assert result.exit_code == 0, result.output
    assert "1 image(s) downloaded" in result.output
    refused = "an SVG with scripts, event handlers or embedded content"
    assert f"failed {base}/handler.svg" in result.output
    assert result.output.count(refused) == 2
    site = archive.load(content)
    assert (
        site.projects[("spring-hack", "river-levels")].image_url == f"media/{name(plain, '.svg')}"
    )
    assert site.events["spring-hack"].logo_url == f"{base}/handler.svg"
