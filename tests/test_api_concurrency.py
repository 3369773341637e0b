"""Many editors at once: every accepted edit is on disk, every stale one got 412, nothing
else changed, and the archive still validates."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from api_helpers import EVENT, PROJECT, make_env, project_url
from conftest import tree_digest
from litestar import Litestar
from litestar.testing import TestClient

from site_builder import archive
from site_builder.archive.validate import validate_archive
from site_builder.model import Site
from site_builder.services import audit
from site_builder.services import projects as ops
from site_builder.services.editor import Editor
from site_builder.services.entries import Precondition, project_etag
from site_builder.services.errors import Stale
from site_builder.services.writer import ContentWriter
from site_builder.tokens import TokenStore

SHARED_EDITORS = 16
SOLO_EDITORS = 12
ROUNDS = 4


@dataclass(frozen=True)
class Attempt:
    """One PATCH: who sent what against which version, and what came back."""

    user: str
    slug: str
    summary: str
    if_match: str
    status: int
    etag: str = ""


def chain(attempts: list[Attempt], start: str) -> list[Attempt]:
    """The accepted edits of one project in the order they were applied: each must have
    been made against the version the previous one produced (no lost update)."""
    accepted = {a.if_match: a for a in attempts if a.status == 200}
    assert len(accepted) == sum(a.status == 200 for a in attempts), "two edits of one version"
    order, version = [], start
    while version in accepted:
        order.append(accepted[version])
        version = accepted[version].etag
    assert len(order) == len(accepted), "an accepted edit is not in the chain"
    return order


def _edit(
    client: TestClient[Litestar],
    token: str,
    user: str,
    slug: str,
    rounds: int,
    start: threading.Barrier,
    out: list[Attempt],
) -> None:
    """One editor: read, think a moment, write; `rounds` times."""
    url = project_url(slug=slug)
    start.wait()
    for n in range(rounds):
        etag = client.get(url).headers["etag"]
        time.sleep(random.random() * 0.02)
        summary = f"{user} round {n}"
        response = client.patch(
            url,
            json={"summary": summary},
            headers={"Authorization": f"Bearer {token}", "If-Match": etag},
        )
        out.append(
            Attempt(
                user, slug, summary, etag, response.status_code, response.headers.get("etag", "")
            )
        )


def test_parallel_editors_lose_nothing_and_change_nothing_else(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    before_site = archive.load(env.content)
    before_files = tree_digest(env.content)
    solo = sorted(
        p.slug for p in before_site.projects_of(EVENT) if p.slug != PROJECT and not p.is_hidden
    )[:SOLO_EDITORS]
    assert len(solo) == SOLO_EDITORS
    tokens = TokenStore.of(env.content)
    users = [f"editor-{i:02d}" for i in range(SHARED_EDITORS + SOLO_EDITORS)]
    secrets = {user: tokens.create("organiser", user)[0] for user in users}
    tokens.close()
    starts = {slug: project_etag(before_site.projects[(EVENT, slug)]) for slug in [PROJECT, *solo]}
    attempts: list[Attempt] = []
    work = [(user, PROJECT) for user in users[:SHARED_EDITORS]]
    work += list(zip(users[SHARED_EDITORS:], solo, strict=True))
    start = threading.Barrier(len(work))
    with env.client() as client:
        threads = [
            threading.Thread(
                target=_edit, args=(client, secrets[u], u, slug, ROUNDS, start, attempts)
            )
            for u, slug in work
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ctx = client.app.state["jamdat"]
        saves = ctx.writer.saves

    statuses = {a.status for a in attempts}
    assert statuses <= {200, 412}, statuses
    assert len(attempts) == (SHARED_EDITORS + SOLO_EDITORS) * ROUNDS
    after = archive.load(env.content)
    accepted = 0
    for slug, first in starts.items():
        mine = [a for a in attempts if a.slug == slug]
        order = chain(mine, first)
        accepted += len(order)
        project = after.projects[(EVENT, slug)]
        assert project.summary == order[-1].summary, slug
        assert project_etag(project) == order[-1].etag, slug
        if slug != PROJECT:
            assert [a.status for a in mine] == [200] * ROUNDS, "a lone editor was refused"
    shared = [a for a in attempts if a.slug == PROJECT]
    assert any(a.status == 412 for a in shared), "no contention happened"

    # Every accepted edit left exactly one activity and one audit entry, by its editor.
    new = [a for a in after.activities.values() if a.id not in before_site.activities]
    ok = [a for a in attempts if a.status == 200]
    assert sorted((a.user, a.project) for a in new) == sorted((a.user, a.slug) for a in ok)
    trail = audit.read(env.content)
    assert sorted((e.user, e.entry) for e in trail) == sorted(
        (a.user, f"projects/{EVENT}/{a.slug}") for a in ok
    )
    assert accepted == len(ok)
    assert saves < len(ok), "edits waiting together should be saved together"

    # Nothing else changed: other records are identical, other files untouched.
    edited = {(EVENT, slug) for slug in starts}
    for key, project in before_site.projects.items():
        if key not in edited:
            assert after.projects[key] == project
    for key, project in after.projects.items():
        if key in edited:
            old = before_site.projects[key]
            assert {
                f
                for f in ("name", "pitch", "team", "progress", "category", "source_url")
                if getattr(old, f) != getattr(project, f)
            } == set()
    assert after.events == before_site.events and after.categories == before_site.categories
    changed = {p for p, h in tree_digest(env.content).items() if before_files.get(p) != h}
    assert changed == {"data/projects.csv", "data/activities.csv"}
    report = validate_archive(env.content, frictionless=True)
    assert not report.errors, report.errors


def test_the_writer_groups_concurrent_edits_into_few_saves(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    writer = ContentWriter(env.content)
    site = writer.site()
    slugs = sorted(p.slug for p in site.projects_of(EVENT))[:20]
    organiser = Editor("orga", "organiser")
    results: dict[str, str] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(slugs))

    def edit(slug: str) -> None:
        pre = Precondition(frozenset({project_etag(writer.site().projects[(EVENT, slug)])}))
        barrier.wait()
        try:
            outcome = writer.apply(
                lambda s, now: ops.update_project(
                    s, organiser, EVENT, slug, pre, {"summary": f"threaded {slug}"}, now
                )
            )
            results[slug] = str(outcome.etag)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=edit, args=(slug,)) for slug in slugs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stale = Precondition(frozenset({'"0"'}))
    with pytest.raises(Stale):
        writer.apply(
            lambda s, now: ops.update_project(s, organiser, EVENT, slugs[0], stale, {}, now)
        )
    writer.close()
    assert not errors
    assert writer.saves < len(slugs), "every edit was saved on its own"
    reloaded: Site = archive.load(env.content)
    for slug in slugs:
        assert reloaded.projects[(EVENT, slug)].summary == f"threaded {slug}"
        assert project_etag(reloaded.projects[(EVENT, slug)]) == results[slug]
