"""Slide decks as built files: real pitches split where their authors put `---`, generated
decks, presenting order, notes, timer setting, relative links and rebuilds."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tinycss2
from conftest import ArchiveFactory
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode

from site_builder import archive
from site_builder.config import load_config
from site_builder.errors import ContentError
from site_builder.importers.dribdat import import_paths
from site_builder.model import Project, Site
from site_builder.render.build import build_site
from site_builder.render.outputs import RenderContext
from site_builder.render.slides import split_pitch
from site_builder.render.slideviews import Card

FIXTURES = Path(__file__).parent / "fixtures" / "dribdat"
SEPARATED = (
    # (fixture, event, project, separator lines in its pitch, Dribdat's "slide mode"
    # `is_webembed`: without it the separators are rules in a long text)
    (
        "2021-multilingual-media.v0.1.0.datapackage.json",
        "multilingual-media",
        "made-to-measure",
        1,
        False,
    ),
    (
        "2024-open-legal-lab.datapackage.json",
        "open-legal-lab-2024",
        "legal-lens-tailored-case-notification",
        3,
        True,
    ),
    (
        "2025-innovation-mapping-festival.datapackage.json",
        "innovation-and-mapping-festival",
        "unlocking-autumn",
        5,
        False,
    ),
)


def one(tree: HTMLParser, selector: str) -> LexborNode:
    node = tree.css_first(selector)
    assert node is not None, f"no {selector!r}"
    return node


def slides_of(path: Path) -> list[str]:
    """The aria-labels of a deck's slides, in order."""
    tree = HTMLParser(path.read_text(encoding="utf-8"))
    return [node.attributes.get("aria-label") or "" for node in tree.css("section.slide")]


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("decks")
    content = root / "content"
    summary = import_paths(content, [FIXTURES / f for f, *_ in SEPARATED], timezone="UTC")
    assert not summary.failed
    out = root / "public"
    build_site(content, out, base_url="https://hacks.example.org/archive/", jobs=1)
    return content, out


@pytest.mark.parametrize(("fixture", "event", "slug", "separators", "slide_mode"), SEPARATED)
def test_real_pitches_split_at_their_separators_in_slide_mode_only(
    imported: tuple[Path, Path],
    fixture: str,
    event: str,
    slug: str,
    separators: int,
    slide_mode: bool,
) -> None:
    content, out = imported
    assert (archive.load(content).projects[(event, slug)].is_webembed is True) == slide_mode
    deck = HTMLParser((out / event / slug / "slides" / "index.html").read_text(encoding="utf-8"))
    labels = [n.attributes.get("aria-label") or "" for n in deck.css("section.slide")]
    assert labels[0].startswith(f"1 of {len(labels)}: ")
    rules = len(deck.css(".prose > hr"))
    if slide_mode:
        # A title slide, then one slide per part between separators; no generated links slide.
        assert len(labels) == 1 + separators + 1
        assert not any(": Links" in label for label in labels)
        assert rules == 0
    else:
        # A generated deck: the separators stay rules on its slides.
        assert rules == separators


def test_event_deck_holds_every_pitch_in_order(imported: tuple[Path, Path]) -> None:
    content, out = imported
    site = archive.load(content)
    event = "innovation-and-mapping-festival"
    tree = HTMLParser((out / event / "slides" / "index.html").read_text(encoding="utf-8"))
    titles = [n.text(strip=True) for n in tree.css("section.slide-title .title-name")]
    shown = [p for p in site.projects_of(event) if not p.is_hidden]
    assert len(titles) == len(shown)
    challenges = [p for p in shown if p.is_challenge or (p.progress or 0) < 5]
    by_name = sorted(challenges, key=lambda p: p.name.casefold())
    assert titles[: len(challenges)] == [p.name.strip() for p in by_name]
    assert len(tree.css("section.slide-next")) == len(shown) - 1
    assert tree.css_first("section.slide-agenda") is not None
    assert tree.css_first("section.slide-end") is not None
    # Every slide of a pitch shares its countdown; agenda and "next up" have none.
    assert all(n.attributes.get("data-team") for n in tree.css("section.slide-content"))
    assert not any(n.attributes.get("data-team") for n in tree.css("section.slide-next"))


