"""A GitHub-shaped API on 127.0.0.1 serving the PyGithub recordings, and archives whose
projects sync from it."""

from __future__ import annotations

from pathlib import Path

from forge_replay import Reply, github
from replay_server import Answer, Replay

from site_builder import archive

REPO = "https://github.com/PyGithub/PyGithub"
MISSING = "https://github.com/PyGithub/missing"


def _answer(reply: Reply) -> Answer:
    kept = ("etag", "last-modified")
    headers = tuple((k, v) for k, v in reply.headers if k.lower() in kept)
    content_type = reply.header("content-type") or "application/json"
    return Answer(reply.body, content_type, reply.status, headers)


def github_replay(delay: float = 0.0) -> Replay:
    """`with github_replay() as server:`; `MISSING` answers 404."""
    return Replay(
        {
            "/repos/PyGithub/PyGithub": _answer(github("repo")),
            "/repos/PyGithub/PyGithub/readme": _answer(github("readme")),
            "/repos/PyGithub/PyGithub/commits": _answer(github("commits")),
            "/repos/PyGithub/PyGithub/releases": Answer(b"[]"),
        },
        delay=delay,
    )


def point_at(content: Path, api: str, synced: dict[tuple[str, str], str]) -> None:
    """Make exactly the projects in `synced` sync (from the URLs given), through `api`."""
    site = archive.load(content)
    for key, project in site.projects.items():
        project.autotext_url = project.source_url = synced.get(key, "")
    archive.save(content, site, read=archive.snapshot(content))
    with (content / "site.yaml").open("a", encoding="utf-8") as handle:
        handle.write(
            "sync:\n  attempts: 1\n  only_within_event_dates: false\n"
            f"  hosts:\n    github.com:\n      api_url: {api}\n"
        )
