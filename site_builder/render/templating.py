"""Where templates come from (a site's own `templates/` first, then the defaults) and the
jinja2 environment that renders them."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import jinja2

from .urls import outbound

DEFAULT_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def template_dirs(content: Path) -> list[Path]:
    """The site's `templates/` beside its content (if any), then the project's defaults."""
    dirs: list[Path] = []
    own = content.parent / "templates"
    if own.is_dir():
        dirs.append(own.resolve())
    if DEFAULT_TEMPLATES.resolve() not in dirs:
        dirs.append(DEFAULT_TEMPLATES.resolve())
    return dirs


def _date(value: datetime, fmt: str = "%-d %B %Y") -> str:
    return value.strftime(fmt)


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def make_env(dirs: list[Path]) -> jinja2.Environment:
    """A jinja2 environment over `dirs` (first match wins), autoescaping HTML and XML."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        autoescape=jinja2.select_autoescape(["html", "xml", "htm", "svg"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
        cache_size=-1,
    )
    env.filters["date"] = _date
    env.filters["iso"] = _iso
    env.filters["outbound"] = outbound
    from .assets import AssetLinks

    env.globals["asset"] = AssetLinks(dirs)
    return env


def template_files(dirs: list[Path]) -> dict[str, Path]:
    """Every template and asset by relative name, the first directory holding it winning."""
    found: dict[str, Path] = {}
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in sorted(directory.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                found.setdefault(path.relative_to(directory).as_posix(), path)
    return dict(sorted(found.items()))


def asset_files(dirs: list[Path]) -> dict[str, Path]:
    """The files under `assets/`, by name relative to it."""
    return {
        name.removeprefix("assets/"): path
        for name, path in template_files(dirs).items()
        if name.startswith("assets/")
    }


def templates_digest(dirs: list[Path]) -> str:
    """Digest of every template and asset that would be used, names and bytes."""
    h = hashlib.blake2b(digest_size=16)
    for name, path in template_files(dirs).items():
        h.update(name.encode("utf-8"))
        h.update(b"\x00")
        h.update(path.read_bytes())
        h.update(b"\x00")
    return h.hexdigest()
