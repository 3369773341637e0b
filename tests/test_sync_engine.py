"""Reconciling fetched repositories into the archive: what sync fills, overwrites, adds and
never touches, and that repeating it or failing writes nothing."""

from __future__ import annotations

import asyncio
import base64
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import ArchiveFactory, tree_digest
from forge_replay import FakeClock, Forge, Reply, github, github_edge

from site_builder import archive
from site_builder.archive.textlimits import MAX_TEXT_CHARS
from site_builder.config import SiteConfig
from site_builder.model import Activity, Project, Site
from site_builder.render.build import build_site
from site_builder.sync.engine import Outcome, SyncOptions, SyncReport, sync_content
from site_builder.sync.http import HttpOptions
from site_builder.sync.settings import SyncConfig

GH = "https://api.github.com/repos/PyGithub/PyGithub"
NEXT_COMMITS = "https://api.github.com/repositories/3544490/commits"
REPO_URL = "https://github.com/PyGithub/PyGithub"
KEY = ("spring-hack", "river-levels")
SHA_1 = "0791cc7b1a706ab5d7c607ddff35de4d486ba3e9"
SHA_2 = "9f7850bf6572ea8572b8b136b8b3d3e09cb38403"


def github_forge() -> Forge:
    forge = Forge()
    forge.add(GH, github("repo"))
    forge.add(f"{GH}/readme", github("readme"))
    forge.add(f"{GH}/commits", github("commits"))
    forge.add(NEXT_COMMITS, Reply.json([]))  # where the recording's `Link: rel="next"` points
    forge.add(f"{GH}/releases", Reply.json([], headers=[("ETag", '"no-releases"')]))
    return forge


def on_commit_day(site: Site, sync: SyncConfig | None = None) -> None:
    """The river-levels project syncs PyGithub; its event is the day of the recorded commits."""
    event = site.events["spring-hack"]
    event.starts_at = datetime(2023, 8, 28, 9, 0)
    event.ends_at = datetime(2023, 8, 28, 18, 0)
    site.projects[KEY].autotext_url = REPO_URL
    if sync is not None:
        site.config = SiteConfig(title=site.config.title, license=site.config.license, sync=sync)


def sync(content: Path, forge: Forge, env: dict[str, str] | None = None, **kw: Any) -> SyncReport:
    extra = {k: kw.pop(k) for k in ("progress", "checkpoint_every") if k in kw}
    return asyncio.run(
        sync_content(
            content,
            SyncOptions(**kw),
            transport=forge.transport,
            clock=FakeClock(),
            env=env or {},
            http_options=HttpOptions(backoff=0.0),
            **extra,
        )
    )


def snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """Inode, mtime and size of every content file: any write shows, even of equal bytes."""
    out = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != archive.STATE_DIR]
        for name in files:
            st = Path(folder, name).stat()
            out[str(Path(folder, name).relative_to(root))] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return out


def activities_of(site: Site, action: str) -> list[Activity]:
    return sorted(
        (a for a in site.activities.values() if (a.event, a.project) == KEY and a.action == action),
        key=lambda a: a.id,
    )


def test_first_sync_fills_empty_fields_readme_and_commits_and_keeps_the_pitch(
    tmp_archive: ArchiveFactory,
) -> None:
    content = tmp_archive(edit=on_commit_day)
    before = archive.load(content).projects[KEY]

    report = sync(content, github_forge())

    [outcome] = report.outcomes
    assert (outcome.name, outcome.status) == ("spring-hack/river-levels", "updated")
    site = archive.load(content)
    project = site.projects[KEY]
    assert project.summary == "Live river levels on a map."  # not empty: kept
    assert project.webpage_url == "https://pygithub.readthedocs.io/"
    assert project.source_url == REPO_URL
    assert project.contact_url == REPO_URL + "/issues"
    assert project.image_url.startswith("https://avatars.githubusercontent.com/")
    assert (project.pitch, project.name, project.team) == (before.pitch, before.name, before.team)
    readme = (content / "synced/spring-hack/river-levels.md").read_text(encoding="utf-8")
    assert readme.startswith("# PyGitHub\n") and project.readme == readme[:-1]
    commits = activities_of(site, "commit")
    assert [c.ref_url.rsplit("/", 1)[1] for c in commits] == [SHA_2, SHA_1]
    assert commits[1].content == "Fixing lint errors in release branch (@EnricoMi)"
    [synced] = activities_of(site, "sync")
    assert synced.content.startswith(f"Synced from {REPO_URL}: ")
    assert "README" in synced.content and "2 commits" in synced.content


