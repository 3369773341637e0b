"""Optional: record each accepted edit as a git commit authored by its editor."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from ..errors import JamdatError
from .audit import AuditEntry

COMMITTER = ("Jamdat API", "jamdat@localhost")
"""Who commits when the repository has no identity configured (the author is the editor)."""
OUTSIDE = "Changes to the archive made outside the API, or saved before it stopped"
"""The message of a commit of what the API found on disk uncommitted."""


class GitLog:
    """Commits the files an edit changed, and only those, in the archive's repository."""

    def __init__(self, content: Path) -> None:
        self.content = content.resolve()
        top = self._git("rev-parse", "--show-toplevel", check=False)
        if top.returncode != 0:
            raise JamdatError(
                f"--git: {content} is not inside a git repository ({top.stderr.strip()})"
            )
        self.root = Path(top.stdout.strip())
        self.env = dict(os.environ)
        if not self._git("config", "user.email", check=False).stdout.strip():
            self.env["GIT_COMMITTER_NAME"], self.env["GIT_COMMITTER_EMAIL"] = COMMITTER

    def _git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["git", "-C", str(self.content), *args],
            capture_output=True,
            text=True,
            env=getattr(self, "env", None),
            check=False,
        )
        if check and result.returncode != 0:
            raise JamdatError(f"git {args[0]} failed: {result.stderr.strip() or result.stdout}")
        return result

    def commit_pending(self) -> None:
        """Commit what the content folder holds uncommitted (another writer's edits, such
        as `jamdat new` during the event, or an edit saved just before a crash), so that
        the next edit's commit holds that edit alone, under its editor's name."""
        folder = str(self.content)
        if not self._git("status", "--porcelain", "--", folder).stdout.strip():
            return
        self._git("add", "-A", "--", folder)
        self._git(
            "commit",
            "--quiet",
            "--no-verify",
            f"--author={COMMITTER[0]} <{COMMITTER[1]}>",
            "-m",
            OUTSIDE,
            "--",
            folder,
        )

    def commit(self, changed: list[str], entry: AuditEntry) -> None:
        """Commit `changed` (paths relative to the content folder) with the editor as author."""
        if not changed:
            return
        paths = [str(self.content / rel) for rel in changed]
        self._git("add", "-A", "--", *paths)
        author = f"{entry.user} <{entry.user.replace(' ', '.')}@users.jamdat>"
        self._git(
            "commit",
            "--quiet",
            "--no-verify",
            f"--author={author}",
            "-m",
            entry.message(),
            "--",
            *paths,
        )
