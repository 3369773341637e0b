"""Gists, single GitHub files, GitHub issues, data packages and Dribdat project pages,
each chosen by URL through the router and replayed from recordings (tests/fixtures/forges,
see SOURCES.txt). Made-up bodies are said so where they are used."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from conftest import ArchiveFactory
from forge_replay import FORGES, FakeClock, Forge, Reply, forgejo_repo, github, http_file

from site_builder import archive
from site_builder.model import Site
from site_builder.sync.engine import SyncOptions, sync_content
from site_builder.sync.http import FetchError, Http, HttpOptions
from site_builder.sync.providers import Router, host_access, routes
from site_builder.sync.providers.base import Metadata, Provider, Readme, Target, Window
from site_builder.sync.settings import SyncConfig

T = TypeVar("T")
API = "https://api.github.com"
GH = f"{API}/repos/PyGithub/PyGithub"


def recorded(path: str) -> Reply:
    return Reply.json(json.loads((FORGES / path).read_text(encoding="utf-8")))


def run(
    forge: Forge, url: str, job: Callable[[Provider, Target], Awaitable[T]], token: str = ""
) -> T:
    async def main() -> T:
        table = routes(SyncConfig())
        access = host_access(table, {"GITHUB_TOKEN": token} if token else {})
        async with Http(
            HttpOptions(), transport=forge.transport, clock=FakeClock(), access=access
        ) as http:
            provider, target = Router(http, table).resolve(url)
            return await job(provider, target)

    return asyncio.run(main())


async def everything(p: Provider, t: Target) -> tuple[str, Metadata, Readme | None, list[Any]]:
    meta = await p.metadata(t)
    return p.kind, meta, await p.readme(t, meta), await p.activity(t, meta, Window())


def test_gist_description_markdown_file_and_revisions() -> None:
    # The gist object is a real entry of GitHub's /gists/public (PyGithub recording; that
    # list leaves file contents out), so the file is read from its raw_url. The raw text
    # is made up: the recording has none.
    forge = Forge().add(f"{API}/gists/2729026", recorded("github/gist_2729026.json"))
    raw = (
        "https://gist.github.com/raw/2729026/c5a687a9c76763fda5d4f141422aac6422765b6a/"
        "2012-05-19-ender-roundup.md"
    )
    forge.add(raw, Reply(200, [("Content-Type", "text/plain; charset=utf-8")], b"# Ender\n"))

    kind, meta, readme, activity = run(
        forge, "https://gist.github.com/rvagg/2729026", everything, token="t0ken"
    )

    assert kind == "gist"
    assert meta.web_url == "https://gist.github.com/2729026"
    assert meta.summary == 'DailyJS "Ender Roundup" #4, May 2012'
    assert meta.image_url.startswith("https://secure.gravatar.com/avatar/026f5af6")
    assert readme is not None and readme.text == "# Ender\n"
    assert activity == []
    api_calls = forge.sent(API)
    assert api_calls and all(r.headers["authorization"] == "Bearer t0ken" for r in api_calls)
    assert "authorization" not in forge.sent(raw)[0].headers


def test_gist_without_markdown_has_no_readme_and_its_revisions_are_commits() -> None:
    forge = Forge().add(f"{API}/gists/6296732", recorded("github/gist_6296732.json"))

    kind, meta, readme, activity = run(
        forge, "https://gist.github.com/jacquev6/6296732", everything
    )

    assert kind == "gist" and meta.summary == "Github API"
    assert readme is None
    assert [(a.kind, a.key[:7], a.date) for a in activity] == [
        ("commit", "c464aec", datetime(2013, 8, 21, 16, 12, 27, tzinfo=UTC))
    ]


def test_github_markdown_file_is_the_readme_with_the_repository_metadata() -> None:
    # GitHub's /readme answer is the /contents answer of README.md (same object).
    forge = Forge().add(GH, github("repo")).add(f"{GH}/contents/README.md", github("readme"))

    kind, meta, readme, _ = run(
        forge,
        "https://github.com/PyGithub/PyGithub/blob/main/README.md",
        lambda p, t: everything(p, t),
    )

    assert kind == "github-file"
    assert meta.web_url == "https://github.com/PyGithub/PyGithub"
    assert meta.summary == "Typed interactions with the GitHub API v3"
    assert readme is not None and readme.text.startswith("# PyGitHub\n")
    sent = forge.sent(f"{GH}/contents/README.md")
    assert sent and sent[0].url.params["ref"] == "main"


def test_github_file_that_is_gone_is_no_readme() -> None:
    forge = Forge().add(GH, github("repo")).add(f"{GH}/readme", github("readme"))

    async def job(p: Provider, t: Target) -> tuple[str, Readme | None]:
        return p.kind, await p.readme(t, await p.metadata(t))

    url = "https://github.com/PyGithub/PyGithub/blob/main/docs/gone.md"
    assert run(forge, url, job) == ("github-file", None)
    assert forge.sent(f"{GH}/contents/docs/gone.md") and not forge.sent(f"{GH}/readme")


def test_github_issue_title_body_and_comments() -> None:
    forge = Forge().add(GH, github("repo"))
    forge.add(f"{GH}/issues/28", recorded("github/issue_28.json"))
    forge.add(f"{GH}/issues/28/comments", recorded("github/issue_28_comments.json"))

    kind, meta, readme, activity = run(
        forge, "https://github.com/PyGithub/PyGithub/issues/28#issuecomment-1", everything
    )

    assert kind == "github-issue"
    assert meta.summary == "Issue created by PyGithub"
    assert meta.web_url == "https://github.com/PyGithub/PyGithub/issues/28"
    assert meta.webpage_url == "https://pygithub.readthedocs.io/"
    assert set(meta.tags) == {"bug", "question"}
    assert readme is not None and readme.text == "Body edited by PyGithub"
    assert [(a.kind, a.author, a.date) for a in activity] == [
        ("comment", "jacquev6", datetime(2012, 5, 1, 22, 3, 59, tzinfo=UTC)),
        ("comment", "roskakori", datetime(2012, 5, 4, 19, 23, 57, tzinfo=UTC)),
    ]
    assert activity[1].text.startswith("Good to hear you are already working on this in #6")


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://github.com/PyGithub/PyGithub", "github"),
        ("https://github.com/PyGithub/PyGithub/blob/main/setup.py", "github"),
        ("https://github.com/PyGithub/PyGithub/issues", "github"),
        ("https://github.com/PyGithub/PyGithub.git", "github"),
        ("https://gitlab.com/gitea/test_repo.git", "gitlab"),
        ("https://example.org/blog/project/notes", "web"),
        ("https://example.org/data/datapackage.json", "datapackage"),
        ("https://dribdat.example.org/project/7", "dribdat"),
        ("https://git.example.org/team/tool.git", "git"),
    ],
)
def test_router_keeps_forges_for_everything_else(url: str, kind: str) -> None:
    async def main() -> str:
        async with Http(HttpOptions(), transport=Forge().transport, clock=FakeClock()) as http:
            return Router(http, routes(SyncConfig())).resolve(url)[0].kind

    assert asyncio.run(main()) == kind


GDP = "https://raw.githubusercontent.com/datasets/gdp/main"


def test_data_package_title_description_and_readme_beside_it() -> None:
    forge = Forge().add(f"{GDP}/datapackage.json", recorded("datapackage/gdp_datapackage.json"))
    readme_md = (FORGES / "datapackage" / "gdp_README.md").read_bytes()
    forge.add(f"{GDP}/README.md", Reply(200, [("Content-Type", "text/plain")], readme_md))

    kind, meta, readme, _ = run(forge, f"{GDP}/datapackage.json", everything)

    assert kind == "datapackage"
    assert meta.name == "Country, Regional and World GDP (Gross Domestic Product)"
    assert meta.summary.startswith("Country, regional and world GDP in current US Dollars")
    assert meta.license == "ODC-PDDL-1.0" and "GDP" in meta.tags
    assert readme is not None and readme.text == readme_md.decode()
    assert readme.image_base == f"{GDP}/"


def test_data_package_without_readme_lists_its_resources() -> None:
    # A real Dribdat export (a Frictionless package) served with no README.md beside it.
    package = FORGES.parent / "dribdat" / "meta-dribdat-awesome-hackathon.datapackage.json"
    url = "https://meta.example.org/export/datapackage.json"
    forge = Forge().add(url, Reply.json(json.loads(package.read_text(encoding="utf-8"))))

    kind, meta, readme, _ = run(forge, url, everything)

    assert kind == "datapackage" and meta.name == "Awesome hackathon"
    assert readme is not None
    assert readme.text.startswith("Here you can find some cool tools")
    assert "### Resources\n\n- events\n- projects" in readme.text


def test_json_that_is_no_data_package_is_a_named_error() -> None:
    url = "https://example.org/datapackage.json"
    forge = Forge().add(url, Reply.json(["not", "a", "package"]))

    async def job(p: Provider, t: Target) -> Metadata:
        return await p.metadata(t)

    with pytest.raises(FetchError, match="is not a data package"):
        run(forge, url, job)


DRIBDAT_API = "https://meta.dribdat.cc/api/project/4/info.json"


def test_dribdat_project_page_from_its_json_api() -> None:
    # The envelope is Dribdat's /api/project/<id>/info.json (dribdat/public/api.py); the
    # project and event in it are a real export's records (meta.dribdat.cc, fixtures).
    forge = Forge().add(DRIBDAT_API, recorded("dribdat/project_info_full.json"))

    kind, meta, readme, _ = run(forge, "https://meta.dribdat.cc/project/4/", everything)

    assert kind == "dribdat"
    assert meta.web_url == "https://meta.dribdat.cc/project/4"
    assert meta.name == "dribdat" and meta.summary == "Open source hackathons-in-a-box"
    assert meta.image_url == "https://avatars.githubusercontent.com/u/47747740?v=4"
    assert readme is not None and len(readme.text) == 1098
    assert forge.sent(DRIBDAT_API)[0].url.params["full"] == "1"


def test_page_under_project_without_dribdat_api_is_read_as_a_web_page() -> None:
    page = b"<html><head><title>Project 12</title></head><body></body></html>"
    forge = Forge().add(
        "https://example.org/project/12", Reply(200, [("Content-Type", "text/html")], page)
    )

    kind, meta, readme, _ = run(forge, "https://example.org/project/12", everything)

    assert kind == "dribdat" and meta.name == "Project 12" and readme is None


def test_git_url_on_an_unknown_forgejo_host_reads_its_api() -> None:
    api = "https://v13.next.forgejo.org/api/v1/repos/maks1ms/.profile"
    forge = Forge().add(api, Reply.json(forgejo_repo()))
    forge.add(f"{api}/raw/README.md", Reply(200, [("Content-Type", "text/plain")], b"# Hi\n"))

    kind, meta, readme, _ = run(
        forge, "https://v13.next.forgejo.org/maks1ms/.profile.git", everything
    )

    assert kind == "git"
    assert meta.web_url == "https://v13.next.forgejo.org/maks1ms/.profile"
    assert readme is not None and readme.text == "# Hi\n"


def test_git_url_on_an_unknown_gitlab_host_reads_its_api() -> None:
    # gitlab.com's recorded answer, served as if from a self-hosted GitLab no one configured.
    api = "https://git.example.org/api/v4/projects"
    forge = Forge().add(
        f"{api}/gitea%2Ftest_repo", http_file("gitlab/project_gitea_test_repo.http")
    )

    async def job(p: Provider, t: Target) -> tuple[str, Metadata]:
        return p.kind, await p.metadata(t)

    kind, meta = run(forge, "https://git.example.org/gitea/test_repo.git", job)

    assert kind == "git"
    assert meta.summary == "Test repository for testing migration from gitlab to gitea"
    assert [str(r.url).split("?")[0] for r in forge.requests] == [
        "https://git.example.org/api/v1/repos/gitea/test_repo",
        f"{api}/gitea%2Ftest_repo",
    ]


def test_git_url_on_a_bare_git_server_fails_saying_why() -> None:
    async def job(p: Provider, t: Target) -> Metadata:
        return await p.metadata(t)

    with pytest.raises(FetchError, match=r"no Gitea, Forgejo or GitLab API.*would need git itself"):
        run(Forge(), "https://git.example.org/cgit/tool.git", job)


def test_sync_of_an_issue_writes_its_body_and_comments_to_the_archive(
    tmp_archive: ArchiveFactory,
) -> None:
    key = ("spring-hack", "river-levels")
    issue = "https://github.com/PyGithub/PyGithub/issues/28"

    def during_the_comments(site: Site) -> None:
        event = site.events[key[0]]
        event.starts_at, event.ends_at = datetime(2012, 5, 1, 9), datetime(2012, 5, 5, 18)
        site.projects[key].autotext_url = issue

    content = tmp_archive(edit=during_the_comments)
    forge = Forge().add(GH, github("repo"))
    forge.add(f"{GH}/issues/28", recorded("github/issue_28.json"))
    forge.add(f"{GH}/issues/28/comments", recorded("github/issue_28_comments.json"))

    report = asyncio.run(
        sync_content(content, SyncOptions(), transport=forge.transport, clock=FakeClock(), env={})
    )

    assert [o.status for o in report.outcomes] == ["updated"]
    synced = (content / "synced/spring-hack/river-levels.md").read_text(encoding="utf-8")
    assert synced == "Body edited by PyGithub\n"
    site = archive.load(content)
    comments = sorted(
        (a for a in site.activities.values() if a.action == "comment"), key=lambda a: a.date
    )
    assert [c.content.split(" (@")[1] for c in comments] == ["jacquev6)", "roskakori)"]
    [note] = [a for a in site.activities.values() if a.action == "sync"]
    assert note.content.startswith(f"Synced from {issue}: ") and "2 comments" in note.content