def _numbered(tree: HTMLParser) -> list[LexborNode]:
    """The deck's slides, after checking they are numbered 1..n in ids, labels and bar."""
    sections = tree.css("section.slide")
    n = len(sections)
    assert [s.attributes.get("id") for s in sections] == [f"slide-{i}" for i in range(1, n + 1)]
    for i, s in enumerate(sections, start=1):
        assert (s.attributes.get("aria-label") or "").startswith(f"{i} of {n}: ")
    assert one(tree, ".deck-count").text().split("/")[-1].strip() == str(n)
    return sections


def _body(section: LexborNode) -> str:
    node = section.css_first("div.slide-content")
    assert node is not None
    return node.text()


def test_each_deck_numbers_the_pitch_slides_it_shares(imported: tuple[Path, Path]) -> None:
    """A pitch's slides are rendered once and shown in its own deck and its event's: each
    deck numbers them in its own order and gives them its own pitch number."""
    _, out = imported
    event = "innovation-and-mapping-festival"
    html = (out / event / "slides" / "index.html").read_text(encoding="utf-8")
    assert "\x00" not in html
    pitches: dict[str, list[str]] = {}
    teams: list[str] = []
    team, slug = "", ""
    for s in _numbered(HTMLParser(html)):
        kind = (s.attributes.get("class") or "").split()[-1]
        if kind == "slide-title":
            team = s.attributes.get("data-team") or ""
            teams.append(team)
            link = s.css_first(".page-link a")
            assert link is not None
            slug = (link.attributes.get("href") or "").rstrip("/").rsplit("/", 1)[-1]
            pitches[slug] = []
        elif kind in ("slide-content", "slide-links"):
            assert s.attributes.get("data-team") == team
            pitches[slug].append(_body(s))
    assert teams == [str(i) for i in range(1, len(pitches) + 1)]
    for slug, bodies in pitches.items():
        own = (out / event / slug / "slides" / "index.html").read_text(encoding="utf-8")
        assert "\x00" not in own
        sections = _numbered(HTMLParser(own))
        assert all(s.attributes.get("data-team") == "1" for s in sections)
        # The same text; links differ only in how many `../` lead to the site's root.
        assert [_body(s) for s in sections[1:]] == bodies, slug


def test_decks_link_relatively_and_carry_a_qr_code(imported: tuple[Path, Path]) -> None:
    _, out = imported
    html = (out / "multilingual-media" / "made-to-measure" / "slides" / "index.html").read_text()
    assert re.search(r'href="\.\./\.\./\.\./assets/immutable/slides\.\w+\.css"', html)
    assert re.search(r'src="\.\./\.\./\.\./assets/immutable/slides\.\w+\.js"', html)
    assert 'href="/archive/' not in html and 'src="/archive/' not in html
    qr = 'aria-label="QR code: https://hacks.example.org/archive/multilingual-media/made-to'
    assert qr in html
    # The page's policy allows only the site's own scripts and no inline styles.
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert " style=" not in html and "<style" not in html
    project_page = (out / "multilingual-media" / "made-to-measure" / "index.html").read_text()
    assert 'href="/archive/multilingual-media/made-to-measure/slides/"' in project_page
    event_page = (out / "multilingual-media" / "index.html").read_text()
    assert 'href="/archive/multilingual-media/slides/"' in event_page


def test_split_pitch_ignores_separators_in_code_and_keeps_notes() -> None:
    pitch = (
        "# Intro\n\nHello\n\n---\n\n```yaml\n---\nkey: value\n***\n```\n\n***\n\n"
        "Last slide\n\nNote: say thanks\n\nand wave\n\n---\n\n"
    )
    split = split_pitch(pitch)
    assert split.separated
    assert [p.text.split("\n")[0] for p in split.parts] == ["# Intro", "```yaml", "Last slide"]
    assert split.parts[2].text == "Last slide"
    assert split.parts[2].notes == "say thanks\n\nand wave"
    assert "key: value\n***" in split.parts[1].text


