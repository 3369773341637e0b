"""What sync keeps from a forge when the answer is long, missing, huge, slow or insecure:
every page of commits and releases (up to a bound, with a note), no README instead of a
failure, a cut README with the metadata kept, a breaker for failing hosts only, and
tokens never over plain http."""

from __future__ import annotations

import asyncio
import copy
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ArchiveFactory
from forge_replay import FORGES, FakeClock, Forge, Reply, github, http_file, huggingface_redirect

from site_builder import archive
from site_builder.archive.textlimits import MAX_TEXT_CHARS
from site_builder.model import Site
from site_builder.sync.cache import HttpCache
from site_builder.sync.engine import SyncOptions, SyncReport, sync_content
from site_builder.sync.http import Fetched, FetchError, HostAccess, Http, HttpOptions
from site_builder.sync.providers import Router, routes
from site_builder.sync.providers.base import Window
from site_builder.sync.settings import SyncConfig

GH = "https://api.github.com/repos/PyGithub/PyGithub"
PAGES = "https://api.github.com/repositories/3544490"
"""Where GitHub's `Link: rel="next"` points (the recorded header names the repository id)."""
REPO_URL = "https://github.com/PyGithub/PyGithub"
GL = "https://gitlab.com/api/v4/projects"
GL_URL = "https://gitlab.com/gitea/test_repo"
KEY = ("spring-hack", "river-levels")
DAY = datetime(2023, 8, 28, 10, 0, tzinfo=UTC)
"""Within the event's day (09:00-18:00 Europe/Zurich)."""


def recorded_link(kind: str) -> str:
    """The `Link` header GitHub sent with a recorded `commits` or `releases` page."""
    headers = json.loads((FORGES / "github/response_headers.json").read_text())
    return str(next(v for k, v in headers[f"{kind}.json"]["response_headers"] if k == "Link"))


def link(kind: str, page: int, last: int) -> tuple[str, str]:
    """A `Link` header like the recorded one, for page `page` of `last`."""
    template = recorded_link(kind)
    assert 'rel="next"' in template and 'rel="last"' in template
    base = f"{PAGES}/{kind}?per_page=100"
    parts = [f'<{base}&page={page + 1}>; rel="next"'] if page < last else []
    parts.append(f'<{base}&page={last}>; rel="last"')
    return ("Link", ", ".join(parts))


