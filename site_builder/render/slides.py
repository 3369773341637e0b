"""Slide decks: a project's pitch as slides, and an event's whole pitch session.

A pitch written as a deck (Dribdat's "slide mode", `is_webembed`) is split on lines of
`---` or `***` (outside code fences), as Dribdat's reveal.js slides are; any other pitch
gets a generated deck with one slide per top-level section, its rules kept as rules. A
paragraph starting with `Note:` begins the slide's speaker notes. Decks link to their
assets relatively, so a copy of the site works from disk.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from markupsafe import Markup

from ..archive.textlimits import MAX_PITCH_PARTS
from ..model import Project
from . import i18n, urls
from .deps import Memo
from .i18n import _
from .index import SiteIndex, is_challenge
from .outputs import Output, RenderContext, digest
from .pages import render_page
from .sanitize import absolutize
from .slidehtml import Span, clean_html, heading_text, paginate, split_html
from .slideviews import Card, DeckEvent, card, deck_event
from .urls import Urls

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_SEPARATOR = re.compile(r"^ {0,3}(?:---|\*\*\*)[ \t]*$")
_NOTE = re.compile(r"^ {0,3}notes?:[ \t]*", re.IGNORECASE)
_HEADING = re.compile(r"^(#{1,6})(?:[ \t]|$)")
AGENDA_SIZE = 12
"""Teams listed on one agenda slide (two columns of six)."""


@dataclass(frozen=True, slots=True)
class Part:
    """The Markdown of one slide: what the audience sees and the speaker's notes."""

    text: str
    notes: str = ""


@dataclass(frozen=True, slots=True)
class Pitch:
    """A pitch cut into slides; `separated` when its author wrote separators."""

    parts: list[Part]
    separated: bool
    level: int = 0
    """The heading level a generated deck was split at (0: not split at headings)."""


@dataclass(slots=True)
class _Lines:
    """What one pass over a pitch's lines finds: which lines are ordinary Markdown (not
    in or opening a code fence), the separators and headings among them, and the lines
    that may begin speaker notes."""

    free: list[bool]
    separators: list[int]
    headings: list[tuple[int, int]]
    """(line, level) of each heading."""
    notes: list[int]


def _scan(lines: list[str], text: str, slide_mode: bool) -> _Lines:
    """Read the lines once, tracking code fences (a line inside or opening one is not
    Markdown structure)."""
    fenced = "```" in text or "~~~" in text
    noted = "note" in text.casefold()
    found = _Lines([], [], [], [])
    fence = ""
    for i, line in enumerate(lines):
        if fenced:
            match = _FENCE.match(line)
            if fence:
                closing = match is not None and match.group(1).startswith(fence)
                if closing and not line.strip().lstrip(fence[0]):
                    fence = ""
                found.free.append(False)
                continue
            if match and not (match.group(1)[0] == "`" and "`" in line[match.end() :]):
                fence = match.group(1)
                found.free.append(False)
                continue
        found.free.append(True)
        if slide_mode and _SEPARATOR.match(line):
            found.separators.append(i)
        elif heading := _HEADING.match(line):
            found.headings.append((i, len(heading.group(1))))
        if noted and _NOTE.match(line):
            found.notes.append(i)
    return found


def _split_level(headings: list[tuple[int, int]]) -> int:
    """The heading level a generated deck splits at: the highest level used at least twice
    (a lone `# Title` above `## Sections` is not a section), else the highest used."""
    levels = [level for _, level in headings]
    for level in sorted(set(levels)):
        if levels.count(level) > 1:
            return level
    return min(levels, default=0)


def _part(lines: list[str], a: int, b: int, notes: list[int]) -> Part:
    """The slide of lines `a` to `b`, split at the first paragraph in it starting with
    `Note:` (`notes`: the lines that start with it)."""
    for i in notes:
        if a <= i < b and (i == a or not lines[i - 1].strip()):
            rest = [_NOTE.sub("", lines[i], count=1), *lines[i + 1 : b]]
            return Part("\n".join(lines[a:i]).strip("\n"), "\n".join(rest).strip())
    return Part("\n".join(lines[a:b]).strip("\n"))


def split_pitch(markdown: str, slide_mode: bool = True) -> Pitch:
    """The slides of a pitch: in `slide_mode`, at `---`/`***` lines if it has any; else one
    slide per top-level section. Blank slides are left out. The lines are read once."""
    text = markdown.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    found = _scan(lines, text, slide_mode)
    cuts = found.separators
    level = 0
    if cuts:
        bounds = [(a + 1, b) for a, b in zip([-1, *cuts], [*cuts, len(lines)], strict=True)]
    else:
        level = _split_level(found.headings)
        starts = [i for i, found_level in found.headings if found_level == level]
        bounds = list(zip([0, *starts], [*starts, len(lines)], strict=True))
    parts = [_part(lines, a, b, found.notes) for a, b in bounds]
    kept = [p for p in parts if p.text.strip() or p.notes.strip()]
    return Pitch(kept, bool(cuts), level)


