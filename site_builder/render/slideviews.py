"""What the title, agenda and "next up" slides tell about projects and events, and the
QR codes that lead the audience from the projector to the pages."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from html import escape

from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from ..model import Event, Project, Site
from . import i18n, urls, views
from .i18n import _
from .index import SiteIndex, is_challenge
from .urls import Urls


@lru_cache(maxsize=4096)
def qr_svg(text: str) -> Markup:
    """An inline SVG QR code of `text`, dark on light with a quiet zone.

    The mask is fixed: choosing the best of eight is two thirds of segno's time, and any
    mask decodes; every deck of a large archive carries a code, so this is on the build's
    hot path.
    """
    import segno  # here: a build whose decks show no code imports none of it (~25 ms)

    code = segno.make(text, error="m", mask=0, boost_error=False, micro=False)
    size = len(code.matrix)
    path: list[str] = []
    for y, row in enumerate(code.matrix):
        x, end = 0, -1  # end: where the row's previous dark run stopped
        while x < size:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < size and row[x]:
                x += 1
            # A one-unit-wide line through the middle of the row covers the run's modules.
            move = f"M{start} {y}.5" if end < 0 else f"m{start - end} 0"
            path.append(f"{move}h{x - start}")
            end = x
    box = size + 8
    label = escape(f"QR code: {text}", quote=True)
    return Markup(
        f'<svg class="qr" viewBox="-4 -4 {box} {box}" role="img" aria-label="{label}" '
        f'shape-rendering="crispEdges"><path fill="#fff" d="M-4 -4h{box}v{box}h-{box}z"/>'
        f'<path stroke="#000" d="{"".join(path)}"/></svg>'
    )


@dataclass(frozen=True, slots=True)
class Card:
    """What a deck tells about a project on its title and "next up" slides."""

    slug: str
    name: str
    summary: str
    team: list[str]
    """Display names of the team members."""
    challenge: str
    """Name of the project's challenge (category), if any."""
    stage: str
    is_challenge: bool
    image: str
    url: str
    """Root-relative link to the project page."""
    address: str
    """The project page's absolute URL, or empty when the site has no host name."""
    qr: Markup
    links: list[tuple[str, str]]
    """(label, URL) of the project's own links: website, source code ..."""


def _address(u: Urls, path: str) -> str:
    absolute = u.absolute(path)
    return absolute if "://" in absolute else ""


def card(site: Site, index: SiteIndex, p: Project, *, qr: bool) -> Card:
    """A project's card; `qr` adds a code of its page's address (when the site has one)."""
    u = Urls.of(site.config)
    page = urls.project_dir(p.event, p.slug)
    address = _address(u, page)
    category = site.categories.get((p.event, p.category)) if p.category else None
    links = views.project_links(p)
    return Card(
        slug=p.slug,
        name=p.name.strip(),
        summary=p.summary.strip(),
        team=[views.person(index, m)["name"] for m in p.team_members],
        challenge=category.name if category else "",
        stage=site.stages.label(p.stage, p.event),
        is_challenge=is_challenge(p),
        image=u.media(p.image_url),
        url=u.link(page),
        address=address,
        qr=qr_svg(address) if qr and address else Markup(""),
        links=links,
    )


@dataclass(frozen=True, slots=True)
class DeckEvent:
    """What a deck tells about its event: title and closing slides, header."""

    name: str
    summary: str
    when: str
    zone: str
    location: str
    logo: str
    url: str
    address: str
    qr: Markup


def deck_event(site: Site, index: SiteIndex, e: Event, *, qr: bool) -> DeckEvent:
    u = Urls.of(site.config)
    page = urls.event_dir(e.slug)
    address = _address(u, page)
    when = views.when(index, e)
    return DeckEvent(
        name=e.name,
        summary=e.summary,
        when=when["text"],
        zone=when["zone"],
        location=e.location,
        logo=u.media(e.logo_url),
        url=u.link(page),
        address=address,
        qr=qr_svg(address) if qr and address else Markup(""),
    )


def _deck_labels() -> Markup:
    labels = {
        "Slide {label}": _("Slide %(label)s", label="{label}"),
        "Time is up: {time}": _("Time is up: %(time)s", time="{time}"),
        "Time left: {time}": _("Time left: %(time)s", time="{time}"),
        "Time is up": _("Time is up"),
        "Timer running": _("Timer running"),
        "Timer paused": _("Timer paused"),
        "Screen black: press b to show the slides": _("Screen black: press b to show the slides"),
        "Slides shown": _("Slides shown"),
        "The browser blocked the presenter window: allow pop-ups for this page": _(
            "The browser blocked the presenter window: allow pop-ups for this page"
        ),
        "Presenter view": _("Presenter view"),
        "Current slide": _("Current slide"),
        "Next slide": _("Next slide"),
        "Speaker notes": _("Speaker notes"),
        "Start or pause the countdown (t)": _("Start or pause the countdown (t)"),
        "Presenter: {title}": _("Presenter: %(title)s", title="{title}"),
        "End of the deck": _("End of the deck"),
        "No notes for this slide.": _("No notes for this slide."),
        "Slide {n} of {total}": _("Slide %(n)s of %(total)s", n="{n}", total="{total}"),
        "screen black (b)": _("screen black (b)"),
        "Full screen is not available here": _("Full screen is not available here"),
        "Go to slide {n}": _("Go to slide %(n)s", n="{n}"),
    }
    return htmlsafe_json_dumps(labels, sort_keys=True)


def deck_labels() -> Markup:
    """What slides.js says, by its English words (`{name}` marks where a value goes), as a
    deck's `data-labels` JSON (a strict CSP allows no inline script, not even a JSON
    block); the same on every deck of a language, so written once per language."""
    return i18n.current().made_once("deck_labels", _deck_labels)