def test_pitch_without_separators_gets_one_slide_per_section() -> None:
    split = split_pitch("# Name\n\nIntro\n\n## Problem\n\nx\n\n## Solution\n\n```\n## no\n```")
    assert not split.separated
    assert [p.text.split("\n")[0] for p in split.parts] == ["# Name", "## Problem", "## Solution"]
    assert split_pitch("Just one paragraph.").parts[0].text == "Just one paragraph."
    assert split_pitch("").parts == []


def _pitches(site: Site) -> None:
    site.projects[("spring-hack", "river-levels")].pitch = (
        "## Problem\n\nFloods.\n\nNote: mention 2021\n\n"
        "## Solution\n\n| a | b |\n|--:|:-:|\n| 1 | 2 |"
    )
    site.projects[("spring-hack", "river-levels")].source_url = "https://example.org/rivers"
    site.projects[("spring-hack", "zebra")] = Project(
        event="spring-hack", slug="zebra", name="Zebra crossing", progress=20, pitch_order=1
    )


def test_generated_deck_order_notes_and_timer(tmp_archive: ArchiveFactory, tmp_path: Path) -> None:
    content = tmp_archive(edit=_pitches)
    (content / "site.yaml").write_text("title: Test archive\npitch_seconds: 150\n")
    out = tmp_path / "public"
    build_site(content, out, jobs=1)
    labels = slides_of(out / "spring-hack" / "river-levels" / "slides" / "index.html")
    assert [label.split(": ", 1)[1] for label in labels] == [
        "River levels",
        "Problem",
        "Solution",
        "Links: River levels",
    ]
    deck = HTMLParser((out / "spring-hack" / "river-levels" / "slides" / "index.html").read_text())
    notes = deck.css("aside.notes")
    assert [n.text(strip=True) for n in notes] == ["mention 2021"]
    assert deck.css_first("td.align-right") is not None
    assert one(deck, "#deck").attributes["data-seconds"] == "150"

    event = HTMLParser((out / "spring-hack" / "slides" / "index.html").read_text())
    names = [n.text(strip=True) for n in event.css("section.slide-title .title-name")]
    # pitch_order first, then challenges, then teams by name.
    assert names == ["Zebra crossing", "Find the data", "River levels"]
    assert "2.5 min each" in one(event, "section.slide-event").text()