@dataclass(frozen=True, slots=True)
class Slide:
    """One slide as the template shows it."""

    kind: str
    """title, content, links, event, agenda, next or end."""
    label: str
    """Plain text naming the slide, for the overview and screen readers."""
    html: str = ""
    notes: str = ""
    card: Card | None = None
    team: int = 0
    """Number of the pitch the slide belongs to (0: none); each pitch has one countdown."""
    titled: bool = False
    """Whether `html` starts with its own heading."""
    number: int = 0
    """The pitch a "next up" slide announces."""
    items: tuple[tuple[int, Card], ...] = ()
    links: tuple[tuple[str, str], ...] = ()


def pitch_key(p: Project) -> tuple[bool, int, bool, str, str]:
    """Where a project pitches: numbered ones first (`pitch_order`), then challenges, then
    teams, each by name (the console lists pitches in this order too)."""
    return (
        p.pitch_order is None,
        p.pitch_order or 0,
        not is_challenge(p),
        p.name.casefold(),
        p.slug,
    )


def presenting_order(index: SiteIndex, event: str, challenges: bool = True) -> list[Project]:
    """The event's visible projects in pitch order (`pitch_key`); challenges only if
    `challenges`."""
    shown = [p for p in index.projects.get(event, ()) if challenges or not is_challenge(p)]
    return sorted(shown, key=pitch_key)


def _rendered(ctx: RenderContext, text: str, base: str) -> str:
    return clean_html(absolutize(ctx.markdown(text), base, Urls.of(ctx.site.config)))


@dataclass(frozen=True, slots=True)
class Deck:
    """What the slides of one deck share."""

    kind: str
    """project or event."""
    event: DeckEvent
    pitches: int
    minutes: str
    """The time each pitch has, for the event deck's title slide."""
    key: str = field(init=False, repr=False, compare=False)
    """A digest of the rest: what the slides made for this deck are kept under."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", digest(self.kind, self.event, self.pitches, self.minutes))


@dataclass(frozen=True, slots=True)
class Marks:
    """Markers that `_slide.html` writes for a slide's number (in its id, and again in its
    label), the deck's slide count and the pitch's number, and that a pitch's slides hold
    for the way to the site's root: a pitch's slides are rendered once for its own deck and
    its event's (which lie at different depths), and numbered and linked when each deck is
    assembled. They start with a NUL and a token drawn per process, so no text of the
    archive holds them."""

    number: Markup
    again: Markup
    count: Markup
    team: Markup
    root: Markup


_TOKEN = "\x00" + secrets.token_hex(8)
MARKS = Marks(*(Markup(_TOKEN + letter) for letter in "nactr"))
_NUMBERS = re.compile(re.escape(_TOKEN) + "([nacr])")
_RUN = re.compile(re.escape(_TOKEN) + r"s(\d+);")


def _number(html: str, count: int, root: str) -> str:
    """The deck with its slides numbered in order, its slide count and its way to the
    site's root filled in."""
    n = 0

    def fill(match: re.Match[str]) -> str:
        nonlocal n
        kind = match.group(1)
        if kind == "n":
            n += 1
        return root if kind == "r" else str(count) if kind == "c" else str(n)

    return _NUMBERS.sub(fill, html)


def _slide(ctx: RenderContext, s: Slide, deck: Deck | None, team: object) -> str:
    """One slide's HTML, rendered by the `slide` macro of `_slide.html`; `team` is the
    number of the pitch it belongs to (0: none), or its marker."""
    macro = ctx.env.get_template("_slide.html").module.slide  # type: ignore[attr-defined]
    return str(macro(s, deck, MARKS, team))


_RUNS: Memo[str] = Memo(limit=512)
"""Each pitch's cut slides as HTML (title slide aside), kept while what they show is
unchanged. An event's deck follows its projects' decks in the plan, so it finds every
pitch rendered already while the memo holds an event's worth (the last used are kept:
~7 kB each, a bound on what each rendering process holds)."""


_CARDS: Memo[tuple[Card, str]] = Memo(limit=1024)
"""Each pitch's card in its event's deck, with its digest, kept while what it shows is
unchanged: a save in a session makes the edited project's again, not its event's hundred."""


