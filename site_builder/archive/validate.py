"""`jamdat validate`: the store's checks, then the data package, then Frictionless.

The store's checks are the ones every build applies when it loads the archive (`--fast`
adds nothing that could fail, so a build refuses exactly what `validate --fast` refuses).
Errors fail validation; warnings point at real-world oddities (Dribdat data has events that
end before they start) without failing it. Every problem names file, row and field.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ContentError, Problem
from ..fsutil import holds
from ..model import Site
from . import contentfs, schema, txn
from .loading import checkout
from .saving import render_files
from .textlimits import MAX_TEXT_CHARS

DESCRIPTOR = "datapackage.json"
MAX_TEAM_WARNINGS = 5
FIX_HINT = "run `jamdat validate --fix` to rewrite it from the schema and site.yaml"


@dataclass(slots=True)
class Report:
    """What validation found; `errors` empty means the archive is valid."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    summary: str = ""
    fixed: list[str] = field(default_factory=list)
    """Files rewritten because `fix` was asked for."""


def validate_archive(content: Path, frictionless: bool = True, fix: bool = False) -> Report:
    """Check an archive fully; with `fix`, rewrite a stale `datapackage.json` first."""
    report = Report()
    if not content.is_dir():
        report.errors.append(
            Problem(str(content), "is not a directory (point --content at the archive)")
        )
        return report
    try:
        work = checkout(content)
    except ContentError as exc:
        report.errors.extend(exc.problems)
        return report
    site = work.site
    report.summary = summarize(site)
    rows = _row_numbers(content)
    report.warnings.extend(check_oddities(site, rows))
    files = render_files(site)
    report.warnings.extend(check_readme_sizes(files))
    expected = files[DESCRIPTOR]
    newer = _newer_columns(content)
    if fix:
        # The descriptor and the tables that lack newer columns, as one transaction: not
        # written when the archive changed since it was read.
        wanted = [DESCRIPTOR, *newer]
        with txn.exclusive(content):
            rewrite = {
                path: files[path].encode("utf-8")
                for path in wanted
                if not holds(content / path, files[path].encode("utf-8"))
            }
            if rewrite:
                txn.commit(content, rewrite, work.read)
                report.fixed.extend(rewrite)
                newer = {}
    canonical = check_canonical(content, files)
    report.warnings.extend(w for w in canonical if w.file not in newer)
    for path, names in newer.items():
        message = f"lacks the newer column(s) {', '.join(names)}, read as empty: run "
        message += "`jamdat validate --fix` to add them (any edit of this table does too)"
        report.warnings.append(Problem(path, message, 1))
    # The descriptor is for Frictionless and the tools that read the package; the build
    # never reads it, and the next save or --fix rewrites it: an error of the full pass.
    stale = check_descriptor(content, json.loads(expected))
    if not frictionless:
        report.warnings.extend(stale)
        return report
    report.errors.extend(stale)
    if not report.errors:
        report.errors.extend(frictionless_problems(content, json.loads(expected)))
    return report


def summarize(site: Site) -> str:
    """Counts of what the archive holds, e.g. `2 events, 3 projects, 1 category ...`."""
    counts = (
        (len(site.events), "event", "events"),
        (len(site.projects), "project", "projects"),
        (len(site.categories), "category", "categories"),
        (len(site.activities), "activity", "activities"),
        (len(site.people), "person", "people"),
    )
    return ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in counts)


# ---------------------------------------------------------------- checks on the model


def _row_numbers(content: Path) -> dict[tuple[str, tuple[str, ...]], int]:
    """(table, key) -> CSV row number, so model-level problems can name their row."""
    rows: dict[tuple[str, tuple[str, ...]], int] = {}
    for table in schema.TABLES:
        data = contentfs.read_optional(content, table.path)
        if data is None:
            continue
        text = data.decode("utf-8-sig")
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, [])
        index = [header.index(k) for k in table.primary_key]
        for number, row in enumerate(reader, start=2):
            rows[(table.name, tuple(row[i] for i in index))] = number
    return rows


def _newer_columns(content: Path) -> dict[str, list[str]]:
    """Table path -> the columns added to the schema since the table was written."""
    found: dict[str, list[str]] = {}
    for table in schema.TABLES:
        data = contentfs.read_optional(content, table.path)
        if data is None:
            continue
        header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")), [])
        _, newer = table.absent(header)
        if newer:
            found[table.path] = newer
    return found