def test_editing_a_pitch_rebuilds_its_decks_only(
    tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    content, out = tmp_archive(), tmp_path / "public"
    build_site(content, out, jobs=1)
    site = archive.load(content)
    site.projects[("spring-hack", "river-levels")].pitch = "One\n\n---\n\nTwo\n\n---\n\nThree"
    site.projects[("spring-hack", "river-levels")].is_webembed = True
    archive.save(content, site, read=archive.snapshot(content))
    report = build_site(content, out, jobs=1)
    assert "spring-hack/river-levels/slides/index.html" in report.written
    assert "spring-hack/slides/index.html" in report.written
    assert not any(p.startswith("autumn-jam/") for p in report.rendered)
    assert len(slides_of(out / "spring-hack" / "river-levels" / "slides" / "index.html")) == 4


def test_pitch_order_round_trips_and_timer_setting_is_checked(
    tmp_archive: ArchiveFactory,
) -> None:
    content = tmp_archive(edit=_pitches)
    assert archive.load(content).projects[("spring-hack", "zebra")].pitch_order == 1
    assert "pitch_order" in (content / "data" / "projects.csv").read_text().splitlines()[0]
    (content / "site.yaml").write_text("pitch_seconds: 0\n")
    with pytest.raises(ContentError) as error:
        load_config(content)
    assert "pitch_seconds" in str(error.value.problems[0])


def test_decks_load_only_their_own_small_script_and_style_sheet(
    imported: tuple[Path, Path],
) -> None:
    _, out = imported
    for deck in (
        out / "multilingual-media" / "slides" / "index.html",
        out / "multilingual-media" / "made-to-measure" / "slides" / "index.html",
    ):
        tree = HTMLParser(deck.read_text(encoding="utf-8"))
        scripts = [n.attributes.get("src") or "" for n in tree.css("script[src]")]
        sheets = [n.attributes.get("href") or "" for n in tree.css('link[rel="stylesheet"]')]
        assert len(scripts) == 1 and len(sheets) == 1
        # No CDN and no framework: both files come from the site itself, by relative links.
        assert not any("//" in url for url in scripts + sheets)
        size = sum((deck.parent / url).stat().st_size for url in scripts + sheets)
        assert size < 30_000, f"the deck's JS and CSS weigh {size} bytes"


def test_challenges_can_stay_out_of_the_event_deck(
    tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    content = tmp_archive(edit=_pitches)
    (content / "site.yaml").write_text("title: Test archive\ndeck_challenges: false\n")
    out = tmp_path / "public"
    build_site(content, out, jobs=1)
    event = HTMLParser((out / "spring-hack" / "slides" / "index.html").read_text())
    names = [n.text(strip=True) for n in event.css("section.slide-title .title-name")]
    assert names == ["Zebra crossing", "River levels"]
    agenda = [n.text(strip=True) for n in event.css(".agenda-name")]
    assert agenda == ["Zebra crossing", "River levels"]
    assert "2 pitches" in one(event, "section.slide-event").text()
    # The challenge keeps its own deck.
    assert (out / "spring-hack" / "find-data" / "slides" / "index.html").exists()
    (content / "site.yaml").write_text("deck_challenges: no thanks\n")
    with pytest.raises(ContentError) as error:
        load_config(content)
    assert "deck_challenges': expected true or false" in str(error.value.problems[0])


def _fades(rules: list[Any], screen: bool = False) -> Iterator[str]:
    """Selectors of `.slide` rules that fade or animate, outside `@media screen` blocks."""
    for rule in rules:
        if rule.type == "at-rule" and rule.lower_at_keyword == "media" and rule.content:
            inner = tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True)
            on_screen = screen or "screen" in tinycss2.serialize(rule.prelude)
            yield from _fades(inner, on_screen)
        elif rule.type == "qualified-rule" and not screen:
            selector = tinycss2.serialize(rule.prelude).strip()
            declarations = tinycss2.parse_declaration_list(
                rule.content, skip_comments=True, skip_whitespace=True
            )
            for d in declarations:
                value = tinycss2.serialize(d.value).strip() if d.type == "declaration" else ""
                fades = d.type == "declaration" and d.lower_name in ("animation", "opacity")
                if ".slide" in selector and fades and value not in ("none", "1"):
                    yield f"{selector} {{ {d.name}: {value} }}"


def test_printed_slides_are_not_faded() -> None:
    """A fade-in kept for print leaves the slide on screen at its first, faded frame."""
    sheet = Path(__file__).resolve().parents[1] / "templates" / "assets" / "slides.css"
    rules = tinycss2.parse_stylesheet(
        sheet.read_text(encoding="utf-8"), skip_comments=True, skip_whitespace=True
    )
    assert list(_fades(rules)) == []


def test_a_pitch_is_made_relative_once_for_both_its_decks(
    tmp_archive: ArchiveFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pitch's slides are cut once, their links made relative then (a marker stands for
    the way to the root), and put whole into its own deck and its event's: the pass that
    makes a deck page's own links relative never reads the pitches again, which an
    event's deck holds a hundred of."""
    from site_builder.render import slides

    read: list[str] = []
    relative = slides._relative

    def counted(html: str, base_path: str, root: str) -> str:
        read.append(html)
        return relative(html, base_path, root)

    monkeypatch.setattr(slides, "_relative", counted)

    def pitch(site: Site) -> None:
        project = site.projects[("spring-hack", "river-levels")]
        project.pitch = "## Zanzibar\n\nSee [a team](/spring-hack/) and ![a chart](/media/c.png).\n"

    content, out = tmp_archive(edit=pitch), tmp_path / "public"
    build_site(content, out, jobs=1)
    assert len([html for html in read if "Zanzibar" in html]) == 1
    own = (out / "spring-hack" / "river-levels" / "slides" / "index.html").read_text()
    event = (out / "spring-hack" / "slides" / "index.html").read_text()
    for html, root in ((own, "../../../"), (event, "../../")):
        assert "Zanzibar" in html and "\x00" not in html
        assert f'href="{root}spring-hack/"' in html and f'src="{root}media/c.png"' in html


def test_every_pitch_is_cut_once_though_the_memo_holds_little_more_than_one_event(
    tmp_archive: ArchiveFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The memo of cut pitches is bounded (a build's worker holds 512, not the archive's
    10,000) and drops the run used longest ago: an event's deck, which follows its
    projects' decks, still finds every one of its pitches cut."""
    from site_builder import archive
    from site_builder.render import slides

    def more(site: Site) -> None:
        base = next(iter(site.projects.values()))
        for event in site.events:
            for n in range(4):
                p = dataclasses.replace(
                    base, event=event, slug=f"more-{n}", name=f"More {n}", category=""
                )
                site.projects[p.key] = p

    content = tmp_archive(edit=more)
    site = archive.load(content)
    per_event = Counter(p.event for p in site.projects.values())
    cut: list[tuple[str, str]] = []
    cut_pitch = slides._cut_pitch

    def counted(ctx: RenderContext, p: Project, c: Card) -> list[slides.Slide]:
        cut.append(p.key)
        return cut_pitch(ctx, p, c)

    monkeypatch.setattr(slides, "_cut_pitch", counted)
    monkeypatch.setattr(slides._RUNS, "limit", max(per_event.values()) + 1)
    slides._RUNS.clear()
    build_site(content, tmp_path / "public", jobs=1)
    assert len(per_event) >= 2 and len(site.projects) > slides._RUNS.limit
    assert sorted(cut) == sorted(site.projects)


def test_a_session_save_renders_the_event_deck_slides_of_the_changed_pitch_alone(
    tmp_archive: ArchiveFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a session, an event's deck keeps each pitch's "next up" and title slides: a
    pitch edit renders those of no pitch, a rename those of the renamed pitch alone. Each
    deck equals a clean build's."""
    from site_builder.render import deps, slides
    from site_builder.render.build import BuildSession

    made: list[tuple[str, str]] = []
    slide = slides._slide

    def counted(ctx: RenderContext, s: slides.Slide, deck: Any, team: object) -> str:
        if s.kind in ("next", "title") and deck is not None and deck.kind == "event":
            made.append((s.kind, s.card.name if s.card else ""))
        return slide(ctx, s, deck, team)

    monkeypatch.setattr(slides, "_slide", counted)
    deps.forget()
    content, out = tmp_archive(), tmp_path / "public"
    session = BuildSession(content, out, long_lived=True)
    session.build(warm=True)
    deck = out / "spring-hack" / "slides" / "index.html"
    site = archive.load(content)
    pitches = [p for p in site.projects.values() if p.event == "spring-hack"]
    assert len(pitches) >= 2 and made

    def save(change: Any) -> list[tuple[str, str]]:
        site = archive.load(content)
        change(site)
        archive.save(content, site, read=archive.snapshot(content))
        made.clear()
        session.build()
        seen = list(made)
        clean = tmp_path / "clean"
        # In a process of its own: this one's memos hold what the session made.
        command = ["build", "--content", str(content), "--out", str(clean), "--clean"]
        subprocess.run(
            [sys.executable, "-m", "site_builder.cli", *command],
            check=True,
            capture_output=True,
        )
        assert deck.read_bytes() == (clean / "spring-hack" / "slides" / "index.html").read_bytes()
        return seen

    def pitch(site: Site) -> None:
        site.projects[("spring-hack", "river-levels")].pitch += "\n\nOne more line.\n"

    assert save(pitch) == []

    def rename(site: Site) -> None:
        site.projects[("spring-hack", "river-levels")].name = "River heights"

    renamed = save(rename)
    assert renamed and {name for _, name in renamed} == {"River heights"}
    assert "River heights" in deck.read_text()