def test_unchanged_resync_is_all_304_and_writes_zero_bytes(tmp_archive: ArchiveFactory) -> None:
    content = tmp_archive(edit=on_commit_day)
    forge = github_forge()
    sync(content, forge)
    before, digest = snapshot(content), tree_digest(content)
    forge.requests.clear()

    report = sync(content, forge)

    assert [o.status for o in report.outcomes] == ["not-modified"]
    assert report.written == []
    assert snapshot(content) == before and tree_digest(content) == digest
    assert forge.requests and all("if-none-match" in r.headers for r in forge.requests)
    assert report.not_modified_answers == len(forge.requests) == report.requests


def test_changed_repository_is_revalidated_and_only_new_commits_added(
    tmp_archive: ArchiveFactory,
) -> None:
    content = tmp_archive(edit=on_commit_day)
    sync(content, github_forge())
    forge = github_forge()
    forge.routes[GH] = [Reply(github("repo").status, [("ETag", '"changed"')], github("repo").body)]

    report = sync(content, forge)

    assert [o.status for o in report.outcomes] == ["unchanged"]
    assert len(activities_of(archive.load(content), "commit")) == 2
    assert {str(r.url.copy_with(query=None)) for r in forge.requests} >= {GH, f"{GH}/commits"}


def test_commits_already_in_the_log_are_not_added_again(tmp_archive: ArchiveFactory) -> None:
    def edit(site: Site) -> None:
        on_commit_day(site)
        site.activities["20230828T182745-aaaaaaaa"] = Activity(
            id="20230828T182745-aaaaaaaa",
            event="spring-hack",
            project="river-levels",
            date=datetime.fromisoformat("2023-08-28T18:27:45+00:00"),
            name="update",
            action="commit",
            content="Fixing lint errors (@EnricoMi)",
            ref_url=f"https://github.com/PyGithub/PyGithub/commit/{SHA_1[:7]}",
        )

    content = tmp_archive(edit=edit)
    report = sync(content, github_forge())
    commits = activities_of(archive.load(content), "commit")
    assert [c.ref_url.rsplit("/", 1)[1] for c in commits] == [SHA_2, SHA_1[:7]]
    assert "1 commit" in report.outcomes[0].changes


def test_commits_sharing_their_first_seven_characters_are_two_commits(
    tmp_archive: ArchiveFactory,
) -> None:
    twins = ["abcdef1" + "0" * 33, "abcdef1" + "f" * 33]
    commits = [
        {
            "sha": sha,
            "html_url": f"{REPO_URL}/commit/{sha}",
            "commit": {"message": f"Twin {n}", "author": {"date": f"2023-08-28T1{n}:00:00Z"}},
        }
        for n, sha in enumerate(twins)
    ]
    forge = github_forge()
    forge.routes[f"{GH}/commits"] = [Reply.json(commits, headers=[("ETag", '"twins"')])]

    content = tmp_archive(edit=on_commit_day)
    report = sync(content, forge)
    assert "2 commits" in report.outcomes[0].changes
    logged = [c.ref_url.rsplit("/", 1)[1] for c in activities_of(archive.load(content), "commit")]
    assert sorted(logged) == twins

    again = sync(content, forge)
    assert again.outcomes[0].changes == ()
    assert len(activities_of(archive.load(content), "commit")) == 2


def test_commits_outside_the_event_days_are_left_out_unless_configured(
    tmp_archive: ArchiveFactory,
) -> None:
    def later(site: Site) -> None:
        on_commit_day(site)
        site.events["spring-hack"].starts_at = datetime(2023, 8, 29, 9, 0)
        site.events["spring-hack"].ends_at = datetime(2023, 8, 30, 17, 0)

    content = tmp_archive("a", edit=later)
    sync(content, github_forge())
    assert activities_of(archive.load(content), "commit") == []

    def later_all_commits(site: Site) -> None:
        later(site)
        site.config = SiteConfig(sync=SyncConfig(only_within_event_dates=False))

    content = tmp_archive("b", edit=later_all_commits)
    sync(content, github_forge())
    assert len(activities_of(archive.load(content), "commit")) == 2


