"""Web pages as people read them: in the encoding they declare (header, BOM, `<meta>`) or
one a detector finds, with microdata, JSON-LD and `image_src` when OpenGraph is missing;
undecodable text never stored and repaired later; Hugging Face summaries from the card.

The non-English text is Article 1 of the Universal Declaration of Human Rights in its
official Russian and Japanese versions (https://www.ohchr.org/en/human-rights/universal-
declaration/translations), encoded here the way servers in those languages send pages.
"""
# ruff: noqa: RUF001 - Cyrillic text is the point

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from conftest import ArchiveFactory
from forge_replay import FORGES, FakeClock, Forge, Reply
from test_sync_engine import sync

from site_builder import archive
from site_builder.model import Site
from site_builder.sync.http import Http, HttpOptions
from site_builder.sync.providers import Router, routes
from site_builder.sync.providers.base import Metadata
from site_builder.sync.settings import SyncConfig

UDHR_RU_TITLE = "Всеобщая декларация прав человека"
UDHR_RU = (
    "Все люди рождаются свободными и равными в своем достоинстве и правах. Они наделены "
    "разумом и совестью и должны поступать в отношении друг друга в духе братства."
)
UDHR_JA_TITLE = "世界人権宣言"
UDHR_JA = (
    "すべての人間は、生まれながらにして自由であり、かつ、尊厳と権利とについて平等である。"
    "人間は、理性と良心とを授けられており、互いに同胞の精神をもって行動しなければならない。"
)
PAGE = "https://udhr.example.org/article-1"
KEY = ("spring-hack", "river-levels")


def page(head: str, body: str = "") -> str:
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"


def html_reply(data: bytes, content_type: str = "text/html") -> Reply:
    return Reply(200, [("Content-Type", content_type)], data)


def preview(reply: Reply, url: str = PAGE) -> Metadata:
    forge = Forge().add(url, reply)

    async def main() -> Metadata:
        async with Http(HttpOptions(), transport=forge.transport, clock=FakeClock()) as http:
            provider, target = Router(http, routes(SyncConfig())).resolve(url)
            return await provider.metadata(target)

    return asyncio.run(main())


def ru_page(meta: str) -> str:
    return page(
        f"{meta}<title>{UDHR_RU_TITLE}</title><meta name=description content='{UDHR_RU}'>",
        f"<p>{UDHR_RU}</p>",
    )


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (ru_page('<meta charset="windows-1251">').encode("cp1251"), "text/html"),
        (
            ru_page('<meta http-equiv="Content-Type" content="text/html; charset=KOI8-R">').encode(
                "koi8_r"
            ),
            "text/html",
        ),
        (ru_page("").encode("cp1251"), "text/html; charset=windows-1251"),
        # A server that says UTF-8 for every file, and a page that says otherwise.
        (ru_page('<meta charset="koi8-r">').encode("koi8_r"), "text/html; charset=utf-8"),
    ],
    ids=["windows-1251 meta", "koi8-r http-equiv", "windows-1251 header", "koi8-r over utf-8"],
)
def test_russian_pages_in_their_declared_encodings(body: bytes, content_type: str) -> None:
    meta = preview(html_reply(body, content_type))
    assert (meta.name, meta.summary) == (UDHR_RU_TITLE, UDHR_RU)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-8"])
def test_a_byte_order_mark_names_the_encoding(codec: str) -> None:
    text = page(f"<title>{UDHR_JA_TITLE}</title><meta property=og:description content={UDHR_JA}>")
    body = "\ufeff".encode(codec) + text.encode(codec)
    meta = preview(html_reply(body, "text/html"))
    assert (meta.name, meta.summary) == (UDHR_JA_TITLE, UDHR_JA)


def test_an_undeclared_encoding_is_detected() -> None:
    body = ru_page("").replace("<p>", "<p>" + UDHR_RU * 3).encode("cp1251")
    meta = preview(html_reply(body, "text/html"))
    assert (meta.name, meta.summary) == (UDHR_RU_TITLE, UDHR_RU)


def test_json_ld_gives_title_description_and_image() -> None:
    data = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "Organization", "name": "Publisher", "logo": "/logo.png"},
            {
                "@type": "SoftwareApplication",
                "name": "River levels",
                "description": "Live river levels on a map.",
                "image": [{"@type": "ImageObject", "url": "/shots/map.png"}],
            },
        ],
    }
    script = f'<script type="application/ld+json">{json.dumps(data)}</script>'
    broken = '<script type="application/ld+json">{broken</script>'
    meta = preview(html_reply(page(broken + script).encode()))
    assert meta.name == "River levels"
    assert meta.summary == "Live river levels on a map."
    assert meta.image_url == "https://udhr.example.org/shots/map.png"


def test_json_ld_with_javascript_comments_and_a_trailing_comma_is_read() -> None:
    """udn.com's block as extruct keeps it (tests/samples/custom.invalid): not strict JSON."""
    block = (
        '<script type="application/ld+json">{\n"@context": "http://schema.org",\n'
        '"@type": "NewsArticle",\n'
        '"thumbnailUrl": "https://uc.udn.com.tw/photo/2019/11/11/99/7053890.jpg",\n'
        '"headline": "讓AI挑出感興趣 SparkAmplify精準行銷當紅",\n'
        '"articleSection": "商情", // category\n//"interactionCount": ""\n}</script>'
    )
    html = f"<!DOCTYPE html><html><head>{block}</head><body></body></html>"
    meta = preview(html_reply(html.encode()))
    assert meta.name == "讓AI挑出感興趣 SparkAmplify精準行銷當紅"