def check_readme_sizes(files: dict[str, str]) -> list[Problem]:
    """Synced READMEs over `MAX_TEXT_CHARS`: warnings, since sync writes and cuts them (one
    from an older sync is cut when rendered). Other texts over the limit are refused by the
    load itself, for the build as for `validate`."""
    warnings: list[Problem] = []
    for path, text in files.items():
        length = len(text) - 1  # files end with a newline the text does not have
        if path.startswith("synced/") and path.endswith(".md") and length > MAX_TEXT_CHARS:
            message = f"this README is {length:,} characters long, over the limit of "
            message += f"{MAX_TEXT_CHARS:,}: the site shows its start; the next sync cuts it"
            warnings.append(Problem(path, message))
    return warnings


def check_oddities(site: Site, rows: dict[tuple[str, tuple[str, ...]], int]) -> list[Problem]:
    """Things that are probably mistakes but that real archives contain: warnings only."""
    warnings: list[Problem] = []
    for e in site.events.values():
        row = rows.get(("events", (e.slug,)))
        if e.ends_at < e.starts_at:
            warnings.append(
                Problem(
                    schema.EVENTS.path,
                    f"ends before it starts ({e.ends_at:%Y-%m-%d %H:%M} is before "
                    f"{e.starts_at:%Y-%m-%d %H:%M})",
                    row,
                    "ends_at",
                )
            )
        if (e.location_lat is None) != (e.location_lon is None):
            missing = "location_lon" if e.location_lon is None else "location_lat"
            warnings.append(
                Problem(schema.EVENTS.path, "has only half of the coordinates", row, missing)
            )
    strangers: list[tuple[int | None, list[str]]] = []
    ladder = {stage.number for stage in site.stages.ladder}
    top = max(ladder)
    for p in site.projects.values():
        row = rows.get(("projects", (p.event, p.slug)))
        if p.progress is not None and p.progress > top:
            warnings.append(
                Problem(
                    schema.PROJECTS.path,
                    f"stage {p.progress} is above the top of the ladder ({top}, stages.yaml)",
                    row,
                    "progress",
                )
            )
        unknown = [name for name in p.team_members if name not in site.people]
        if unknown and site.people:
            strangers.append((row, unknown))
    warnings.extend(_team_warnings(strangers))
    return warnings


def _team_warnings(strangers: list[tuple[int | None, list[str]]]) -> list[Problem]:
    """Team members without a profile: one warning per project, or a summary when many."""
    path = schema.PROJECTS.path
    if len(strangers) <= MAX_TEAM_WARNINGS:
        return [
            Problem(
                path,
                f"{', '.join(names)} not in data/people.csv (shown without a profile)",
                row,
                "team",
            )
            for row, names in strangers
        ]
    total = sum(len(names) for _, names in strangers)
    row, names = strangers[0]
    return [
        Problem(
            path,
            f"{total} team members of {len(strangers)} projects are not in data/people.csv "
            f"(first: {', '.join(names)} in row {row}); they are shown without a profile",
            None,
            "team",
        )
    ]


def check_canonical(content: Path, expected: dict[str, str]) -> list[Problem]:
    """Tables not in the store's canonical form (`expected`) will be rewritten by the next save."""
    warnings = []
    for table in schema.TABLES:
        data = contentfs.read_optional(content, table.path)
        if data is not None and data != expected[table.path].encode("utf-8"):
            warnings.append(
                Problem(
                    table.path,
                    "is not in canonical form (column order, row order, quoting or line "
                    "endings); the next import or edit will rewrite it",
                )
            )
    return warnings


# ---------------------------------------------------------------- datapackage.json


def check_descriptor(content: Path, expected: dict[str, Any]) -> list[Problem]:
    """`datapackage.json` must exist and equal the descriptor the schema produces."""
    data = contentfs.read_optional(content, DESCRIPTOR)
    if data is None:
        return [Problem(DESCRIPTOR, f"is missing: {FIX_HINT}")]
    try:
        actual = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return [Problem(DESCRIPTOR, f"is not UTF-8 text (byte {exc.start}): {FIX_HINT}")]
    except json.JSONDecodeError as exc:
        return [Problem(DESCRIPTOR, f"is not valid JSON ({exc.msg}): {FIX_HINT}", exc.lineno)]
    where = first_difference(actual, expected)
    if where is None:
        return []
    return [
        Problem(
            DESCRIPTOR,
            f"is stale or was edited by hand (differs at {where or 'the top level'}); it is "
            f"generated from the table schema and site.yaml: {FIX_HINT}",
            None,
            where or None,
        )
    ]


