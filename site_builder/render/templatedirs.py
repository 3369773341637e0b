"""Where templates come from: the site's own folder, then the project's defaults; their
files, read without following links, and their stats for the no-op check. Apart from
`templating` so that a build finding nothing to do never imports jinja2."""

from __future__ import annotations

from pathlib import Path

from ..archive import contentfs
from ..errors import ContentError
from .state import stats_digest

DEFAULT_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def template_dirs(content: Path) -> list[Path]:
    """The site's `templates/` beside its content (if any), then the project's defaults.
    A `templates` that is a symbolic link is refused, like every link in the archive."""
    dirs: list[Path] = []
    own = content.parent / "templates"
    if own.is_symlink():
        raise ContentError.single(Path("templates"), contentfs.SYMLINK.replace("file", "folder"))
    if own.is_dir():
        dirs.append(own.resolve())
    if DEFAULT_TEMPLATES.resolve() not in dirs:
        dirs.append(DEFAULT_TEMPLATES.resolve())
    return dirs


def template_files(dirs: list[Path]) -> dict[str, Path]:
    """Every template and asset by relative name, with the folder holding it: the first
    folder holding a name wins. A symbolic link in a folder is an error naming it (as
    `templates/...`): a site's own folder must not publish what a link points to."""
    found: dict[str, Path] = {}
    for directory in dirs:
        for name in sorted(contentfs.scan(directory, prefix=f"{directory.name}/")):
            if not name.rsplit("/", 1)[-1].startswith("."):
                found.setdefault(name, directory)
    return dict(sorted(found.items()))


def template_stats(directory: Path, stamp: int) -> str:
    """Digest of the names and stats of a template folder's files, for the no-op check;
    files that may change unseen are marked (`contentfs.settled`)."""
    found = contentfs.scan(directory, prefix=f"{directory.name}/")
    return stats_digest(contentfs.settled(found, stamp))


def read_template(directory: Path, name: str) -> bytes:
    """The bytes of the file `name` of a template folder, read without following links."""
    return contentfs.read_bytes(directory, name, prefix=f"{directory.name}/")


def asset_files(dirs: list[Path]) -> dict[str, Path]:
    """The files under `assets/`, by name relative to it, with the template folder holding them."""
    return {
        name.removeprefix("assets/"): directory
        for name, directory in template_files(dirs).items()
        if name.startswith("assets/")
    }
