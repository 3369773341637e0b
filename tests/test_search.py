"""The search index: what a project is found by, with what weight, and in which files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ArchiveFactory, sources_asked, tree_digest

from site_builder import archive
from site_builder.model import Project, Site
from site_builder.render import searchindex
from site_builder.render.build import build_site


def ranked(site: Site) -> None:
    """The sample archive plus projects that hold "river" in one field each."""
    site.projects[("spring-hack", "tide-tables")] = Project(
        event="spring-hack",
        slug="tide-tables",
        name="Tide tables",
        progress=10,
        pitch="Tides, and where a river meets the sea.",
    )
    site.projects[("spring-hack", "flood-watch")] = Project(
        event="spring-hack",
        slug="flood-watch",
        name="Flood watch",
        progress=10,
        summary="Warns Zürich before the river floods.",
    )
    site.projects[("autumn-jam", "secret")] = Project(
        event="autumn-jam",
        slug="secret",
        name="Secret river",
        progress=10,
        is_hidden=True,
    )


def files(out: Path) -> dict[str, object]:
    return {
        p.relative_to(out / "search").as_posix(): json.loads(p.read_bytes())
        for p in (out / "search").rglob("*.json")
    }


def postings(index: dict[str, object], term: str) -> dict[str, int]:
    """Each document holding `term` (by name) with its field mask."""
    meta = index["meta.json"]
    assert isinstance(meta, dict)
    shard = index[f"t/{searchindex.shard_of(term, meta['shards'])}.json"]
    assert isinstance(shard, dict)
    flat, doc, out = shard.get(term, []), 0, {}
    for i in range(0, len(flat), 2):
        doc += flat[i]
        chunk = index[f"d/{doc // meta['chunk']}.json"]
        assert isinstance(chunk, list)
        out[chunk[doc % meta["chunk"]][0]] = flat[i + 1]
    return out


def sharded(site: Site) -> None:
    """`ranked`, plus enough documents for the index to have several shards."""
    ranked(site)
    for n in range(45):
        slug = f"filler-{n}"
        site.projects[("autumn-jam", slug)] = Project(
            event="autumn-jam", slug=slug, name=f"Filler {n}", pitch="Leaves and trees."
        )


def makes_counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one each time the index is made anew (`searchindex._make`)."""
    made: list[int] = []
    make = searchindex._make

    def counted(*args: object) -> object:
        made.append(1)
        return make(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(searchindex, "_make", counted)
    return made


def save(content: Path, change: Callable[[Site], None]) -> None:
    """Change the archive through the store, as an editor's save does."""
    site = archive.load(content)
    change(site)
    archive.save(content, site, read=archive.snapshot(content))


def assert_as_clean(content: Path, out: Path, tmp_path: Path) -> None:
    """The site in `out` is the one a clean build makes."""
    clean = tmp_path / "clean"
    build_site(content, clean)
    assert tree_digest(clean) == tree_digest(out)


def pitch_plus(word: str) -> Callable[[Site], None]:
    """Add a word to the pitch of "Tide tables"."""

    def change(site: Site) -> None:
        site.projects[("spring-hack", "tide-tables")].pitch += f" {word}"

    return change


def test_fields_weigh_name_over_summary_over_pitch(
    tmp_path: Path, tmp_archive: ArchiveFactory
) -> None:
    out = tmp_path / "public"
    build_site(tmp_archive(edit=ranked), out, base_url="https://example.org/", jobs=1)
    index = files(out)
    assert postings(index, "river") == {
        "River levels": searchindex.NAME | searchindex.SUMMARY,  # its pitch says "rivers"
        "Flood watch": searchindex.SUMMARY,
        "Tide tables": searchindex.PITCH,
    }
    assert postings(index, "zurich") == {"Flood watch": searchindex.SUMMARY}
    assert postings(index, "ada") == {"River levels": searchindex.TEAM}
    # An event's name is a filter, not a term: "spring" and "jam" find nothing.
    assert postings(index, "spring") == {} and postings(index, "jam") == {}
    meta = index["meta.json"]
    assert isinstance(meta, dict)
    assert meta["events"] == [
        ["spring-hack", "Spring Hack", 4],
        ["autumn-jam", "Autumn Jam", 1],
    ]
    assert meta["docs"] == 5 and len(meta["stage"]) == 5
    assert sorted(index) == ["d/0.json", "meta.json", "t/0.json"]


def test_terms_are_folded_and_sharded_by_their_first_two_letters() -> None:
    assert searchindex.terms("Zürich, Straße & Genève: a 3D-map") == [
        "zurich",
        "strasse",
        "geneve",
        "3d",
        "map",
    ]
    for shards in (1, 2, 64, 256):
        assert searchindex.shard_of("river", shards) == searchindex.shard_of("riv", shards)
        assert 0 <= searchindex.shard_of("zz", shards) < shards
    assert searchindex.shard_count(70) == 2 and searchindex.shard_count(10_000) == 256
    assert searchindex.paths(120)[:3] == ["meta.json", "t/0.json", "t/1.json"]
    assert searchindex.paths(120)[-1] == "d/2.json"


def _doc(name: str, pitch: str, stage: int = 10) -> searchindex.Doc:
    return searchindex.make_doc(name, "", "Ada", pitch, stage, f"/e/{name}/", "")


def test_a_patched_index_is_the_index_made_anew() -> None:
    """A session patches its last index when a few documents changed: each patch gives the
    very bytes (and digests) of an index made from scratch, and only the files it changed
    get new digests."""
    words = [f"w{i:03d}x" for i in range(400)]
    docs = [_doc(f"P{n}", " ".join(words[n % 37 :: 7])) for n in range(240)]
    events = [("a", "A", docs[:150]), ("b", "B", docs[150:])]
    indexer = searchindex.Indexer()
    first = indexer.build(events, [(10, "Idea"), (30, "Prototype")])
    assert first == searchindex.build(events, [(10, "Idea"), (30, "Prototype")])

    edited = list(docs)
    edited[3] = _doc("P3", "entirely new zebra words " + words[5])  # terms gone and new
    edited[160] = _doc("Renamed", " ".join(words[160 % 37 :: 7]))  # shown differently
    edited[200] = _doc("P200", " ".join(words[200 % 37 :: 7]), stage=30)  # another stage
    edited[201] = _doc("P201", "")  # every term of it gone
    events = [("a", "A", edited[:150]), ("b", "B", edited[150:])]
    patched = indexer.build(events, [(10, "Idea"), (30, "Prototype")])
    fresh = searchindex.build(events, [(10, "Idea"), (30, "Prototype")])
    assert patched.files == fresh.files and patched.digests == fresh.digests
    renewed = {name for name in fresh.files if fresh.digests[name] != first.digests[name]}
    assert {"meta.json", "d/3.json"} <= renewed  # a name and a stage changed
    assert not {"d/0.json", "d/4.json"} & renewed  # only pitches changed there
    assert len(renewed) < len(fresh.files)
    assert "zebra" in json.loads(fresh.files[f"t/{searchindex.shard_of('zebra', 8)}.json"])

    # Many changes, or another layout, make the index anew: the same bytes still.
    many = [_doc(f"P{n}", "all new") for n in range(240)]
    events = [("a", "A", many[:150]), ("b", "B", many[150:])]
    assert indexer.build(events, []) == searchindex.build(events, [])


def test_a_pitch_edit_rewrites_only_the_index_files_it_changes(
    tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    """Each file of the index is a source of its own: a pitch edit, in a session as in a
    fresh process, rewrites the shards holding the words it added or removed and no other,
    and the site equals a clean build."""
    from site_builder.render.build import BuildSession

    content, out = tmp_archive(edit=sharded), tmp_path / "public"
    session = BuildSession(content, out)
    session.build()
    shards = json.loads((out / "search/meta.json").read_bytes())["shards"]
    assert shards > 1

    for build, word in ((session.build, "quokka"), (BuildSession(content, out).build, "xylem")):
        save(content, pitch_plus(word))
        report = build()
        shard = f"search/t/{searchindex.shard_of(word, shards)}.json"
        assert [p for p in report.written if p.startswith("search/")] == [shard]
        assert [p for p in report.rendered if p.startswith("search/")] == [shard]
        assert postings(files(out), word) == {"Tide tables": searchindex.PITCH}
    assert_as_clean(content, out, tmp_path)


def test_the_index_is_made_only_when_what_it_is_made_of_changed(
    tmp_archive: ArchiveFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Making the index reads every project; a build in a fresh process makes it only when
    one of the sources it was last made from changed (the state keeps them), so an event's
    description edited costs no index, and a pitch edited costs one."""
    import dataclasses

    from site_builder.render.build import BuildSession
    from site_builder.render.deps import DERIVED

    made: list[int] = []
    derived = DERIVED["search"]

    def counted(sources: object) -> object:
        made.append(1)
        return derived.make(sources)  # type: ignore[arg-type]

    monkeypatch.setitem(DERIVED, "search", dataclasses.replace(derived, make=counted))
    content, out = tmp_archive(edit=ranked), tmp_path / "public"
    build_site(content, out)
    assert len(made) == 1

    def change(edit: Callable[[Site], None]) -> list[str]:
        save(content, edit)
        made.clear()
        return BuildSession(content, out).build().written

    written = change(lambda site: setattr(site.events["spring-hack"], "description", "New."))
    assert made == [] and "spring-hack/index.html" in written
    written = change(pitch_plus("estuary"))
    assert made == [1] and any(p.startswith("search/t/") for p in written)
    assert postings(files(out), "estuary") == {"Tide tables": searchindex.PITCH}
    assert_as_clean(content, out, tmp_path)


def test_a_warm_session_patches_the_index_from_its_first_save(
    tmp_archive: ArchiveFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`jamdat serve` and the API start their session with a warm build: it makes the index
    even when the site is up to date, so the first save patches it, as every later one."""
    from site_builder.render import deps
    from site_builder.render.build import BuildSession

    content, out = tmp_archive(edit=ranked), tmp_path / "public"
    build_site(content, out)
    deps.forget()  # as in the fresh process a server is
    made = makes_counted(monkeypatch)
    session = BuildSession(content, out, long_lived=True)
    assert session.build(warm=True).written == [] and made == [1]
    for word in ("lagoon", "fjord"):
        save(content, pitch_plus(word))
        assert any(p.startswith("search/t/") for p in session.build().written)
        assert made == [1]
        assert postings(files(out), word) == {"Tide tables": searchindex.PITCH}
    assert_as_clean(content, out, tmp_path)
    assert postings(files(out), "lagoon") == {"Tide tables": searchindex.PITCH}


def test_a_new_process_makes_again_only_the_edited_events_documents(
    tmp_archive: ArchiveFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each event's documents are stored in the build state with the fingerprint of what
    they were made from: a build in a new process after a pitch edit reads the edited
    event's texts again, not every event's. A stored part that is damaged, or was made
    from what has changed since, is made again."""
    import sqlite3

    from site_builder.render import deps, search
    from site_builder.render.build import BuildSession
    from site_builder.render.state import state_file

    content, out = tmp_archive(edit=ranked), tmp_path / "public"
    build_site(content, tmp_path / "elsewhere")
    build_site(content, out)  # a cold build finding every part in memory still stores it
    events = len(archive.load(content).events)
    assert events > 1
    made: list[str] = []
    event_docs = search.event_docs

    def counted(
        site: Site, index: object, slug: str, sources: object = None
    ) -> list[searchindex.Doc]:
        made.append(slug)
        return event_docs(site, index, slug, sources)  # type: ignore[arg-type]

    monkeypatch.setattr(search, "event_docs", counted)

    def fresh_build(change: Callable[[Site], None]) -> list[str]:
        save(content, change)
        deps.forget()  # nothing kept in memory, as in a new process
        made.clear()
        BuildSession(content, out).build()
        return sorted(made)

    assert fresh_build(pitch_plus("estuary")) == ["spring-hack"]
    assert postings(files(out), "estuary") == {"Tide tables": searchindex.PITCH}

    def rename(site: Site) -> None:
        p = next(p for p in site.projects.values() if p.event != "spring-hack")
        p.name = "Quillwort"

    assert len(fresh_build(rename)) == 1  # the renamed project's event: its part is stale
    assert set(postings(files(out), "quillwort").values()) == {searchindex.NAME}

    db = sqlite3.connect(state_file(archive.state_dir(content), out))
    with db:
        db.execute("UPDATE kept SET data = CAST('[]' AS BLOB)")  # no documents
    db.close()
    assert len(fresh_build(pitch_plus("lagoon"))) == events  # every part damaged: made again
    assert postings(files(out), "lagoon") == {"Tide tables": searchindex.PITCH}

    # A server's session starts from the stored parts, and keeps them in memory.
    deps.forget()
    restored: list[object] = []
    restore = deps.Memo._restore

    def counted_restore(memo: deps.Memo[object], name: object, sources: deps.Sources) -> object:
        restored.append(name)
        return restore(memo, name, sources)

    monkeypatch.setattr(deps.Memo, "_restore", counted_restore)
    session = BuildSession(content, out, long_lived=True)
    session.build(warm=True)
    assert len(restored) == events
    save(content, pitch_plus("delta"))
    made.clear()
    restored.clear()
    session.build()
    assert made == ["spring-hack"] and restored == []
    assert postings(files(out), "delta") == {"Tide tables": searchindex.PITCH}
    assert_as_clean(content, out, tmp_path)


def test_a_new_process_patches_the_index_it_published(
    tmp_archive: ArchiveFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build in a new process does not make the index from every project: it reads back
    the files the last build published (while their stat and bytes are as recorded) and
    patches those the changed documents touch: terms, a name shown, a stage. A file gone
    or changed by hand, or a state that lacks what the index was made of, has it made
    anew. Each time the site is the one a clean build makes."""
    import sqlite3

    from site_builder.render import deps
    from site_builder.render.build import BuildSession
    from site_builder.render.state import state_file

    content, out = tmp_archive(edit=sharded), tmp_path / "public"
    build_site(content, out)
    made = makes_counted(monkeypatch)

    def fresh_build(change: Callable[[Site], None]) -> int:
        save(content, change)
        deps.forget()
        made.clear()
        BuildSession(content, out).build()
        count = len(made)
        assert_as_clean(content, out, tmp_path)
        return count

    def several(site: Site) -> None:
        tide = site.projects[("spring-hack", "tide-tables")]
        tide.pitch = tide.pitch.replace("river", "estuary")
        tide.name = "Tide charts"
        site.projects[("spring-hack", "flood-watch")].progress = 50

    assert fresh_build(several) == 0
    assert postings(files(out), "estuary") == {"Tide charts": searchindex.PITCH}
    assert "Tide tables" not in postings(files(out), "river")

    shards = json.loads((out / "search/meta.json").read_bytes())["shards"]
    assert shards > 1
    (out / f"search/t/{searchindex.shard_of('quokka', shards)}.json").unlink()
    assert fresh_build(pitch_plus("quokka")) == 1  # a file it patches is gone
    other = (searchindex.shard_of("zebra", shards) + 1) % shards
    (out / f"search/t/{other}.json").write_text("{}")
    assert fresh_build(pitch_plus("zebra")) == 1  # a file it does not patch, changed by hand
    db = sqlite3.connect(state_file(archive.state_dir(content), out))
    with db:
        db.execute("DELETE FROM kept WHERE memo = 'search.index'")
    db.close()
    assert fresh_build(pitch_plus("walrus")) == 1  # what it was made of is not known
    assert fresh_build(pitch_plus("yak")) == 0
    assert postings(files(out), "yak") == {"Tide charts": searchindex.PITCH}


def test_a_session_save_values_only_the_sources_of_the_event_it_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every event's search part is current unless one of its sources changed since the
    session's last build found it current: a save looks up none of the other events'
    records or texts (each save valued all 22,000 of them at 100 events)."""
    import sys

    from site_builder.render.build import BuildSession

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    import corpus

    content, out = tmp_path / "content", tmp_path / "public"
    corpus.generate(content, 4, 6)
    session = BuildSession(content, out, jobs=1, long_lived=True)
    session.build(warm=True)
    pitch = sorted((content / "projects" / "event-0002").glob("*.md"))[0]
    valued = sources_asked(monkeypatch, "value")
    for n in range(3):
        valued.clear()
        with pitch.open("a", encoding="utf-8") as f:
            f.write(f"\n\nSaved again ({n}): lagoon{n}.\n")
        assert session.build().rendered
        others = {
            s for s in valued if "\x1fevent-0002" not in s and s.startswith(("projects", "text"))
        }
        if n:
            assert others == set(), sorted(others)[:5]
    assert_as_clean(content, out, tmp_path)