def _deck_card(ctx: RenderContext, event: str, slug: str) -> tuple[Card, str]:
    """A project's card (without a QR code) and its digest, kept in `_CARDS` by a session."""

    def make() -> tuple[Card, str]:
        # Read through the context, so the memo knows the card depends on the record.
        found = card(ctx.site, ctx.index, ctx.site.projects[(event, slug)], qr=False)
        return found, digest(found)

    return _CARDS.get((event, slug), ctx.sources, make) if ctx.sources.lasting else make()


_INTROS: Memo[tuple[str, str]] = Memo(limit=512)
"""Each pitch's "next up" and title slides in its event's deck, kept while the deck and
the pitch's card are unchanged: a save in a session renders them for the edited pitch
alone, not for the event's hundred (the last used are kept, as for `_RUNS`)."""


def _run(ctx: RenderContext, p: Project, c: Card, card_digest: str) -> str:
    """A pitch's slides, with markers for their numbers, the pitch's number and the way to
    the site's root (its links are made relative once, not in every deck)."""

    def make() -> str:
        # Read through the context, so the memo knows the run depends on the record.
        record = ctx.site.projects[p.key]
        html = "".join(_slide(ctx, s, None, MARKS.team) for s in _cut_pitch(ctx, record, c))
        return _relative(html, Urls.of(ctx.site.config).base_path, MARKS.root)

    return _RUNS.get((*p.key, card_digest), ctx.sources, make)


def _pitch(
    ctx: RenderContext,
    deck: Deck,
    p: Project,
    c: Card,
    team: int,
    runs: list[str],
    card_digest: str = "",
) -> tuple[str, str]:
    """A project's slides in a deck: its "next up" slide (in an event's deck, from the
    second pitch on), then its title slide and its pitch cut into slides, which stands in
    the deck as a marker until the deck is assembled (see `_deck`). `card_digest` is the
    card's digest, when known."""
    card_digest = card_digest or digest(c)

    def intro() -> tuple[str, str]:
        next_up = ""
        if team > 1:
            label = _("Next up: %(name)s", name=c.name)
            next_up = _slide(ctx, Slide("next", label, card=c, number=team), deck, 0)
        return next_up, _slide(ctx, Slide("title", c.name, card=c, team=team), deck, team)

    if deck.kind == "event":
        next_up, title = _INTROS.get((deck.key, *p.key, card_digest, team), ctx.sources, intro)
    else:
        next_up, title = intro()  # a project's deck is its title's only one
    runs.append(_run(ctx, p, c, card_digest).replace(MARKS.team, str(team)))
    return next_up, f"{title}{_TOKEN}s{len(runs) - 1};"


def _cut_pitch(ctx: RenderContext, p: Project, c: Card) -> list[Slide]:
    """A pitch's slides after its title slide: its parts; a generated deck continues long
    sections on further slides and ends with the project's links, if it has any."""
    base = p.legacy_url or ctx.site.events[p.event].legacy_url
    # Dribdat reads separators as slide breaks only in its "slide mode": elsewhere they are
    # rules inside a long text, and cutting there gives slides too full to read.
    pitch = split_pitch(p.pitch, slide_mode=p.is_webembed is True)
    if len(pitch.parts) > MAX_PITCH_PARTS:
        pitch = Pitch([Part(p.pitch)], separated=False)
    bodies: Sequence[tuple[str, list[Span] | None]] | None = None
    if not pitch.separated and not any(part.notes for part in pitch.parts):
        # Cut the whole pitch's HTML (already rendered for the project page) rather than
        # render every section again.
        bodies = split_html(_rendered(ctx, p.pitch, base), pitch.level, len(pitch.parts))
    if bodies is None:
        bodies = [(_rendered(ctx, part.text, base), None) for part in pitch.parts]
    slides: list[Slide] = []
    for part, (body, spans) in zip(pitch.parts, bodies, strict=True):
        notes = _rendered(ctx, part.notes, base) if part.notes else ""
        heading = ""
        for page in [body] if pitch.separated else paginate(body, spans=spans):
            titled = page.lstrip().startswith("<h")
            heading = heading_text(page) if titled else heading
            if titled:
                label = heading
            elif heading:
                label = _("%(heading)s (continued)", heading=heading)
            else:
                label = f"{c.name} ({len(slides) + 2})"  # slide 1 is the title
            slides.append(Slide("content", label, page, notes, c, titled=titled))
            notes = ""
    if not pitch.separated and c.links:
        slides.append(
            Slide("links", _("Links: %(name)s", name=c.name), card=c, links=tuple(c.links))
        )
    return slides


def _root(path: str) -> str:
    """The relative way from an output file to the site's root: `a/b/index.html` -> `../../`."""
    return "../" * path.count("/")


