"""Document servers as sync sources: Google Docs, Etherpad, HackMD/HedgeDoc, DokuWiki and
Pretalx. Answers are replayed from tests/fixtures/forges/docs (see SOURCES.txt there: real
exports and API examples from public repositories, the HedgeDoc `/info` answer written by
hand in its documented shape)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from conftest import ArchiveFactory
from forge_replay import FORGES, Forge, Reply
from test_sync_engine import sync

from site_builder import archive
from site_builder.config import SiteConfig
from site_builder.model import Site
from site_builder.sync.http import Http, HttpOptions
from site_builder.sync.providers import Router, routes
from site_builder.sync.settings import HostSettings, SyncConfig

DOCS = FORGES / "docs"
DEMO = Path(__file__).resolve().parents[1] / "content"
KEY = ("spring-hack", "river-levels")
GDOC = "https://docs.google.com/document/d"
PUB_ID = "2PACX-1vSCRQqhrDy3dxpj7aW7xsUHSm9R7h2W5kv2UajcQ0Xb6zAD1bNym_VzbixtWDFN7uNqjJAAJvepoFyt"


def body(name: str, content_type: str) -> Reply:
    return Reply(200, [("Content-Type", content_type)], (DOCS / name).read_bytes())


def html(name: str) -> Reply:
    return body(name, "text/html; charset=utf-8")


def text(name: str) -> Reply:
    return body(name, "text/plain; charset=utf-8")


def synced(content: Path, event: str, slug: str) -> str:
    return (content / "synced" / event / f"{slug}.md").read_text(encoding="utf-8")


def archive_syncing(
    tmp_archive: ArchiveFactory, url: str, hosts: tuple[HostSettings, ...] = ()
) -> Path:
    def edit(site: Site) -> None:
        site.projects[KEY].autotext_url = url
        site.projects[KEY].summary = ""
        if hosts:
            config = site.config
            site.config = SiteConfig(
                title=config.title, license=config.license, sync=SyncConfig(hosts=hosts)
            )

    return tmp_archive(edit=edit)


def test_demo_sync_fills_the_readmes_of_its_google_docs_and_etherpad_projects(
    tmp_path: Path,
) -> None:
    content = tmp_path / "content"
    shutil.copytree(DEMO, content, ignore=shutil.ignore_patterns(".jamdat"))
    forge = Forge()
    for pub in (
        PUB_ID,
        "2PACX-1vS9xHTpm8_1Rfp8nDGgMAy7dRBODiZlOR54St1Ke_gxal2vrrIdXcidbYcng1S41NTJq4wQ_Xgp2qv9",
    ):
        forge.add(f"{GDOC}/e/{pub}/pub", html("googledocs_published.html"))
    for doc in (
        "1UDDrAD4e0MABW5e8JeldpsHP4vVBrAPgVh5xBBrXAxs",
        "10E5EHEfMw5FPAUpkwPYzYr6p6ZJq0LwsPRs2S2u47no",
    ):
        forge.add(f"{GDOC}/{doc}/export", html("googledocs_export.html"))
    forge.add(
        "https://pad.okfn.de/p/generative-ai-copyright-guide/export/txt",
        text("etherpad_default_pad.txt"),
    )

    report = sync(content, forge)

    updated = {(o.event, o.slug) for o in report.outcomes if o.status == "updated"}
    published = [
        ("glamhack-2023", "accessibility-of-cultural-events"),
        ("glamhack-2023", "linked-data-approach-for-the-description-of-heritage"),
    ]
    exported = [
        ("glamhack-2023", "blog-post-introducing-the-glamhack23-projects-in-wiki-loves"),
        ("open-legal-lab-2024", "verlinkung-von-entscheiden-register-fur-ruckverlinkung"),
    ]
    pad = ("open-legal-lab-2024", "innocent-until-prompted-guilty")
    assert {*published, *exported, pad} <= updated
    for key in published:
        readme = synced(content, *key)
        assert readme.startswith("Welcome to HackMatch, the easiest way")
        assert "[HackMatch](http://hackmatch.com)" in readme
        assert "[twitter.com/davefontenot](https://twitter.com/davefontenot)" in readme
        assert "<style" not in readme and "c0{" not in readme
    for key in exported:
        readme = synced(content, *key)
        assert readme.startswith("Industry 4.0 brought digital transformation")
        assert "\n## References\n" in readme
        assert "![](https://docs.google.com/images/srm_d1_summary.jpg)" in readme
    assert synced(content, *pad).startswith("Welcome to Etherpad!\n\nThis pad text")
    export_requests = [str(r.url) for r in forge.sent(f"{GDOC}/1UDD")]
    assert export_requests == [
        f"{GDOC}/1UDDrAD4e0MABW5e8JeldpsHP4vVBrAPgVh5xBBrXAxs/export?format=html"
    ]


def test_google_doc_that_is_not_public_fails_with_a_reason(tmp_archive: ArchiveFactory) -> None:
    url = f"{GDOC}/1UDDrAD4e0MABW5e8JeldpsHP4vVBrAPgVh5xBBrXAxs/edit"
    content = archive_syncing(tmp_archive, url)
    login = "https://accounts.google.com/ServiceLogin"
    forge = Forge()
    forge.add(
        f"{GDOC}/1UDDrAD4e0MABW5e8JeldpsHP4vVBrAPgVh5xBBrXAxs/export",
        Reply(302, [("Location", f"{login}?continue=x")]),
    )
    forge.add(login, Reply(200, [("Content-Type", "text/html")], b"<title>Sign in</title>"))

    report = sync(content, forge)

    [outcome] = report.outcomes
    assert outcome.status == "failed"
    assert "is not public" in outcome.reason and url in outcome.reason


def test_hackmd_note_gives_title_summary_and_readme_without_front_matter(
    tmp_archive: ArchiveFactory,
) -> None:
    content = archive_syncing(tmp_archive, "https://hackmd.io/@oleg/BJW8Xxy1A?view")
    forge = Forge()
    forge.add(
        "https://hackmd.io/@oleg/BJW8Xxy1A/info", body("hackmd_info.json", "application/json")
    )
    forge.add(
        "https://hackmd.io/@oleg/BJW8Xxy1A/download",
        body("hackmd_slide-example.md", "text/markdown; charset=UTF-8"),
    )

    report = sync(content, forge)

    assert report.outcomes[0].status == "updated"
    readme = synced(content, *KEY)
    assert readme.startswith("# Slide example\n\nThis feature still in beta")
    assert "transition: slide" not in readme and not readme.startswith("---")
    project = archive.load(content).projects[KEY]
    assert project.summary == "This feature still in beta, may have some issues."


def test_self_hosted_dokuwiki_page_becomes_a_markdown_readme(tmp_archive: ArchiveFactory) -> None:
    page = "https://wiki.example.org/doku.php?id=project:welcome"
    hosts = (HostSettings(host="wiki.example.org", kind="dokuwiki"),)
    content = archive_syncing(tmp_archive, page, hosts)
    forge = Forge()
    forge.add("https://wiki.example.org/doku.php", text("dokuwiki_welcome.txt"))

    report = sync(content, forge)

    assert report.outcomes[0].status == "updated", report.outcomes
    [request] = forge.sent("https://wiki.example.org/")
    assert (
        request.url.params["do"] == "export_raw" and request.url.params["id"] == "project:welcome"
    )
    readme = synced(content, *KEY)
    assert readme.startswith("# Welcome to your new EasyWiki\n")
    assert "\n## Create your first pages\n" in readme
    assert "[syntax page](https://wiki.example.org/doku.php?id=wiki:syntax)" in readme
    assert "[EasyWiki User Forum](https://forum.dokuwiki.org)" in readme
    assert "[[" not in readme and "======" not in readme


def test_dokuwiki_that_answers_html_fails_with_a_reason(tmp_archive: ArchiveFactory) -> None:
    page = "https://wiki.example.org/start"
    hosts = (HostSettings(host="wiki.example.org", kind="dokuwiki"),)
    content = archive_syncing(tmp_archive, page, hosts)
    forge = Forge().add(page, html("googledocs_published.html"))

    [outcome] = sync(content, forge).outcomes

    assert outcome.status == "failed"
    assert "expected the source of the DokuWiki page" in outcome.reason and page in outcome.reason


def test_pretalx_talk_gives_its_abstract_as_summary_and_description_as_readme(
    tmp_archive: ArchiveFactory,
) -> None:
    content = archive_syncing(tmp_archive, "https://pretalx.com/sampleconf/talk/ABCDE/")
    forge = Forge()
    forge.add(
        "https://pretalx.com/api/events/sampleconf/talks/ABCDE/",
        body("pretalx_talk_ABCDE.json", "application/json"),
    )

    report = sync(content, forge)

    assert report.outcomes[0].status == "updated"
    assert archive.load(content).projects[KEY].summary == "A good talk."
    readme = synced(content, *KEY)
    assert readme.startswith("I will expand upon the properties of the talk")
    assert readme.rstrip().endswith("**Speakers:** Jane")
    assert len(forge.requests) == 1


KINDS = {
    f"{GDOC}/1UDDrAD4e0MABW5e8JeldpsHP4vVBrAPgVh5xBBrXAxs/edit?usp=sharing": "googledocs",
    f"{GDOC}/e/{PUB_ID}/pub": "googledocs",
    "https://docs.google.com/presentation/d/e/2PACX-1vRLpqV/embed": "web",
    "https://pad.okfn.de/p/innocentuntilpromptedguilty": "etherpad",
    "https://pad.okfn.de/": "web",
    "https://hackmd.io/@oleg/BJW8Xxy1A": "hackmd",
    "https://hackmd.io/features": "web",
    "https://www.dokuwiki.org/doku.php?id=wiki:welcome": "dokuwiki",
    "https://pretalx.com/sampleconf/talk/ABCDE/": "pretalx",
    "https://pretalx.com/sampleconf/schedule/": "web",
}


def test_document_urls_go_to_their_provider_and_other_pages_of_those_hosts_to_the_web() -> None:
    async def main() -> dict[str, str]:
        async with Http(HttpOptions(), transport=Forge().transport) as http:
            router = Router(http, routes(SyncConfig()))
            return {url: router.resolve(url)[0].kind for url in KINDS}

    assert asyncio.run(main()) == KINDS