def commits(first: int, count: int) -> list[dict[str, Any]]:
    """`count` commits shaped like the recorded one, each a minute apart on the event day."""
    recorded = json.loads((FORGES / "github/commits.json").read_text())[0]
    out = []
    for n in range(first, first + count):
        item = copy.deepcopy(recorded)
        item["sha"] = f"{n:040x}"
        item["html_url"] = f"{REPO_URL}/commit/{n:040x}"
        when = (DAY + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        item["commit"]["author"]["date"] = item["commit"]["committer"]["date"] = when
        item["commit"]["message"] = f"Change number {n}"
        out.append(item)
    return list(reversed(out))


def releases(first: int, count: int) -> list[dict[str, Any]]:
    out = []
    for n in range(first, first + count):
        when = (DAY + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append(
            {
                "tag_name": f"v1.{n}",
                "name": f"Version 1.{n}",
                "draft": False,
                "published_at": when,
                "html_url": f"{REPO_URL}/releases/tag/v1.{n}",
                "author": {"login": "EnricoMi"},
            }
        )
    return list(reversed(out))


def paged(forge: Forge, kind: str, pages: list[list[dict[str, Any]]]) -> None:
    """The first page at the repository's URL, the others where its `Link` points."""
    for number, items in enumerate(pages, start=1):
        url = f"{GH}/{kind}" if number == 1 else f"{PAGES}/{kind}"
        forge.add(url, Reply.json(items, headers=[link(kind, number, len(pages))]))


def github_forge(
    commit_pages: list[list[dict[str, Any]]], release_pages: list[list[dict[str, Any]]]
) -> Forge:
    forge = Forge().add(GH, github("repo")).add(f"{GH}/readme", github("readme"))
    paged(forge, "commits", commit_pages)
    paged(forge, "releases", release_pages)
    return forge


def on_event_day(site: Site, url: str = REPO_URL) -> None:
    event = site.events["spring-hack"]
    event.starts_at = datetime(2023, 8, 28, 9, 0)
    event.ends_at = datetime(2023, 8, 28, 18, 0)
    site.projects[KEY].autotext_url = url


def sync(content: Path, forge: Forge, options: HttpOptions | None = None) -> SyncReport:
    return asyncio.run(
        sync_content(
            content,
            SyncOptions(),
            transport=forge.transport,
            clock=FakeClock(),
            env={},
            http_options=options,
        )
    )


def logged(content: Path, action: str) -> list[str]:
    site = archive.load(content)
    return sorted(
        a.ref_url
        for a in site.activities.values()
        if (a.event, a.project) == KEY and a.action == action
    )


def test_47_commits_over_two_pages_are_all_kept(tmp_archive: ArchiveFactory) -> None:
    content = tmp_archive(edit=on_event_day)
    forge = github_forge([commits(17, 30), commits(0, 17)], [[]])

    report = sync(content, forge)

    [outcome] = report.outcomes
    assert outcome.status == "updated" and "47 commits" in outcome.line()
    assert len(logged(content, "commit")) == 47
    second = forge.sent(f"{PAGES}/commits")
    assert [r.url.params["page"] for r in second] == ["2"]


def test_30_releases_over_three_pages_are_all_read() -> None:
    forge = github_forge([[]], [releases(20, 10), releases(10, 10), releases(0, 10)])

    async def main() -> list[str]:
        async with Http(HttpOptions(), transport=forge.transport, clock=FakeClock()) as http:
            provider, target = Router(http, routes(SyncConfig())).resolve(REPO_URL)
            meta = await provider.metadata(target)
            found = await provider.activity(target, meta, Window())
            return [a.key for a in found if a.kind == "release"]

    tags = asyncio.run(main())
    assert sorted(tags) == sorted(f"v1.{n}" for n in range(30))
    assert len(forge.sent(f"{PAGES}/releases")) == 2


def test_max_pages_cuts_the_listing_with_a_note(tmp_archive: ArchiveFactory) -> None:
    content = tmp_archive(edit=on_event_day)
    with (content / "site.yaml").open("a", encoding="utf-8") as handle:
        handle.write("sync:\n  max_pages: 2\n")
    forge = github_forge([commits(20, 10), commits(10, 10), commits(0, 10)], [[]])

    report = sync(content, forge)

    [outcome] = report.outcomes
    assert outcome.status == "updated"
    assert "only the first 2 pages of commits were read (20 commits)" in outcome.line()
    assert len(logged(content, "commit")) == 20
    assert len(forge.sent(f"{PAGES}/commits")) == 1


def gitlab_forge(readme: Reply | None) -> Forge:
    forge = Forge()
    forge.add(f"{GL}/gitea%2Ftest_repo", http_file("gitlab/project_gitea_test_repo.http"))
    if readme is not None:
        forge.add(f"{GL}/15578026/repository/files/README.md/raw", readme)
    forge.add(f"{GL}/15578026/repository/commits", Reply.json([]))
    forge.add(f"{GL}/15578026/releases", http_file("gitlab/releases_15578026.http"))
    return forge


def test_gitlab_readme_404_is_no_readme_and_the_project_is_synced(
    tmp_archive: ArchiveFactory,
) -> None:
    content = tmp_archive(edit=lambda site: on_event_day(site, GL_URL))
    forge = gitlab_forge(None)  # the replay answers 404 to the README

    report = sync(content, forge)

    [outcome] = report.outcomes
    assert outcome.status == "updated", outcome.reason
    project = archive.load(content).projects[KEY]
    assert project.contact_url == f"{GL_URL}/-/issues"
    assert project.download_url == f"{GL_URL}/-/releases/v0.9.99"
    assert not (content / "synced/spring-hack/river-levels.md").exists()
    assert forge.sent(f"{GL}/15578026/repository/files/README.md/raw")


NINE_MB = b"".join(b"Line %07d of a README far too long to keep.\n" % n for n in range(200_000))


def test_9mb_readme_is_cut_with_a_note_and_the_metadata_kept(
    tmp_archive: ArchiveFactory,
) -> None:
    assert len(NINE_MB) > 9_000_000
    content = tmp_archive(edit=lambda site: on_event_day(site, GL_URL))
    forge = gitlab_forge(Reply(200, [("Content-Type", "text/plain")], NINE_MB))

    report = sync(content, forge)

    [outcome] = report.outcomes
    assert outcome.status == "updated", outcome.reason
    assert "README larger than 8 MB: only its start was read" in outcome.line()
    project = archive.load(content).projects[KEY]
    assert project.contact_url == f"{GL_URL}/-/issues"
    assert project.download_url == f"{GL_URL}/-/releases/v0.9.99"
    readme = (content / "synced/spring-hack/river-levels.md").read_text(encoding="utf-8")
    assert readme.startswith("Line 0000000 of a README")
    assert len(readme) <= MAX_TEXT_CHARS + 1 and "was cut here" in readme


RUSSIAN = "Строка README, которая слишком длинна. " * 3


@pytest.mark.parametrize(
    "body",
    [
        "\ufeff".encode("utf-16-le") + ((RUSSIAN + "\n") * 40_000).encode("utf-16-le"),
        (RUSSIAN * 80_000).encode("utf-8"),
    ],
    ids=["utf-16 with a BOM", "one utf-8 line"],
)
def test_a_readme_cut_inside_a_character_is_stored_and_not_called_undecodable(
    tmp_archive: ArchiveFactory, body: bytes
) -> None:
    """The byte limit may fall inside a character; that half character is the cut's."""
    assert len(body) > 8_000_000
    content = tmp_archive(edit=lambda site: on_event_day(site, GL_URL))
    forge = gitlab_forge(Reply(200, [("Content-Type", "text/plain")], body))

    [outcome] = sync(content, forge).outcomes

    assert outcome.status == "updated", outcome.reason
    assert "U+FFFD" not in outcome.line() and "README larger than 8 MB" in outcome.line()
    readme = archive.load(content).projects[KEY].readme
    assert readme.startswith(RUSSIAN.strip()) and "\ufffd" not in readme


def test_github_readme_over_1mb_is_read_from_its_file_and_cut(
    tmp_archive: ArchiveFactory,
) -> None:
    """Over 1 MB GitHub's API sends no content (`encoding: none`), only where the file is."""
    content = tmp_archive(edit=on_event_day)
    forge = github_forge([[]], [[]])
    raw = "https://raw.githubusercontent.com/PyGithub/PyGithub/main/README.md"
    forge.routes[f"{GH}/readme"] = [
        Reply.json(
            {
                "name": "README.md",
                "size": len(NINE_MB),
                "content": "",
                "encoding": "none",
                "html_url": f"{REPO_URL}/blob/main/README.md",
                "download_url": raw,
            }
        )
    ]
    forge.add(raw, Reply(200, [("Content-Type", "text/plain")], NINE_MB))

    report = sync(content, forge)

    [outcome] = report.outcomes
    assert outcome.status == "updated" and "README larger than 8 MB" in outcome.line()
    project = archive.load(content).projects[KEY]
    assert project.webpage_url == "https://pygithub.readthedocs.io/"
    assert project.readme.startswith("Line 0000000 of a README")


HF = "https://huggingface.co"
HF_MODEL = f"{HF}/google-bert/bert-base-uncased"


def test_huggingface_readme_over_8mb_is_cut_and_the_model_synced(
    tmp_archive: ArchiveFactory,
) -> None:
    """The model card goes through the same size limit as every forge's README."""
    content = tmp_archive(edit=lambda site: on_event_day(site, HF_MODEL))
    _moved, found = huggingface_redirect()
    forge = Forge()
    forge.add(f"{HF}/api/models/google-bert/bert-base-uncased", found)
    card = b"---\nlicense: apache-2.0\n---\n\n" + NINE_MB
    forge.add(f"{HF_MODEL}/resolve/main/README.md", Reply(200, [], card))
    commit = {
        "id": "86b5e0934494bd15c9632b12f734a8a67f723594",
        "title": "Update README.md",
        "date": "2023-08-28T10:00:00.000Z",
        "authors": [{"user": "lysandre"}],
    }
    forge.add(f"{HF}/api/models/google-bert/bert-base-uncased/commits/main", Reply.json([commit]))

    report = sync(content, forge)

    [outcome] = report.outcomes
    assert outcome.status == "updated", outcome.reason
    assert "README larger than 8 MB: only its start was read" in outcome.line()
    site = archive.load(content)
    project = site.projects[KEY]
    assert project.source_url == HF_MODEL
    assert project.readme.startswith("Line 0000000 of a README")
    assert len(project.readme) <= MAX_TEXT_CHARS + 1 and "was cut here" in project.readme
    assert any(a.ref_url == f"{HF_MODEL}/commit/{commit['id']}" for a in site.activities.values())


def fetch_all(forge: Forge, urls: list[str], **options: Any) -> list[Fetched | FetchError]:
    async def main() -> list[Fetched | FetchError]:
        out: list[Fetched | FetchError] = []
        http = Http(
            HttpOptions(backoff=0.0, **options), transport=forge.transport, clock=FakeClock()
        )
        async with http:
            for url in urls:
                try:
                    out.append(await http.get(url))
                except FetchError as exc:
                    out.append(exc)
        return out

    return asyncio.run(main())


API = "https://api.github.com/repos"


def test_one_slow_repository_does_not_open_the_breaker_but_a_failing_host_does() -> None:
    forge = Forge().add(f"{API}/big/repo", httpx.ReadTimeout("no answer"))
    forge.add(f"{API}/big/repo/readme", httpx.ReadTimeout("no answer"))
    forge.add(f"{API}/small/repo", Reply.json({"ok": True}))

    results = fetch_all(
        forge,
        [f"{API}/big/repo", f"{API}/big/repo/readme", f"{API}/small/repo"],
        attempts=3,
        breaker_threshold=3,
    )

    assert isinstance(results[0], FetchError) and "timed out" in results[0].reason
    assert isinstance(results[2], Fetched) and results[2].json() == {"ok": True}
    assert len(forge.sent(f"{API}/big/repo")) == 6

    forge = Forge().add(f"{API}/a/b", httpx.ConnectError("connection refused"))
    forge.add(f"{API}/c/d", Reply.json({}))
    results = fetch_all(forge, [f"{API}/a/b", f"{API}/c/d"], attempts=3, breaker_threshold=3)
    assert isinstance(results[1], FetchError) and "not answering" in results[1].reason
    assert len(forge.requests) == 3

    forge = Forge()
    for name in ("a", "b", "c"):
        forge.add(f"{API}/{name}/x", httpx.ReadTimeout("no answer"))
    forge.add(f"{API}/d/x", Reply.json({}))
    urls = [f"{API}/{name}/x" for name in "abcd"]
    results = fetch_all(forge, urls, attempts=1, breaker_threshold=3)
    assert isinstance(results[3], FetchError) and "not answering" in results[3].reason

    forge = Forge().add(f"{API}/a/b", Reply(503)).add(f"{API}/c/d", Reply.json({}))
    results = fetch_all(forge, [f"{API}/a/b", f"{API}/c/d"], attempts=3, breaker_threshold=3)
    assert isinstance(results[1], FetchError) and "not answering" in results[1].reason


def test_a_redirect_to_plain_http_drops_the_token() -> None:
    host = "https://git.example.org/api/v4"
    forge = Forge()
    forge.add(f"{host}/projects/1", Reply(301, [("Location", "http://git.example.org/p/1")]))
    forge.add("http://git.example.org/p/1", Reply.json({"id": 1}))
    forge.add("http://git.example.org/api/v4/projects/2", Reply(401))
    access = {"git.example.org": HostAccess({"PRIVATE-TOKEN": "glpat_secret"}, "GITLAB_TOKEN")}

    async def main() -> list[Fetched | FetchError]:
        out: list[Fetched | FetchError] = []
        async with Http(access=access, transport=forge.transport, clock=FakeClock()) as http:
            for url in (f"{host}/projects/1", "http://git.example.org/api/v4/projects/2"):
                try:
                    out.append(await http.get(url))
                except FetchError as exc:
                    out.append(exc)
        return out

    first, second = asyncio.run(main())

    assert isinstance(first, Fetched) and first.json() == {"id": 1}
    sent = {str(r.url): r.headers for r in forge.requests}
    assert sent[f"{host}/projects/1"]["private-token"] == "glpat_secret"
    assert "private-token" not in sent["http://git.example.org/p/1"]
    assert "private-token" not in sent["http://git.example.org/api/v4/projects/2"]
    assert isinstance(second, FetchError)
    assert "GITLAB_TOKEN is never sent over plain http" in second.reason
    assert "glpat_secret" not in second.reason


def test_gitlab_commits_follow_x_next_page() -> None:
    recorded = http_file("gitlab/releases_15578026.http")
    paging = [(k, v) for k, v in recorded.headers if k.lower().startswith("x-")]
    assert ("X-Next-Page", "") in paging  # the recorded last page: no next one

    def page(first: int, count: int, next_page: str) -> Reply:
        items = [
            {
                "id": f"{n:040x}",
                "title": f"Change number {n}",
                "authored_date": (DAY + timedelta(minutes=n)).isoformat(),
                "author_name": "lafriks",
            }
            for n in range(first, first + count)
        ]
        headers = [(k, next_page if k == "X-Next-Page" else v) for k, v in paging]
        return Reply.json(items, headers=headers)

    forge = gitlab_forge(None)
    forge.routes[f"{GL}/15578026/repository/commits"] = [page(0, 100, "2"), page(100, 20, "")]
    window = Window(DAY, DAY + timedelta(days=1))

    async def main() -> list[str]:
        async with Http(HttpOptions(), transport=forge.transport, clock=FakeClock()) as http:
            provider, target = Router(http, routes(SyncConfig())).resolve(GL_URL)
            found = await provider.activity(target, await provider.metadata(target), window)
            return [a.key for a in found if a.kind == "commit"]

    assert len(asyncio.run(main())) == 120
    second = forge.sent(f"{GL}/15578026/repository/commits")[1]
    assert second.url.params["page"] == "2"
    assert second.url.params["since"] == "2023-08-28T10:00:00Z"


def test_unchanged_repository_still_reads_its_cached_later_pages(tmp_path: Path) -> None:
    """After a 304 on the repository, listings come from the cache, which has no headers:
    the next page must be remembered with the answer."""
    forge = github_forge([commits(17, 30), commits(0, 17)], [[]])

    async def run(cache: HttpCache, unchanged: bool) -> int:
        async with Http(cache=cache, transport=forge.transport, clock=FakeClock()) as http:
            provider, target = Router(http, routes(SyncConfig())).resolve(REPO_URL)
            meta = await provider.metadata(target)
            meta = replace(meta, not_modified=unchanged)
            return len(await provider.activity(target, meta, Window()))

    cache = HttpCache(tmp_path / "cache.sqlite")
    assert asyncio.run(run(cache, False)) == 47
    cache.close()
    sent = len(forge.requests)
    cache = HttpCache(tmp_path / "cache.sqlite")
    assert asyncio.run(run(cache, True)) == 47
    cache.close()
    assert len(forge.requests) == sent + 1  # only the repository was asked again