def _relative(html: str, base_path: str, root: str) -> str:
    """Root-relative links to the site made relative, so a copy of the site works from disk.
    Attributes are matched after one space, as templates and the sanitizer write them: a
    literal prefix lets the regex engine skip ahead, five times faster on a whole deck."""
    for attr in ("href", "src"):
        pattern = re.compile(f' {attr}="{re.escape(base_path)}(?!/)')
        html = pattern.sub(f' {attr}="{root}', html)
    return html


def _deck(
    ctx: RenderContext,
    path: str,
    title: str,
    deck: Deck,
    sections: list[str],
    runs: list[str],
    **extra: Any,
) -> str:
    """A deck page of `sections` (slides as HTML, with markers) and the pitches' `runs`
    they mark: the page's own links are made relative before the runs (relative already)
    are put in, so that no pass reads every pitch again; then the slides are numbered."""
    u = Urls.of(ctx.site.config)
    root = _root(path)
    html = render_page(
        ctx,
        "slides.html",
        path,
        title=title,
        sections=[Markup(section) for section in sections],
        count=MARKS.count,
        kind=deck.kind,
        root=root,
        seconds=ctx.site.config.pitch_seconds,
        minutes=deck.minutes,
        **extra,
    )
    html = _RUN.sub(lambda m: runs[int(m.group(1))], _relative(html, u.base_path, root))
    return _number(html, html.count(str(MARKS.number)), root)


def _minutes(ctx: RenderContext) -> str:
    return f"{round(ctx.site.config.pitch_seconds / 60, 1):g}"


@i18n.in_event_language("event")
def project_deck(ctx: RenderContext, event: str, slug: str) -> str:
    """`/<event>/<project>/slides/`: one project's pitch."""
    p = ctx.site.projects[(event, slug)]
    e = ctx.site.events[event]
    c = card(ctx.site, ctx.index, p, qr=True)
    deck = Deck("project", deck_event(ctx.site, ctx.index, e, qr=False), 1, _minutes(ctx))
    runs: list[str] = []
    return _deck(
        ctx,
        urls.page_file(slides_dir(event, slug)),
        _("%(name)s \u2013 slides", name=p.name),
        deck,
        [_pitch(ctx, deck, p, c, 1, runs)[1]],
        runs,
        back=c.url,
        back_label=_("Project page"),
    )


@i18n.in_event_language("event")
def event_deck(ctx: RenderContext, event: str) -> str:
    """`/<event>/slides/`: every pitch in presenting order, with agenda and "next up"."""
    site, index = ctx.site, ctx.index
    e = site.events[event]
    info: DeckEvent = deck_event(site, index, e, qr=True)
    shown = presenting_order(index, event, challenges=site.config.deck_challenges)
    carded = [_deck_card(ctx, p.event, p.slug) for p in shown]
    cards = [c for c, _digest in carded]
    deck = Deck("event", info, len(cards), _minutes(ctx))
    sections = [_slide(ctx, Slide("event", e.name), deck, 0)]
    numbered = list(enumerate(cards, start=1))
    runs: list[str] = []
    for i in range(0, len(numbered), AGENDA_SIZE):
        agenda = Slide("agenda", _("Agenda"), items=tuple(numbered[i : i + AGENDA_SIZE]))
        sections.append(_slide(ctx, agenda, deck, 0))
    for (n, c), (_card, card_digest) in zip(numbered, carded, strict=True):
        p = site.projects[(event, c.slug)]
        next_up, pitch = _pitch(ctx, deck, p, c, n, runs, card_digest)
        sections.extend([next_up, pitch] if next_up else [pitch])
    sections.append(_slide(ctx, Slide("end", _("Thank you")), deck, 0))
    return _deck(
        ctx,
        urls.page_file(event_slides_dir(event)),
        _("%(name)s \u2013 pitches", name=e.name),
        deck,
        sections,
        runs,
        back=info.url,
        back_label=_("Event page"),
    )


def slides_dir(event: str, project: str) -> str:
    return urls.slides_dir(urls.project_dir(event, project))


def event_slides_dir(event: str) -> str:
    return urls.slides_dir(urls.event_dir(event))


def plan_event(index: SiteIndex, slug: str, out: list[Output]) -> None:
    """The decks of an event and of its visible projects."""
    for p in index.projects.get(slug, ()):
        out.append(
            Output(
                urls.page_file(slides_dir(slug, p.slug)),
                partial(project_deck, event=slug, slug=p.slug),
            )
        )
    out.append(Output(urls.page_file(event_slides_dir(slug)), partial(event_deck, event=slug)))


def is_deck(path: str) -> bool:
    """Whether an output is a slide deck (decks stay out of the sitemap: they are noindex)."""
    return path.endswith("/slides/index.html")
