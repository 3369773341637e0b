"""The site's Markdown engine (markdown-it-pyrs) against the former one (markdown-it-py, in
tests/markdown_reference.py), on every text of the demo archive, of the Dribdat fixtures
and of a generated corpus: the final HTML (sanitized, made accessible) is the same but for
the differences listed in `EXCEPTIONS`, each with why it is acceptable.

HTML is compared in a canonical form: attributes in name order, whitespace runs outside
`<pre>` as one space, whitespace-only text and spaces that end or begin a block dropped.
The engines differ there without a difference on the page: the former one ends a text's
last raw HTML block without its line break, and the sanitizer writes a task-list
checkbox's `type` where the engine put it."""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from markdown_reference import reference_html
from selectolax.lexbor import LexborHTMLParser, LexborNode

from site_builder import archive
from site_builder.importers.dribdat import import_paths
from site_builder.model import Site
from site_builder.render.markdown import render_markdown

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import corpus  # noqa: E402

CORPUS_TEXTS = 150
_SPACE = re.compile(r"\s+")
_BLOCKS = {"body", "p", "li", "td", "th", "div", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"}


def canonical(html: str) -> list[str]:
    """The HTML as a list of tags and texts, with only insignificant differences removed."""
    body = LexborHTMLParser(f"<body>{html}</body>").body
    out: list[str] = []
    if body is not None:
        _walk(body, False, out)
    return out


def _walk(node: LexborNode, pre: bool, out: list[str]) -> None:
    for child in node.iter(include_text=True):
        if child.tag == "-text":
            text = child.text_content or ""
            if not pre:
                text = _SPACE.sub(" ", text) if text.strip() else ""
                if node.tag in _BLOCKS:  # a block's leading and trailing spaces never show
                    text = text.lstrip() if child.prev is None else text
                    text = text.rstrip() if child.next is None else text
            if text:
                out.append(text)
            continue
        attrs = " ".join(f'{k}="{v}"' for k, v in sorted(child.attributes.items()))
        out.append(f"<{child.tag} {attrs}>")
        _walk(child, pre or child.tag == "pre", out)
        out.append(f"</{child.tag}>")


def _no_heading_ids(tokens: list[str]) -> list[str]:
    return [
        t.split(" ", 1)[0] + " >" if t[:3] in {f"<h{n}" for n in range(1, 7)} else t for t in tokens
    ]


def _strong_as_stars(tokens: list[str]) -> list[str]:
    """`<strong>x</strong>` written back as `**x**`, texts joined."""
    out: list[str] = []
    for t in tokens:
        t = "**" if t in ("<strong >", "</strong>") else t
        if out and not out[-1].startswith("<") and not t.startswith("<"):
            out[-1] += t
        else:
            out.append(t)
    return out


class Exception_(NamedTuple):
    what: str
    why: str
    same_once: Callable[[list[str]], list[str]]
    """Both canonical forms, passed through this, must be equal: the difference is only
    what `what` says."""


RAW_HEADING = Exception_(
    "a heading written as raw HTML (`<h2><b>Title</b></h2>`) gets an id",
    "the former engine gave ids only to Markdown headings; now every heading can be linked "
    "to, and ids stay unique",
    _no_heading_ids,
)
EMOJI_EMPHASIS = Exception_(
    "`**Moonshot 🌚**We` is bold",
    "CommonMark 0.31 counts symbols such as emoji as punctuation, so `**` between an emoji "
    "and a letter closes nothing; markdown-it-pyrs follows the earlier rule, as GitHub does, "
    "and the team meant bold",
    _strong_as_stars,
)

EXCEPTIONS: dict[str, Exception_] = {
    "demo event open-legal-lab-2024 description": RAW_HEADING,
    "demo project open-legal-lab-2024/legal-lens-tailored-case-notification pitch": (
        EMOJI_EMPHASIS
    ),
}
"""Text id: how it differs and why that is acceptable."""


def _texts_of(site: Site, source: str) -> Iterator[tuple[str, str]]:
    for slug, event in site.events.items():
        yield f"{source} event {slug} description", event.description
        yield f"{source} event {slug} instruction", event.instruction
    for (event_slug, slug), project in site.projects.items():
        yield f"{source} project {event_slug}/{slug} pitch", project.pitch
        yield f"{source} project {event_slug}/{slug} readme", project.readme
    for key, activity in site.activities.items():
        yield f"{source} post {key}", activity.content


def texts(tmp: Path) -> dict[str, str]:
    """Every distinct text, by the id of where it was first found."""
    found: dict[str, str] = {}
    sources = [("demo", ROOT / "content")]
    for name in ("dribdat", "dribdat_csv"):
        import_paths(tmp / name, [ROOT / "tests" / "fixtures" / name], timezone="UTC")
        sources.append((name, tmp / name))
    for source, content in sources:
        for key, text in _texts_of(archive.load(content), source):
            found.setdefault(text, key)
    rng = random.Random(19)
    for i in range(CORPUS_TEXTS):
        found.setdefault(corpus.pitch(rng, rng.choice((800, 1500, 3000, 6000))), f"corpus {i}")
    return {key: text for text, key in found.items() if text.strip()}


@pytest.fixture(scope="module")
def every_text(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return texts(tmp_path_factory.mktemp("engines"))


def test_both_engines_render_every_text_alike_but_for_the_listed_exceptions(
    every_text: dict[str, str],
) -> None:
    assert len(every_text) > 300
    differ: dict[str, tuple[list[str], list[str]]] = {}
    for key, text in every_text.items():
        old, new = canonical(reference_html(text)), canonical(render_markdown(text))
        if old != new:
            differ[key] = (old, new)
    unlisted = sorted(set(differ) - set(EXCEPTIONS))
    assert not unlisted, f"new differences: {unlisted}"
    assert sorted(EXCEPTIONS) == sorted(differ), "a listed difference is gone: drop it"
    for key, (old, new) in differ.items():
        same = EXCEPTIONS[key].same_once
        assert same(old) == same(new), f"{key} differs in more than: {EXCEPTIONS[key].what}"


def test_canonical_form_keeps_what_shows() -> None:
    assert canonical("<p>a  b \n</p>\n") == canonical("<p>a b</p>")
    assert canonical('<input type="checkbox" class="x">') == canonical(
        '<input class="x" type="checkbox">'
    )
    assert canonical("<p>a <b>b</b></p>") != canonical("<p>a<b>b</b></p>")
    assert canonical("<pre>a  b</pre>") != canonical("<pre>a b</pre>")
    assert canonical('<h2 id="a">x</h2>') != canonical('<h2 id="b">x</h2>')


@pytest.mark.parametrize("render", [render_markdown, reference_html], ids=["site", "reference"])
def test_bare_domains_are_not_links_on_either_engine(render: Callable[[str], str]) -> None:
    html = render(
        "See example.org, www.example.org, https://example.net/a?b=1 and mail@example.com."
    )
    links = LexborHTMLParser(html).css("a")
    assert [(a.text(), a.attributes["href"]) for a in links] == [
        ("www.example.org", "http://www.example.org"),
        ("https://example.net/a?b=1", "https://example.net/a?b=1"),
        ("mail@example.com", "mailto:mail@example.com"),
    ]
