"""The audit trail: one JSON line per accepted edit (who, what, when) in `.jamdat/`."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..archive import state_dir


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One accepted edit: `action` on `entry` (e.g. `projects/spring-hack/river-levels`)."""

    time: datetime
    user: str
    role: str
    action: str
    entry: str
    fields: tuple[str, ...] = ()

    def line(self) -> str:
        return json.dumps(
            {
                "time": self.time.isoformat(),
                "user": self.user,
                "role": self.role,
                "action": self.action,
                "entry": self.entry,
                "fields": list(self.fields),
            },
            ensure_ascii=False,
        )

    def message(self) -> str:
        """A one-line summary, used as commit message."""
        what = f"{self.action} {self.entry}"
        return f"{what}: {', '.join(self.fields)}" if self.fields else what


def audit_file(content: Path) -> Path:
    return state_dir(content) / "audit.jsonl"


def append(content: Path, entries: Iterable[AuditEntry]) -> None:
    """Append entries in one write, so concurrent readers never see half a line."""
    text = "".join(entry.line() + "\n" for entry in entries)
    if not text:
        return
    path = audit_file(content)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)


def read(content: Path) -> list[AuditEntry]:
    """Every entry recorded so far, oldest first."""
    path = audit_file(content)
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        entries.append(
            AuditEntry(
                datetime.fromisoformat(data["time"]),
                data["user"],
                data["role"],
                data["action"],
                data["entry"],
                tuple(data["fields"]),
            )
        )
    return entries
