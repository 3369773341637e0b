"""The search index: what a project is found by, with what weight, and in which files."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import ArchiveFactory

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