def test_always_sync_fields_are_overwritten_others_only_filled(
    tmp_archive: ArchiveFactory,
) -> None:
    def edit(site: Site) -> None:
        on_commit_day(site, SyncConfig(always_sync=("summary",)))
        site.projects[KEY].webpage_url = "https://rivers.example/"

    content = tmp_archive(edit=edit)
    assert "always_sync:\n  - summary" in (content / "site.yaml").read_text()
    sync(content, github_forge())
    project = archive.load(content).projects[KEY]
    assert project.summary == "Typed interactions with the GitHub API v3"
    assert project.webpage_url == "https://rivers.example/"


def test_failure_leaves_the_content_byte_identical(tmp_archive: ArchiveFactory) -> None:
    content = tmp_archive(edit=on_commit_day)
    before = snapshot(content)
    forge = github_forge()
    forge.routes[f"{GH}/readme"] = [Reply(500)]

    report = sync(content, forge)

    [outcome] = report.outcomes
    assert outcome.status == "failed" and "HTTP 500" in outcome.reason
    assert snapshot(content) == before


def test_failure_after_a_sync_keeps_earlier_synced_data(tmp_archive: ArchiveFactory) -> None:
    content = tmp_archive(edit=on_commit_day)
    sync(content, github_forge())
    before = snapshot(content)
    for answer in (Reply(404), Reply.json({}, 200)):  # gone; then a body without a name
        forge = Forge().add(
            GH,
            answer
            if answer.status == 404
            else Reply(
                200, [("Content-Type", "text/html")], b"<html><body>Maintenance</body></html>"
            ),
        )
        report = sync(content, forge)
        assert report.outcomes[0].status == "failed"
        assert snapshot(content) == before


def test_renamed_repository_records_the_new_url(tmp_archive: ArchiveFactory) -> None:
    def edit(site: Site) -> None:
        site.projects[KEY].autotext_url = "https://github.com/protoncoin/protoncoin"

    content = tmp_archive(edit=edit)
    forge = Forge()
    forge.add(
        "https://api.github.com/repos/protoncoin/protoncoin",
        github_edge("Repository.testGetRepositoryWith301Redirect", 0),
    )
    forge.add(
        "https://api.github.com/repositories/112116543",
        github_edge("Repository.testGetRepositoryWith301Redirect", 1),
    )

    report = sync(content, forge)

    project = archive.load(content).projects[KEY]
    assert project.autotext_url == "https://github.com/padima2/protoncoin"
    assert project.source_url == "https://github.com/padima2/protoncoin"
    assert "autotext_url (renamed)" in report.outcomes[0].changes


def test_dry_run_reports_but_writes_nothing(tmp_archive: ArchiveFactory) -> None:
    content = tmp_archive(edit=on_commit_day)
    before = snapshot(content)
    report = sync(content, github_forge(), dry_run=True)
    assert report.outcomes[0].status == "updated"
    assert report.outcomes[0].line(dry_run=True).startswith("would update")
    assert snapshot(content) == before
    assert not (content / ".jamdat/sync-cache.sqlite").exists()


def test_huge_readme_is_cut_with_a_note(tmp_archive: ArchiveFactory) -> None:
    content = tmp_archive(edit=on_commit_day)
    forge = github_forge()
    big = ("A line of a very long README.\n" * 40_000).encode()
    forge.routes[f"{GH}/readme"] = [
        Reply.json(
            {
                "content": base64.b64encode(big).decode(),
                "encoding": "base64",
                "html_url": f"{REPO_URL}/blob/main/README.md",
            }
        )
    ]
    sync(content, forge)
    readme = archive.load(content).projects[KEY].readme
    assert len(readme) <= MAX_TEXT_CHARS
    assert readme.startswith("A line of a very long README.\n")
    assert readme.endswith(f"was cut here; read all of it at <{REPO_URL}>.*")


def test_malformed_url_fails_without_a_request(tmp_archive: ArchiveFactory) -> None:
    content = tmp_archive(edit=lambda s: setattr(s.projects[KEY], "autotext_url", "htp:/x y"))
    forge = Forge()
    report = sync(content, forge)
    assert report.outcomes[0].status == "failed"
    assert "malformed URL" in report.outcomes[0].reason
    assert forge.requests == []