def first_difference(actual: Any, expected: Any, where: str = "") -> str | None:
    """JSON path of the first place two JSON values differ, or None when they are equal."""
    if isinstance(actual, dict) and isinstance(expected, dict):
        for key in sorted(set(actual) | set(expected)):
            if key not in actual or key not in expected:
                return f"{where}.{key}".lstrip(".")
            found = first_difference(actual[key], expected[key], f"{where}.{key}")
            if found is not None:
                return found
        return None
    if isinstance(actual, list) and isinstance(expected, list):
        for i, (a, e) in enumerate(zip(actual, expected, strict=False)):
            found = first_difference(a, e, f"{where}[{i}]")
            if found is not None:
                return found
        if len(actual) != len(expected):
            return f"{where}[{min(len(actual), len(expected))}]".lstrip(".")
        return None
    return None if actual == expected and type(actual) is type(expected) else where.lstrip(".")


# ---------------------------------------------------------------- Frictionless


_TYPE_WORDS = {
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "datetime": "a date and time like 2024-03-24T09:00:00",
    "string": "text",
}
_SAME_ROW = re.compile(r"position (\d+)")


def frictionless_problems(content: Path, descriptor: dict[str, Any]) -> list[Problem]:
    """Validate the CSV files against the descriptor with Frictionless, in plain English."""
    import frictionless  # ~0.3 s to import: only when a full validation is asked for

    package = frictionless.Package(descriptor, basepath=str(content))
    result = package.validate()
    problems: list[Problem] = []
    for task in result.tasks:
        table = next((t for t in schema.TABLES if t.name == task.name), None)
        file = table.path if table else str(task.name)
        for error in task.errors:
            problem = translate(error.to_dict(), file, table)
            if problem not in problems:
                problems.append(problem)
    return problems


def translate(error: dict[str, Any], file: str, table: schema.Table | None) -> Problem:
    """One Frictionless error as a Problem an organiser understands."""
    kind = str(error.get("type", ""))
    row = error.get("rowNumber")
    name = error.get("fieldName")
    cell = error.get("cell")
    note = str(error.get("note", ""))
    if kind == "type-error":
        ftype = next((f.type for f in table.fields if f.name == name), "") if table else ""
        wanted = _TYPE_WORDS.get(ftype, f"a valid {ftype or 'value'}")
        return Problem(file, f"{cell!r} is not {wanted}", row, name)
    if kind == "constraint-error":
        if "required" in note:
            return Problem(file, "is required but empty", row, name)
        if "pattern" in note:
            return Problem(
                file,
                f"{cell!r} is not a valid slug: use lowercase letters, digits and single hyphens",
                row,
                name,
            )
        return Problem(file, f"{cell!r} breaks a rule of the schema ({note})", row, name)
    if kind == "primary-key":
        match = _SAME_ROW.search(note)
        first = f" (first used in row {match.group(1)})" if match else ""
        key = table.primary_key[-1] if table else None
        return Problem(file, f"duplicate key{first}", row, key)
    if kind == "foreign-key":
        names = error.get("fieldNames") or []
        values = error.get("fieldCells") or []
        ref = error.get("referenceName", "")
        value = values[0] if values else ""
        return Problem(
            file,
            f"{value!r} does not exist in data/{ref}.csv",
            row,
            names[0] if names else None,
        )
    if kind == "missing-cell":
        return Problem(file, "has fewer cells than the header", row)  # deduplicated by caller
    if kind == "extra-cell":
        return Problem(file, "has more cells than the header", row)
    if kind == "blank-row":
        return Problem(file, "is an empty line: remove it", row)
    if kind.endswith("-label"):
        return _label_problem(kind, error, file)
    return Problem(file, f"cannot be read: {note or error.get('message', kind)}", row, name)


def _label_problem(kind: str, error: dict[str, Any], file: str) -> Problem:
    """Header problems: the columns must be the schema's columns, in the schema's order."""
    label = error.get("label")
    name = error.get("fieldName")
    position = error.get("fieldNumber")
    messages = {
        "incorrect-label": f"column {position} is {label!r} but the schema expects {name!r} "
        "there (columns must be in the schema's order)",
        "missing-label": "column is missing from the header (every schema column must be there)",
        "extra-label": f"column {position} ({label!r}) is not in the schema",
        "duplicate-label": f"column {label!r} appears more than once",
        "blank-label": f"column {position} has no name",
    }
    text = messages.get(kind, f"the header does not match the schema ({kind})")
    return Problem(file, text, 1, name if kind != "extra-label" else label)
