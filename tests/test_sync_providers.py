"""Each provider against real recordings of its forge, chosen by URL through the router."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from forge_replay import FakeClock, Forge, Reply, forgejo_repo, github, http_file, text
from forge_replay import huggingface_redirect as hf_redirect

from site_builder.sync.http import FetchError, Http, HttpOptions
from site_builder.sync.providers import Router, routes
from site_builder.sync.providers.base import Metadata, Provider, Readme, Target, Window
from site_builder.sync.providers.huggingface import strip_front_matter
from site_builder.sync.providers.web import PageMeta
from site_builder.sync.readme import prepare
from site_builder.sync.settings import HostSettings, SyncConfig

T = TypeVar("T")
GH = "https://api.github.com/repos/PyGithub/PyGithub"
NEXT_COMMITS = "https://api.github.com/repositories/3544490/commits"
EVERYTHING = Window()


def with_provider(
    forge: Forge,
    url: str,
    job: Callable[[Provider, Target], Awaitable[T]],
    config: SyncConfig | None = None,
) -> T:
    async def main() -> T:
        table = routes(config or SyncConfig())
        async with Http(HttpOptions(), transport=forge.transport, clock=FakeClock()) as http:
            provider, target = Router(http, table).resolve(url)
            return await job(provider, target)

    return asyncio.run(main())


async def everything(p: Provider, t: Target) -> tuple[Metadata, Readme | None, list[Any]]:
    meta = await p.metadata(t)
    return meta, await p.readme(t, meta), await p.activity(t, meta, EVERYTHING)


def github_forge() -> Forge:
    forge = Forge()
    forge.add(GH, github("repo"))
    forge.add(f"{GH}/readme", github("readme"))
    forge.add(f"{GH}/commits", github("commits"))
    forge.add(NEXT_COMMITS, Reply.json([]))  # where the recording's `Link: rel="next"` points
    return forge


def test_github_repository_readme_and_commits() -> None:
    forge = github_forge()
    meta, readme, activity = with_provider(
        forge, "https://github.com/PyGithub/PyGithub/tree/main/doc", everything
    )

    assert meta.web_url == "https://github.com/PyGithub/PyGithub"
    assert meta.summary == "Typed interactions with the GitHub API v3"
    assert meta.webpage_url == "https://pygithub.readthedocs.io/"
    assert meta.contact_url == "https://github.com/PyGithub/PyGithub/issues"
    assert meta.license == "LGPL-3.0" and "pygithub" in meta.tags
    assert not meta.renamed
    assert readme is not None and readme.text.startswith("# PyGitHub\n")
    assert readme.link_base == "https://github.com/PyGithub/PyGithub/blob/main/"
    commits = [a for a in activity if a.kind == "commit"]
    assert [c.key[:7] for c in commits] == ["0791cc7", "9f7850b"]
    assert commits[0].text == "Fixing lint errors in release branch"
    assert commits[0].author == "EnricoMi"
    assert commits[0].date == datetime(2023, 8, 28, 18, 27, 45, tzinfo=UTC)
    assert commits[0].url.endswith("/commit/0791cc7b1a706ab5d7c607ddff35de4d486ba3e9")


def test_github_commits_are_asked_for_the_window_only() -> None:
    forge = github_forge()
    window = Window(datetime(2023, 8, 1, tzinfo=UTC), datetime(2023, 8, 31, tzinfo=UTC))

    async def job(p: Provider, t: Target) -> None:
        await p.activity(t, await p.metadata(t), window)

    with_provider(forge, "https://github.com/PyGithub/PyGithub", job)
    commits = forge.sent(f"{GH}/commits")[0]
    assert commits.url.params["since"] == "2023-08-01T00:00:00Z"
    assert commits.url.params["until"] == "2023-08-31T00:00:00Z"


def test_github_missing_readme_is_none_not_a_failure() -> None:
    forge = Forge().add(GH, github("repo"))

    async def job(p: Provider, t: Target) -> Readme | None:
        return await p.readme(t, await p.metadata(t))

    assert with_provider(forge, "https://github.com/PyGithub/PyGithub", job) is None


def test_gitlab_project_readme_and_releases() -> None:
    api = "https://gitlab.com/api/v4/projects"
    readme = text("readme/creature-foja_README.md")
    forge = Forge()
    forge.add(f"{api}/gitea%2Ftest_repo", http_file("gitlab/project_gitea_test_repo.http"))
    forge.add(
        f"{api}/15578026/repository/files/README.md/raw",
        Reply(200, [("Content-Type", "text/plain")], readme.encode()),
    )
    forge.add(f"{api}/15578026/repository/commits", Reply.json([]))
    forge.add(f"{api}/15578026/releases", http_file("gitlab/releases_15578026.http"))

    meta, got, activity = with_provider(
        forge, "https://gitlab.com/gitea/test_repo/-/tree/master", everything
    )

    assert meta.web_url == "https://gitlab.com/gitea/test_repo"
    assert meta.summary == "Test repository for testing migration from gitlab to gitea"
    assert meta.contact_url == "https://gitlab.com/gitea/test_repo/-/issues"
    assert meta.tags == ("migration", "test") and meta.branch == "master"
    assert got is not None and got.text == readme
    assert got.image_base == "https://gitlab.com/gitea/test_repo/-/raw/master/"
    raw = forge.sent(f"{api}/15578026/repository/files/")[0]
    assert raw.url.params["ref"] == "master"
    [release] = activity
    assert (release.kind, release.key, release.text) == ("release", "v0.9.99", "First Release")
    assert release.url == "https://gitlab.com/gitea/test_repo/-/releases/v0.9.99"
    assert release.author == "lafriks"


def test_self_hosted_gitlab_is_reached_at_its_configured_api() -> None:
    config = SyncConfig(
        hosts=(HostSettings("git.example.org", "gitlab", "https://git.example.org/gitlab/api/v4"),)
    )
    forge = Forge().add(
        "https://git.example.org/gitlab/api/v4/projects/lab%2Fproj",
        Reply.json(
            {"id": 7, "web_url": "https://git.example.org/lab/proj", "description": "Self-hosted"}
        ),
    )

    async def job(p: Provider, t: Target) -> Metadata:
        return await p.metadata(t)

    meta = with_provider(forge, "https://git.example.org/lab/proj", job, config)
    assert meta.summary == "Self-hosted" and meta.api_id == "7"


def test_forgejo_repository_and_readme_with_relative_links() -> None:
    repo = forgejo_repo()
    api = "https://v13.next.forgejo.org/api/v1/repos/maks1ms/.profile"
    readme = text("readme/creature-foja_README.md")
    forge = Forge()
    forge.add(api, Reply.json(repo))
    forge.add(f"{api}/raw/README.md", Reply(200, [("Content-Type", "text/plain")], readme.encode()))
    config = SyncConfig(
        hosts=(
            HostSettings("v13.next.forgejo.org", "gitea", "https://v13.next.forgejo.org/api/v1"),
        )
    )

    async def job(p: Provider, t: Target) -> tuple[Metadata, Readme | None]:
        meta = await p.metadata(t)
        return meta, await p.readme(t, meta)

    meta, got = with_provider(forge, "https://v13.next.forgejo.org/maks1ms/.profile", job, config)
    assert meta.web_url == "https://v13.next.forgejo.org/maks1ms/.profile"
    assert meta.contact_url == meta.web_url + "/issues"
    assert meta.image_url == repo["owner"]["avatar_url"]
    assert got is not None
    synced = prepare(got, meta.web_url)
    base = "https://v13.next.forgejo.org/maks1ms/.profile"
    assert f'<img src="{base}/raw/branch/main/assets/logo.png" alt="logo">' in synced
    assert f"[CONTRIBUTING.md]({base}/src/branch/main/CONTRIBUTING.md)" in synced
    assert f"[SECURITY.md]({base}/src/branch/main/SECURITY.md)" in synced
    assert '<a href="#about">About</a>' in synced
    assert "[getting-started](#getting-started)" in synced
    badge = "https://img.shields.io/codacy/grade/appid?style=for-the-badge"
    assert f"[codacy-shield]: {badge}" in synced
    assert "$ git clone https://github.com/apply-creatures/creature-foja.git" in synced


def test_codeberg_readme_falls_back_to_the_listing() -> None:
    api = "https://codeberg.org/api/v1/repos/dribdat/dribdat"
    forge = Forge()
    forge.add(
        api,
        Reply.json(
            {
                "html_url": "https://codeberg.org/dribdat/dribdat",
                "full_name": "dribdat/dribdat",
                "default_branch": "main",
            }
        ),
    )
    forge.add(f"{api}/contents", Reply.json([{"name": "src"}, {"name": "Readme.MD"}]))
    forge.add(f"{api}/raw/Readme.MD", Reply(200, [("Content-Type", "text/plain")], b"# Hi"))

    async def job(p: Provider, t: Target) -> Readme | None:
        return await p.readme(t, await p.metadata(t))

    got = with_provider(forge, "https://codeberg.org/dribdat/dribdat", job)
    assert got is not None and got.text == "# Hi"


def test_huggingface_model_renamed_by_307() -> None:
    moved, found = hf_redirect()
    forge = Forge()
    forge.add("https://huggingface.co/api/models/bert-base-uncased", moved)
    forge.add("https://huggingface.co/api/models/google-bert/bert-base-uncased", found)

    async def job(p: Provider, t: Target) -> Metadata:
        return await p.metadata(t)

    meta = with_provider(forge, "https://huggingface.co/bert-base-uncased", job)
    assert meta.renamed
    assert meta.web_url == "https://huggingface.co/google-bert/bert-base-uncased"
    assert meta.license == "apache-2.0" and meta.tags == ("exbert",)


def test_huggingface_card_front_matter_is_stripped_and_licence_and_tags_kept() -> None:
    _moved, found = hf_redirect()
    card = json.loads(found.body)["cardData"]
    readme = (
        "---\nlanguage: en\ntags:\n- exbert\nlicense: apache-2.0\ndatasets:\n- bookcorpus\n"
        "---\n\n# BERT base model (uncased)\n\n![diagram](img/bert.png)\n"
    )
    base = "https://huggingface.co"
    forge = Forge()
    forge.add(f"{base}/api/models/google-bert/bert-base-uncased", found)
    forge.add(
        f"{base}/google-bert/bert-base-uncased/resolve/main/README.md",
        Reply(200, [("Content-Type", "text/plain; charset=utf-8")], readme.encode()),
    )
    forge.add(
        f"{base}/api/models/google-bert/bert-base-uncased/commits/main",
        Reply.json(
            [
                {
                    "id": "86b5e0934494bd15c9632b12f734a8a67f723594",
                    "title": "Update README.md",
                    "message": "",
                    "date": "2024-02-19T11:06:12.000Z",
                    "authors": [{"user": "lysandre"}],
                }
            ]
        ),
    )

    meta, got, activity = with_provider(
        forge, "https://huggingface.co/google-bert/bert-base-uncased/tree/main", everything
    )
    assert card["license"] == "apache-2.0"
    assert got is not None
    synced = prepare(got, meta.web_url)
    assert not synced.startswith("---") and "datasets:" not in synced
    assert synced.startswith("# BERT base model (uncased)")
    assert (
        "![diagram](https://huggingface.co/google-bert/bert-base-uncased/resolve/main/img/"
        "bert.png)" in synced
    )
    assert synced.endswith("**Licence:** apache-2.0 · **Tags:** exbert")
    [commit] = activity
    assert commit.author == "lysandre" and commit.text == "Update README.md"
    assert commit.url.endswith("/google-bert/bert-base-uncased/commit/" + commit.key)


def test_huggingface_datasets_and_spaces_are_recognized() -> None:
    forge = Forge()
    forge.add("https://huggingface.co/api/datasets/org/data", Reply.json({"id": "org/data"}))
    forge.add("https://huggingface.co/api/spaces/org/demo", Reply.json({"id": "org/demo"}))

    async def job(p: Provider, t: Target) -> Metadata:
        return await p.metadata(t)

    data = with_provider(forge, "https://huggingface.co/datasets/org/data", job)
    space = with_provider(forge, "https://hf.co/spaces/org/demo", job)
    assert data.web_url == "https://huggingface.co/datasets/org/data"
    assert space.web_url == "https://huggingface.co/spaces/org/demo"


def test_front_matter_only_at_the_very_start() -> None:
    assert strip_front_matter("# Title\n---\nnot: yaml\n---\n") == (
        "# Title\n---\nnot: yaml\n---\n",
        {},
    )


def test_web_page_opengraph_with_entities_decoded() -> None:
    page = text("web/github.html").encode()
    forge = Forge().add(
        "https://github.example/microlinkhq/mql",
        Reply(200, [("Content-Type", "text/html; charset=utf-8")], page),
    )

    async def job(p: Provider, t: Target) -> Metadata:
        return await p.metadata(t)

    meta = with_provider(forge, "https://github.example/microlinkhq/mql", job)
    assert meta.name.startswith("microlinkhq/mql: Microlink Query Language.")
    assert meta.summary.startswith(
        "Microlink Query Language. The official HTTP client to interact with Microlink API "
        "for Node.js, browsers & Deno. - microlinkhq/mql"
    )
    assert "&amp;" not in meta.summary and "&amp;" not in meta.name
    assert meta.image_url.startswith("https://opengraph.githubassets.com/")


def test_web_page_without_opengraph_falls_back_to_title_and_description() -> None:
    page = PageMeta.parse(text("web/astier.html"), "https://anisse.astier.eu/awk-driven-iot.html")
    assert page.title == "Linux Engineer's random thoughts - awk driven IoT"
    assert page.description.startswith("In which I babble about some projects I do")
    assert page.image == ""


def test_twitter_card_is_used_when_there_is_no_opengraph() -> None:
    page = PageMeta.parse(
        '<html><head><title>T</title><meta name="twitter:title" content="Card &amp; title">'
        '<meta name="twitter:image" content="/card.png"></head></html>',
        "https://example.org/p/",
    )
    assert (page.title, page.image) == ("Card & title", "https://example.org/card.png")


def test_unknown_hosts_and_non_repository_pages_go_to_the_web_provider() -> None:
    async def main() -> list[str]:
        async with Http(HttpOptions(), transport=Forge().transport) as http:
            router = Router(http, routes(SyncConfig()))
            return [
                router.resolve(url)[0].kind
                for url in (
                    "https://github.com/dribdat/dribdat",
                    "https://www.github.com/dribdat/dribdat.git",
                    "https://github.com/dribdat",
                    "https://gitlab.com/zhbluzern/visualize_portrait_gallery",
                    "https://codeberg.org/OpenGLAM-CH/threads",
                    "https://huggingface.co/google-bert/bert-base-uncased",
                    "https://docs.google.com/document/d/xyz/pub",
                )
            ]

    assert asyncio.run(main()) == [
        "github",
        "github",
        "web",
        "gitlab",
        "gitea",
        "huggingface",
        "web",
    ]


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "github.com/a/b",
        "https://",
        "http://x:99999/",
        "http://[::1/x",
        "https://xn--/team/repo",
    ],
)
def test_malformed_urls_are_failures_before_any_request(url: str) -> None:
    forge = Forge()

    async def main() -> None:
        async with Http(HttpOptions(), transport=forge.transport) as http:
            Router(http, routes(SyncConfig())).resolve(url)

    with pytest.raises(FetchError, match="malformed URL"):
        asyncio.run(main())
    assert forge.requests == []


def test_unexpected_json_shape_is_a_failure_naming_the_field() -> None:
    forge = Forge().add(GH, Reply.json({"full_name": "a/b", "owner": "not an object"}))

    async def job(p: Provider, t: Target) -> Metadata:
        return await p.metadata(t)

    with pytest.raises(FetchError, match="owner is not an object"):
        with_provider(forge, "https://github.com/PyGithub/PyGithub", job)


def test_github_readme_content_is_base64_decoded() -> None:
    body = json.loads(github("readme").body)
    decoded = base64.b64decode(body["content"]).decode()
    forge = github_forge()

    async def job(p: Provider, t: Target) -> Readme | None:
        return await p.readme(t, await p.metadata(t))

    got = with_provider(forge, "https://github.com/PyGithub/PyGithub", job)
    assert got is not None and got.text == decoded