def test_unusable_urls_and_answers_fail_their_project_only(tmp_archive: ArchiveFactory) -> None:
    """A URL httpx cannot send to, a redirect to nowhere and an error nobody foresaw each
    fail one project with a reason; the others sync and the failed ones keep their data."""
    broken = {
        ("autumn-jam", "leaf-counter"): "https://xn--/leaves",
        ("autumn-jam", "owl-map"): "https://moved.example/owls",
        ("spring-hack", "bee-count"): "https://flaky.example/bees",
    }

    def edit(site: Site) -> None:
        on_commit_day(site)
        for (event, slug), url in broken.items():
            if (event, slug) not in site.projects:
                site.projects[(event, slug)] = Project(event=event, slug=slug, name=slug)
            site.projects[(event, slug)].autotext_url = url
            site.projects[(event, slug)].summary = "Kept as it was"

    content = tmp_archive(edit=edit)
    before = archive.load(content)
    forge = github_forge()
    forge.add("https://moved.example/owls", Reply(301, [("Location", "http://[oops/owls")]))
    forge.add("https://flaky.example/bees", RuntimeError("the transport fell over"))

    report = sync(content, forge)

    outcomes = {(o.event, o.slug): o for o in report.outcomes}
    assert outcomes[KEY].status == "updated"
    assert all(outcomes[key].status == "failed" for key in broken)
    reasons = {key[1]: outcomes[key].reason for key in broken}
    assert reasons["leaf-counter"].startswith("malformed URL 'https://xn--/leaves'")
    assert reasons["owl-map"].startswith("redirect to a malformed URL from https://moved.example")
    assert "RuntimeError" in reasons["bee-count"]
    assert not any("xn--" in str(r.url) for r in forge.requests)
    after = archive.load(content)
    for key in broken:
        assert after.projects[key] == before.projects[key]
        assert [a for a in after.activities.values() if (a.event, a.project) == key] == [
            a for a in before.activities.values() if (a.event, a.project) == key
        ]


def test_unusable_image_link_on_a_web_page_is_left_out(tmp_archive: ArchiveFactory) -> None:
    page = (
        b'<html><head><meta property="og:description" content="Owls at night">'
        b'<meta property="og:image" content="http://[oops/owl.png"></head></html>'
    )

    def edit(site: Site) -> None:
        site.projects[KEY].summary = ""
        site.projects[KEY].image_url = ""
        site.projects[KEY].autotext_url = "https://owls.example/"

    content = tmp_archive(edit=edit)
    forge = Forge().add("https://owls.example/", Reply(200, [("Content-Type", "text/html")], page))
    report = sync(content, forge)
    assert report.outcomes[0].status == "updated"
    project = archive.load(content).projects[KEY]
    assert (project.summary, project.image_url) == ("Owls at night", "")


def test_web_page_fills_summary_and_image_but_not_source(tmp_archive: ArchiveFactory) -> None:
    page = (
        b'<html><head><meta property="og:description" content="Rivers &amp; lakes">'
        b'<meta property="og:image" content="/cover.png"></head></html>'
    )

    def edit(site: Site) -> None:
        project = site.projects[KEY]
        project.summary = ""
        project.autotext_url = "https://rivers.example/about"

    content = tmp_archive(edit=edit)
    forge = Forge().add(
        "https://rivers.example/about", Reply(200, [("Content-Type", "text/html")], page)
    )
    sync(content, forge)
    project = archive.load(content).projects[KEY]
    assert project.summary == "Rivers & lakes"
    assert project.image_url == "https://rivers.example/cover.png"
    assert project.source_url == "" and project.readme == ""


def test_projects_with_only_a_forge_source_url_are_synced(tmp_archive: ArchiveFactory) -> None:
    def edit(site: Site) -> None:
        on_commit_day(site)
        site.projects[KEY].autotext_url = ""
        site.projects[KEY].source_url = REPO_URL
        site.projects[("autumn-jam", "leaf-counter")].source_url = "https://leaves.example/"

    content = tmp_archive(edit=edit)
    report = sync(content, github_forge())
    assert [o.name for o in report.outcomes] == ["spring-hack/river-levels"]


