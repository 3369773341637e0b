"""Template assets in the site: every file under `assets/` by its own name, and style sheets
and scripts also under a fingerprinted name (`assets/immutable/style.3f2a9c1b5e.css`) that
changes with their bytes, so hosts may cache those forever.

Templates link assets through the `asset()` global: `{{ u.link(asset('style.css')) }}`
gives the fingerprinted file for CSS and JS and the plain one for anything else. The plain
copies stay published for templates (a site's own, say) that link `assets/style.css`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from . import deps
from .outputs import Output, RenderContext, digest
from .templatedirs import asset_files, read_template

FINGERPRINTED = (".css", ".js")
"""Asset types published under a content-hashed name as well."""

IMMUTABLE_DIR = "assets/immutable/"
"""Where fingerprinted files go: every file below it is named by its content, so a host
can send it with `Cache-Control: immutable` (see netlify.toml) and nothing else."""


def fingerprinted(name: str, data: bytes) -> str:
    """`style.css` -> `style.3f2a9c1b5e.css`: ten hex digits of the bytes' blake2b."""
    stem, dot, ext = name.rpartition(".")
    token = hashlib.blake2b(data, digest_size=5).hexdigest()
    return f"{stem}.{token}.{ext}" if dot and stem else f"{name}.{token}"


@dataclass(frozen=True, slots=True)
class Asset:
    """One template asset: its name under `assets/`, its file and where pages link it."""

    name: str
    source: Path
    data: bytes

    @property
    def plain(self) -> str:
        return f"assets/{self.name}"

    @property
    def linked(self) -> str:
        """The site path templates link: fingerprinted for CSS and JS."""
        if self.name.endswith(FINGERPRINTED):
            return IMMUTABLE_DIR + fingerprinted(self.name, self.data)
        return self.plain


def assets(dirs: list[Path]) -> list[Asset]:
    """Every asset the templates in `dirs` can use (the first directory holding a name wins)."""
    return [
        Asset(name, directory / "assets" / name, read_template(directory, f"assets/{name}"))
        for name, directory in asset_files(dirs).items()
    ]


class AssetLinks:
    """The `asset()` template global: a name under `assets/` to the site path to link."""

    def __init__(self, dirs: list[Path]) -> None:
        self._paths = {a.name: a.linked for a in assets(dirs)}

    def __call__(self, name: str) -> str:
        deps.read(deps.key("template", f"assets/{name}"))
        try:
            return self._paths[name]
        except KeyError:
            known = ", ".join(sorted(self._paths)) or "none"
            raise KeyError(f"no asset {name!r} under templates/assets/ (known: {known})") from None


class _Bytes:
    """A render that returns an asset's bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __call__(self, ctx: RenderContext) -> bytes:
        return self.data


def asset_outputs(dirs: list[Path]) -> list[Output]:
    """The asset files of the site: each by its plain name, CSS and JS also fingerprinted."""
    out: list[Output] = []
    for a in assets(dirs):
        fp = digest(a.name, a.data)
        out.append(Output(a.plain, _Bytes(a.data), fp))
        if a.linked != a.plain:
            out.append(Output(a.linked, _Bytes(a.data), fp))
    return out
