"""`jamdat validate`: store checks, descriptor check, Frictionless pass and warnings."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from conftest import ArchiveFactory, Cli, tree_digest

from site_builder.archive.validate import first_difference, frictionless_problems, translate
from site_builder.model import Project, Site

JARGON = ("constraint", "position", "lookup table", "type is", "violates")


def test_valid_archive_passes_with_counts(tmp_archive: ArchiveFactory, cli: Cli) -> None:
    content = tmp_archive()
    before = tree_digest(content)
    result = cli("validate", "--content", content)
    assert result.exit_code == 0, result.output
    assert "valid (2 events, 3 projects, 1 category, 1 activity, 2 people)" in result.stdout
    assert "warning" not in result.stderr
    assert tree_digest(content) == before


def test_missing_directory_is_an_error(tmp_path: Path, cli: Cli) -> None:
    result = cli("validate", "--content", tmp_path / "nowhere")
    assert result.exit_code == 1
    assert "nowhere" in result.stderr and "is not a directory" in result.stderr


def test_unknown_event_timezone_is_an_error(tmp_archive: ArchiveFactory, cli: Cli) -> None:
    def edit(site: Site) -> None:
        site.events["spring-hack"].timezone = "Europe/Atlantis"

    result = cli("validate", "--content", tmp_archive(edit=edit))
    assert result.exit_code == 1
    assert (
        "data/events.csv, row 3, field 'timezone': unknown time zone 'Europe/Atlantis'"
        in result.stderr
    )


def test_event_ending_before_it_starts_is_only_a_warning(
    tmp_archive: ArchiveFactory, cli: Cli
) -> None:
    def edit(site: Site) -> None:
        site.events["autumn-jam"].ends_at = datetime(2023, 10, 1, 12, 0)

    result = cli("validate", "--content", tmp_archive(edit=edit))
    assert result.exit_code == 0, result.output
    assert "warning: data/events.csv, row 2, field 'ends_at': ends before it starts" in (
        result.stderr
    )


def test_team_member_without_profile_is_a_warning(tmp_archive: ArchiveFactory, cli: Cli) -> None:
    def edit(site: Site) -> None:
        site.projects[("spring-hack", "river-levels")].team = "ada, linus"

    result = cli("validate", "--content", tmp_archive(edit=edit))
    assert result.exit_code == 0, result.output
    assert (
        "warning: data/projects.csv, row 4, field 'team': linus not in data/people.csv"
        in result.stderr
    )


def test_many_strangers_are_summarised_in_one_warning(
    tmp_archive: ArchiveFactory, cli: Cli
) -> None:
    def edit(site: Site) -> None:
        for n in range(8):
            site.projects[("autumn-jam", f"extra-{n}")] = Project(
                event="autumn-jam", slug=f"extra-{n}", name=f"Extra {n}", team=f"x{n}, y{n}"
            )

    result = cli("validate", "--content", tmp_archive(edit=edit))
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: data/projects.csv, field 'team': 16 team members of 8 projects are not in "
        "data/people.csv (first: x0, y0 in row 2); they are shown without a profile"
    ]


def test_stale_descriptor_is_an_error_and_fix_rewrites_it(
    tmp_archive: ArchiveFactory, cli: Cli
) -> None:
    content = tmp_archive()
    path = content / "datapackage.json"
    original = path.read_bytes()
    descriptor = json.loads(original)
    descriptor["resources"][2]["schema"]["fields"][6]["type"] = "string"
    path.write_text(json.dumps(descriptor, indent=2))

    result = cli("validate", "--content", content)
    assert result.exit_code == 1
    assert "datapackage.json" in result.stderr
    assert "resources[2].schema.fields[6].type" in result.stderr
    assert "jamdat validate --fix" in result.stderr

    fixed = cli("validate", "--fix", "--content", content)
    assert fixed.exit_code == 0, fixed.output
    assert "rewrote" in fixed.stdout
    assert path.read_bytes() == original


def test_missing_descriptor_is_an_error(tmp_archive: ArchiveFactory, cli: Cli) -> None:
    content = tmp_archive()
    (content / "datapackage.json").unlink()
    result = cli("validate", "--content", content)
    assert result.exit_code == 1
    assert "datapackage.json: is missing" in result.stderr


def test_frictionless_catches_column_order_the_store_accepts(
    tmp_archive: ArchiveFactory, cli: Cli
) -> None:
    content = tmp_archive()
    people = content / "data" / "people.csv"
    lines = people.read_text().splitlines()
    swapped = [",".join(reversed(line.split(","))) for line in lines]
    people.write_text("\n".join(swapped) + "\n")

    fast = cli("validate", "--fast", "--content", content)
    assert fast.exit_code == 0, fast.output
    assert "data/people.csv: is not in canonical form" in fast.stderr

    full = cli("validate", "--content", content)
    assert full.exit_code == 1
    assert "data/people.csv, row 1, field 'username': column 1 is 'avatar_url'" in full.stderr
    assert not any(word in full.stderr for word in JARGON)


def test_frictionless_problems_are_plain_english(tmp_archive: ArchiveFactory) -> None:
    content = tmp_archive()
    descriptor = json.loads((content / "datapackage.json").read_text())
    projects = content / "data" / "projects.csv"
    text = projects.read_text()
    text = text.replace(
        "autumn-jam,leaf-counter,Leaf counter,,,,10", "autumn-jim,leaf-counter,L,,,,x"
    )
    projects.write_text(text + "spring-hack,short\n")

    problems = [str(p) for p in frictionless_problems(content, descriptor)]
    assert "data/projects.csv, row 2, field 'progress': 'x' is not a whole number" in problems
    assert (
        "data/projects.csv, row 2, field 'event': 'autumn-jim' does not exist in data/events.csv"
        in problems
    )
    assert "data/projects.csv, row 5: has fewer cells than the header" in problems
    assert problems.count("data/projects.csv, row 5: has fewer cells than the header") == 1
    assert not any(word in p for p in problems for word in JARGON)


def test_translate_covers_keys_and_dates() -> None:
    from site_builder.archive import schema

    duplicate = translate(
        {"type": "primary-key", "rowNumber": 4, "note": "the same as in the row at position 3"},
        "data/projects.csv",
        schema.PROJECTS,
    )
    assert (
        str(duplicate)
        == "data/projects.csv, row 4, field 'slug': duplicate key (first used in row 3)"
    )
    date = translate(
        {"type": "type-error", "rowNumber": 2, "fieldName": "starts_at", "cell": "soon"},
        "data/events.csv",
        schema.EVENTS,
    )
    assert "'soon' is not a date and time like 2024-03-24T09:00:00" in str(date)
    assert date.row == 2 and date.field == "starts_at"


def test_first_difference_names_the_json_path() -> None:
    assert first_difference({"a": [1, {"b": 2}]}, {"a": [1, {"b": 2}]}) is None
    assert first_difference({"a": [1, {"b": 2}]}, {"a": [1, {"b": 3}]}) == "a[1].b"
    assert first_difference({"a": [1]}, {"a": [1, 2]}) == "a[1]"
    assert first_difference({"a": 1}, {"a": 1, "z": 0}) == "z"
    assert first_difference({"a": True}, {"a": 1}) == "a"


def test_fast_validation_does_not_import_frictionless(tmp_archive: ArchiveFactory) -> None:
    content = tmp_archive()
    code = (
        "import sys; from pathlib import Path;"
        "from site_builder.archive.validate import validate_archive;"
        f"r = validate_archive(Path({str(content)!r}), frictionless=False);"
        "assert not r.errors, r.errors; print('frictionless' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _drop_columns(path: Path, names: set[str]) -> None:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    keep = [i for i, name in enumerate(rows[0]) if name not in names]
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows([[r[i] for i in keep] for r in rows])
    path.write_text(out.getvalue(), encoding="utf-8")


def test_an_archive_from_before_newer_columns_loads_builds_and_fix_upgrades_it(
    tmp_archive: ArchiveFactory, cli: Cli, tmp_path: Path
) -> None:
    """Tables written before `avatar_url`, `lock_starting` and `lock_editing` existed still
    load and build; validate says how to add them, and --fix adds exactly those."""
    content = tmp_archive()
    current = tree_digest(content)
    _drop_columns(content / "data" / "people.csv", {"avatar_url"})
    _drop_columns(content / "data" / "events.csv", {"lock_starting", "lock_editing"})
    older = json.loads((content / "datapackage.json").read_text())
    for resource in older["resources"]:
        fields = resource["schema"]["fields"]
        resource["schema"]["fields"] = [
            f for f in fields if f["name"] not in {"avatar_url", "lock_starting", "lock_editing"}
        ]
    (content / "datapackage.json").write_text(json.dumps(older, indent=2) + "\n")

    built = cli("build", "--content", content, "--out", tmp_path / "public")
    assert built.exit_code == 0, built.output
    checked = cli("validate", "--content", content)
    assert checked.exit_code == 1  # the descriptor is stale
    assert "data/people.csv" in checked.stderr and "avatar_url" in checked.stderr
    assert "lock_starting, lock_editing" in checked.stderr
    assert "jamdat validate --fix" in checked.stderr

    fixed = cli("validate", "--fix", "--content", content)
    assert fixed.exit_code == 0, fixed.output
    assert tree_digest(content) == current
    again = cli("validate", "--content", content)
    assert again.exit_code == 0 and "newer column" not in again.stderr
