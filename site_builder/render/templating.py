"""Where templates come from (a site's own `templates/` first, then the defaults) and the
jinja2 environment that renders them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, MutableMapping
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from . import deps
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


class RecordingEnvironment(jinja2.Environment):
    """Notes every template a render loads (extends, includes and imports load through
    `get_template` too), so each output depends on the templates it used."""

    def get_template(
        self,
        name: str | jinja2.Template,
        parent: str | None = None,
        globals: MutableMapping[str, Any] | None = None,
    ) -> jinja2.Template:
        if isinstance(name, str):
            deps.read(deps.key("template", name))
        return super().get_template(name, parent, globals)


def make_env(dirs: list[Path]) -> jinja2.Environment:
    """A jinja2 environment over `dirs` (first match wins), autoescaping HTML and XML."""
    env = RecordingEnvironment(
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


_ENVIRONMENTS: dict[tuple[str, ...], jinja2.Environment] = {}


def environment(dirs: list[Path], templates: str) -> jinja2.Environment:
    """The environment for `dirs` whose templates digest to `templates`: compiled once per
    process (a third of a small site's build), whichever session asks."""
    key = (templates, *map(str, dirs))
    env = _ENVIRONMENTS.get(key)
    if env is None:
        if len(_ENVIRONMENTS) >= 4:
            _ENVIRONMENTS.clear()
        env = _ENVIRONMENTS[key] = make_env(dirs)
    return env


def file_digests(dirs: list[Path]) -> Callable[[str], str]:
    """Digest of a template's or asset's bytes by its name ("-" when there is none)."""
    files = template_files(dirs)
    found: dict[str, str] = {}

    def value(name: str) -> str:
        if name not in found:
            path = files.get(name)
            data = path.read_bytes() if path is not None else None
            found[name] = "-" if data is None else hashlib.blake2b(data, digest_size=16).hexdigest()
        return found[name]

    return value


def templates_digest(dirs: list[Path]) -> str:
    """Digest of every template and asset that would be used, names and bytes."""
    h = hashlib.blake2b(digest_size=16)
    for name, path in template_files(dirs).items():
        h.update(name.encode("utf-8"))
        h.update(b"\x00")
        h.update(path.read_bytes())
        h.update(b"\x00")
    return h.hexdigest()
