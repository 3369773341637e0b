"""Where an archive's per-user state lives, outside `content/`: its tokens and history."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def tokens_file(content: Path) -> Path:
    """Where an archive's tokens are kept: `$JAMDAT_TOKENS` when set, else one file per
    archive in the user's state folder (`$XDG_STATE_HOME`, by default `~/.local/state`):
    `jamdat/tokens/<folder name>-<digest of its absolute path>.sqlite`."""
    chosen = os.environ.get("JAMDAT_TOKENS")
    if chosen:
        return Path(chosen)
    home = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    where = content.resolve()
    key = hashlib.blake2b(os.fsencode(where), digest_size=6).hexdigest()
    return Path(home) / "jamdat" / "tokens" / f"{where.name}-{key}.sqlite"