def test_edits_made_during_a_sync_are_kept(tmp_archive: ArchiveFactory) -> None:
    content = tmp_archive(edit=on_commit_day)

    class EditMidway:
        def start(self, total: int) -> None:
            site = archive.load(content)
            site.projects[("autumn-jam", "leaf-counter")].pitch = "Edited while syncing."
            archive.save(content, site, read=archive.snapshot(content))

        def done(self, outcome: Outcome) -> None:
            """Nothing to show."""

    sync(content, github_forge(), progress=EditMidway(), checkpoint_every=0.0)
    site = archive.load(content)
    assert site.projects[("autumn-jam", "leaf-counter")].pitch == "Edited while syncing."
    assert site.projects[KEY].readme.startswith("# PyGitHub")


def test_tokens_are_sent_to_their_forge_only_and_never_written(
    tmp_archive: ArchiveFactory,
) -> None:
    def edit(site: Site) -> None:
        on_commit_day(site)
        site.projects[("autumn-jam", "leaf-counter")].autotext_url = "https://leaves.example/"

    content = tmp_archive(edit=edit)
    forge = github_forge().add("https://leaves.example/", Reply(200, [], b"<title>Leaves</title>"))
    env = {"GITHUB_TOKEN": "ghp_topsecret", "GITLAB_TOKEN": "glpat_topsecret"}

    report = sync(content, forge, env)

    for request in forge.requests:
        auth = request.headers.get("authorization", "")
        if request.url.host == "api.github.com":
            assert auth == "Bearer ghp_topsecret"
        else:
            assert "topsecret" not in str(request.headers)
    everything = b"".join(p.read_bytes() for p in content.rglob("*") if p.is_file())
    assert b"topsecret" not in everything
    assert "topsecret" not in report.summary()


def test_event_and_project_filters(tmp_archive: ArchiveFactory) -> None:
    def edit(site: Site) -> None:
        on_commit_day(site)
        site.projects[("autumn-jam", "leaf-counter")].autotext_url = "https://leaves.example/"

    content = tmp_archive(edit=edit)
    forge = github_forge().add("https://leaves.example/", Reply(200, [], b"<title>Leaves</title>"))
    assert [o.name for o in sync(content, forge, event="autumn-jam").outcomes] == [
        "autumn-jam/leaf-counter"
    ]
    assert [o.name for o in sync(content, forge, project="spring-hack/river-levels").outcomes] == [
        "spring-hack/river-levels"
    ]


def test_synced_readme_is_sanitized_on_the_project_page(
    tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    content = tmp_archive(edit=on_commit_day)
    forge = github_forge()
    readme = '# Hello\n\n<script>alert("x")</script>\n\n<img src="docs/shot.png" onerror="x()">\n'
    forge.routes[f"{GH}/readme"] = [
        Reply.json(
            {
                "content": base64.b64encode(readme.encode()).decode(),
                "html_url": f"{REPO_URL}/blob/main/README.md",
                "download_url": "https://raw.githubusercontent.com/PyGithub/PyGithub/main/README.md",
            }
        )
    ]
    sync(content, forge)
    build_site(content, tmp_path / "public")

    page = (tmp_path / "public/spring-hack/river-levels/index.html").read_text(encoding="utf-8")
    assert 'src="https://raw.githubusercontent.com/PyGithub/PyGithub/main/docs/shot.png"' in page
    assert "alert(" not in page and "onerror" not in page


def test_interrupted_sync_leaves_consistent_content(tmp_archive: ArchiveFactory) -> None:
    def edit(site: Site) -> None:
        on_commit_day(site)
        site.projects[("autumn-jam", "leaf-counter")].autotext_url = REPO_URL

    content = tmp_archive(edit=edit)

    class CtrlC:
        def __init__(self) -> None:
            self.seen = 0

        def start(self, total: int) -> None:
            """Nothing to show."""

        def done(self, outcome: Outcome) -> None:
            self.seen += 1
            if self.seen == 2:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sync(content, github_forge(), progress=CtrlC(), checkpoint_every=0.0, concurrency=1)
    site = archive.load(content)  # loads: nothing half-written
    synced = [p.slug for p in site.projects.values() if p.readme.startswith("# PyGitHub")]
    assert len(synced) == 1
