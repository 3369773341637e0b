"""The history of builds and syncs: one SQLite row per run, kept beside the tokens.

The CLI and the API both record here, so an organiser sees every run however it was
started. The database lives outside `content/` (next to `tokens_file`), holds only what
a run did (counts, slugs, outcome, error text) and never a secret; it keeps the last
`KEEP` runs.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args

from ..userstate import tokens_file

Kind = Literal["build", "sync"]
KINDS: tuple[Kind, ...] = get_args(Kind)
Result = Literal["succeeded", "failed"]
KEEP = 1000

TABLE = "runs"


@dataclass(frozen=True, slots=True)
class Run:
    """One build or sync as it is listed: when, who, what changed, how long, how it went."""

    kind: Kind
    started_at: datetime
    finished_at: datetime
    by: str
    """The editor's username, or "cli", "edits" (a rebuild after edits), "schedule"."""
    outcome: Result
    seconds: float
    summary: str = ""
    scope: str = ""
    """What a sync covered: an event slug, or `event/slug` for one project."""
    written: int = 0
    removed: int = 0
    changed: tuple[str, ...] = ()
    """Syncs: the projects (`event/slug`) whose content changed."""
    failed: tuple[str, ...] = ()
    """Syncs: the projects whose fetch failed."""
    error: str = ""
    id: int = 0


def history_file(content: Path) -> Path:
    """`$JAMDAT_HISTORY` when set, else the tokens database's name with `.history.sqlite`."""
    chosen = os.environ.get("JAMDAT_HISTORY")
    if chosen:
        return Path(chosen)
    tokens = tokens_file(content)
    return tokens.with_name(f"{tokens.stem}.history.sqlite")


_CREATE = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    id INTEGER PRIMARY KEY, kind TEXT, started_at TEXT, finished_at TEXT, "by" TEXT,
    outcome TEXT, seconds FLOAT, summary TEXT, scope TEXT, written INTEGER, removed INTEGER,
    changed TEXT, failed TEXT, error TEXT)"""


@contextmanager
def _db(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection to the history, its table made on first use. Plain sqlite3: every CLI
    command records a run, and sqlite-utils' import (with its plugin scan) cost each
    0.13 s, more than a build with nothing to do."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path, timeout=10)) as conn:
        conn.row_factory = sqlite3.Row
        conn.execute(_CREATE)
        yield conn


class History:
    """The runs of one archive (a fresh connection per call: safe from any thread)."""

    def __init__(self, path: Path, keep: int = KEEP) -> None:
        self.path = path
        self.keep = keep

    @classmethod
    def of(cls, content: Path) -> History:
        return cls(history_file(content))

    def record(self, run: Run) -> int:
        """Add a run and drop the oldest beyond `keep`; returns the new row's id (0 when
        the database cannot be written: the run itself is not failed for that)."""
        try:
            return self._insert(run)
        except (sqlite3.Error, OSError) as exc:
            import logging  # only here: every CLI command records its run

            log = logging.getLogger("jamdat.history")
            log.warning("could not record the %s in %s: %s", run.kind, self.path, exc)
            return 0

    def _insert(self, run: Run) -> int:
        row: dict[str, Any] = {
            "kind": run.kind,
            "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat(),
            "by": run.by,
            "outcome": run.outcome,
            "seconds": round(run.seconds, 4),
            "summary": run.summary,
            "scope": run.scope,
            "written": run.written,
            "removed": run.removed,
            "changed": json.dumps(list(run.changed)),
            "failed": json.dumps(list(run.failed)),
            "error": run.error,
        }
        names = ", ".join(f'"{name}"' for name in row)
        marks = ", ".join("?" * len(row))
        with _db(self.path) as db, db:
            cursor = db.execute(
                f"INSERT INTO {TABLE} ({names}) VALUES ({marks})", list(row.values())
            )
            new = int(cursor.lastrowid or 0)
            db.execute(f"DELETE FROM {TABLE} WHERE id <= ?", [new - self.keep])
        return new

    def list(self, kind: Kind | None = None, limit: int = 50) -> list[Run]:
        """The latest runs, newest first, optionally of one kind."""
        where, args = ("WHERE kind = ?", [kind]) if kind else ("", [])
        with _db(self.path) as db:
            rows = db.execute(
                f"SELECT * FROM {TABLE} {where} ORDER BY id DESC LIMIT ?", [*args, limit]
            )
            return [_run(dict(row)) for row in rows]


def _run(row: dict[str, Any]) -> Run:
    return Run(
        id=row["id"],
        kind=row["kind"],
        started_at=datetime.fromisoformat(row["started_at"]),
        finished_at=datetime.fromisoformat(row["finished_at"]),
        by=row["by"],
        outcome=row["outcome"],
        seconds=row["seconds"],
        summary=row["summary"],
        scope=row["scope"],
        written=row["written"],
        removed=row["removed"],
        changed=tuple(json.loads(row["changed"])),
        failed=tuple(json.loads(row["failed"])),
        error=row["error"],
    )


@dataclass(slots=True)
class Timer:
    """Started when a run starts: its start time, and `run(...)` once it finished."""

    kind: Kind
    by: str
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    _start: float = field(default_factory=time.perf_counter)

    def run(self, outcome: Result, **details: Any) -> Run:
        return Run(
            kind=self.kind,
            started_at=self.started_at.replace(microsecond=0),
            finished_at=datetime.now(UTC).replace(microsecond=0),
            by=self.by,
            outcome=outcome,
            seconds=time.perf_counter() - self._start,
            **details,
        )


def sync_run(timer: Timer, scope: str, outcomes: Sequence[Any], summary: str, written: int) -> Run:
    """A finished sync's row from its per-project outcomes (`sync.engine.Outcome`)."""
    changed = tuple(o.name for o in outcomes if o.status == "updated")
    failed = tuple(o.name for o in outcomes if o.status == "failed")
    return timer.run(
        "succeeded",
        scope=scope,
        summary=summary,
        written=written,
        changed=changed,
        failed=failed,
    )