def test_microdata_gives_title_description_and_image() -> None:
    body = (
        '<div itemscope itemtype="https://schema.org/SoftwareApplication">'
        '<h1 itemprop="name">River <b>levels</b></h1>'
        '<meta itemprop="description" content="Live river levels &amp; floods.">'
        '<img itemprop="image" src="map.png"></div>'
    )
    meta = preview(html_reply(page("", body).encode()))
    assert meta.name == "River levels"
    assert meta.summary == "Live river levels & floods."
    assert meta.image_url == "https://udhr.example.org/map.png"


def test_link_image_src_gives_the_image() -> None:
    head = '<title>River levels</title><link rel="image_src" href="/img/preview.jpg">'
    meta = preview(html_reply(page(head).encode()))
    assert (meta.name, meta.image_url) == (
        "River levels",
        "https://udhr.example.org/img/preview.jpg",
    )


def test_opengraph_still_wins_over_the_fallbacks() -> None:
    head = (
        '<meta property="og:image" content="/og.png"><link rel="image_src" href="/src.png">'
        '<script type="application/ld+json">{"headline": "LD", "image": "/ld.png"}</script>'
        "<title>Title</title>"
    )
    meta = preview(html_reply(page(head, '<span itemprop="name">Micro</span>').encode()))
    assert (meta.name, meta.image_url) == ("Title", "https://udhr.example.org/og.png")


# ------------------------------------------------------------------ through a whole sync


def syncs(url: str, **fields: str) -> Callable[[Site], None]:
    def edit(site: Site) -> None:
        project = site.projects[KEY]
        project.autotext_url = url
        for name, value in fields.items():
            setattr(project, name, value)
        for other in site.projects.values():
            if other.key != KEY:
                other.autotext_url = other.source_url = ""

    return edit


def test_garbled_summary_is_repaired_on_the_next_sync(tmp_archive: ArchiveFactory) -> None:
    # What an earlier sync stored from a windows-1251 page read as UTF-8.
    garbled = ru_page("").encode("cp1251").decode("utf-8", "replace")
    assert "\ufffd" in garbled
    content = tmp_archive(edit=syncs(PAGE, summary="\ufffd\ufffd\ufffd \ufffd\ufffd\ufffd"))
    forge = Forge().add(PAGE, html_reply(ru_page('<meta charset="windows-1251">').encode("cp1251")))

    report = sync(content, forge)

    [outcome] = report.outcomes
    assert outcome.status == "updated" and "summary" in outcome.changes
    assert archive.load(content).projects[KEY].summary == UDHR_RU


def test_undecodable_text_is_refused_and_said(tmp_archive: ArchiveFactory) -> None:
    content = tmp_archive(edit=syncs(PAGE, summary=""))
    # A UTF-8 page with one stray byte in its description.
    text = page(
        "<meta charset=utf-8><title>River levels</title>"
        "<meta name=description content='Live river levels \udcff on a map.'>",
        "<p>" + "Flood warnings for every river. " * 40 + "</p>",
    )
    body = text.encode("utf-8", "surrogateescape")
    forge = Forge().add(PAGE, html_reply(body, "text/html; charset=utf-8"))

    report = sync(content, forge)

    [outcome] = report.outcomes
    assert outcome.refused == ("summary",)
    assert "not stored, undecodable text (U+FFFD): summary" in outcome.line()
    assert archive.load(content).projects[KEY].summary == ""


def test_huggingface_model_summary_is_the_cards_first_paragraph(
    tmp_archive: ArchiveFactory,
) -> None:
    card = (FORGES / "huggingface/roberta-base_README.md").read_bytes()
    # The API answer of a model whose card has no summary (cardData as in its front matter).
    api: dict[str, Any] = {
        "id": "FacebookAI/roberta-base",
        "modelId": "FacebookAI/roberta-base",
        "tags": ["transformers", "exbert", "license:mit"],
        "cardData": {"language": "english", "tags": ["exbert"], "license": "mit"},
    }
    base = "https://huggingface.co"
    forge = Forge()
    forge.add(f"{base}/api/models/FacebookAI/roberta-base", Reply.json(api))
    readme = html_reply(card, "text/plain")
    forge.add(f"{base}/FacebookAI/roberta-base/resolve/main/README.md", readme)
    content = tmp_archive(edit=syncs(f"{base}/FacebookAI/roberta-base", summary=""))

    sync(content, forge)

    summary = archive.load(content).projects[KEY].summary
    assert summary.startswith(
        "Pretrained model on English language using a masked language modeling (MLM) "
        "objective. It was introduced in this paper and first released in this repository."
    )
    assert summary.endswith("it makes a difference between english and English.")


def test_a_card_of_only_badges_gives_no_summary(tmp_archive: ArchiveFactory) -> None:
    # bert-base-uncased's card in huggingface/transformers (model_cards/, 2020), and a badge.
    card = (
        "---\ntags:\n- exbert\n\nlicense: apache-2.0\n---\n\n"
        '<a href="https://huggingface.co/exbert/?model=bert-base-uncased">\n'
        '\t<img width="300px" src="https://hf-dinosaur.huggingface.co/exbert/button.png">\n</a>\n'
        "\n[![badge](https://img.shields.io/badge/a-b-c.svg)](https://example.org)\n"
    )
    base = "https://huggingface.co"
    forge = Forge()
    api = Reply.json({"id": "google-bert/bert-base-uncased"})
    forge.add(f"{base}/api/models/google-bert/bert-base-uncased", api)
    forge.add(
        f"{base}/google-bert/bert-base-uncased/resolve/main/README.md",
        html_reply(card.encode(), "text/plain"),
    )
    content = tmp_archive(edit=syncs(f"{base}/google-bert/bert-base-uncased", summary=""))
    sync(content, forge)
    assert archive.load(content).projects[KEY].summary == ""
