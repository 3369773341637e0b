"""`jamdat media pull`: download the archive's remote images into `content/media/` under
names made of their content hash, and point the content at the copies.

Each copy is scaled down to what the site shows it at (`resize.py`; the hash is of the
stored bytes), and `SOURCES.csv` beside the copies records where each came from
(`manifest.py`).

Downloads go through sync's polite HTTP client (bounded concurrency, retries, per-host
circuit breaker, a size limit). A body is kept only when its first bytes say it is an image
of an allowed type. What fails keeps its remote URL and is listed in the summary. URLs
already pulled are remembered in `.jamdat/`, so a second run downloads nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from .. import archive
from ..archive import txn
from ..fsutil import atomic_write
from ..model import Site
from ..sync.http import FetchError, Http, HttpOptions
from . import manifest
from .refs import Reference, find, rewrite
from .resize import MAX_WIDTH, ImageProblem, fit
from .sniff import DEFAULT_TYPES, IMAGE_TYPES, active_svg, describe, sniff

FOLDER = "media"
INDEX = "media-pull.json"
"""URL -> file name of what was pulled before, in the archive's state folder."""
ACCEPT = "image/avif,image/webp,image/png,image/jpeg,image/gif,image/*;q=0.8"


@dataclass(frozen=True, slots=True)
class PullOptions:
    """Limits of one run."""

    types: tuple[str, ...] = DEFAULT_TYPES
    max_bytes: int = 10_000_000
    concurrency: int = 4
    dry_run: bool = False
    max_width: tuple[tuple[str, int], ...] = ()
    """Per use (`refs.USES`), the largest width kept, over MAX_WIDTH; 0 keeps the size."""

    def width(self, uses: set[str]) -> int:
        """The width an image used as each of `uses` is kept at: the largest they need."""
        widths = {**MAX_WIDTH, **dict(self.max_width)}
        needed = [widths[u] for u in uses]
        return 0 if 0 in needed else max(needed, default=0)


@dataclass(slots=True)
class PullReport:
    """What a run did; failures name the URL, where it is used and why."""

    downloaded: int = 0
    reused: int = 0
    rewritten: int = 0
    failures: list[tuple[str, str, str]] = field(default_factory=list)
    """(url, first place it is used, reason)"""
    changed: list[str] = field(default_factory=list)
    note: str = ""

    def summary(self) -> str:
        lines = [
            f"{self.downloaded} image(s) downloaded, {self.reused} already in media/, "
            f"{self.rewritten} reference(s) rewritten, {len(self.failures)} failed"
        ]
        if self.note:
            lines.append(self.note)
        for url, where, reason in self.failures:
            lines.append(f"  failed {url} ({where}): {reason}; the remote URL stays")
        lines.append(f"wrote {len(self.changed)} file(s)" if self.changed else "no files changed")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class _Got:
    url: str
    name: str = ""
    body: bytes = b""
    reason: str = ""


def _name(body: bytes, kind: str) -> str:
    return hashlib.sha256(body).hexdigest()[:32] + IMAGE_TYPES[kind]


async def _download(http: Http, url: str, types: Sequence[str], width: int, square: bool) -> _Got:
    try:
        fetched = await http.get(url, accept=ACCEPT)
    except FetchError as exc:
        return _Got(url, reason=exc.reason)
    kind = sniff(fetched.body)
    if kind is None:
        declared = fetched.content_type.split(";")[0].strip() or "no content type"
        return _Got(url, reason=f"not an image ({declared}; {describe(fetched.body)})")
    if kind not in types:
        return _Got(url, reason=f"{kind} images are not allowed (allowed: {', '.join(types)})")
    if kind == "svg" and active_svg(fetched.body):
        return _Got(url, reason="an SVG with scripts, event handlers or embedded content")
    try:
        # In a thread: decoding and scaling a photo takes long enough to stall downloads.
        fitted = await asyncio.to_thread(fit, fetched.body, kind, width, square) if width else None
        body = fitted.body if fitted else fetched.body
    except ImageProblem as exc:
        return _Got(url, reason=str(exc))
    return _Got(url, _name(body, kind), body)


async def _download_all(
    urls: dict[str, set[str]], options: PullOptions, transport: httpx.AsyncBaseTransport | None
) -> list[_Got]:
    """Download each URL and fit it to its uses (`urls`)."""
    http_options = HttpOptions(concurrency=options.concurrency, max_body=options.max_bytes)
    async with Http(http_options, transport=transport) as http:
        jobs = (
            _download(http, u, options.types, options.width(uses), uses == {"avatar"})
            for u, uses in urls.items()
        )
        return list(await asyncio.gather(*jobs))


def _load_index(content: Path) -> dict[str, str]:
    path = archive.state_dir(content) / INDEX
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def pull_media(
    content: Path,
    options: PullOptions | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> PullReport:
    """Pull every remote image of the archive at `content`; see the module docstring."""
    options = options or PullOptions()
    work = archive.checkout(content)
    site = work.site
    refs = find(site)
    first: dict[str, Reference] = {}
    uses: dict[str, set[str]] = {}
    for ref in refs:
        first.setdefault(ref.url, ref)
        uses.setdefault(ref.url, set()).add(ref.use)
    report = PullReport()
    index = _load_index(content)
    known = {u: n for u, n in index.items() if u in first and (content / FOLDER / n).is_file()}
    report.reused = len(known)
    wanted = {u: uses[u] for u in first if u not in known}
    got = asyncio.run(_download_all(wanted, options, transport)) if wanted else []
    local = dict(known)
    present = set(known.values())
    images: dict[str, str | bytes] = {}
    """New images, saved in the same transaction as the references to them."""
    for item in got:
        if item.reason:
            report.failures.append((item.url, first[item.url].where, item.reason))
            continue
        if item.name in present or (content / FOLDER / item.name).is_file():
            report.reused += 1
        else:
            report.downloaded += 1
            images[f"{FOLDER}/{item.name}"] = item.body
        present.add(item.name)
        local[item.url] = item.name
    if options.dry_run or not local:
        return report
    fields = {url: f"{FOLDER}/{name}" for url, name in local.items()}
    texts = _text_targets(site.config.site_url, local)
    if not texts and any(r.use == "text" for r in refs if r.url in local):
        report.note = (
            "images in texts keep their remote URL: set an absolute base_url in site.yaml "
            "(texts are shown as written, their links resolved against the old page)"
        )
    report.rewritten = rewrite(site, fields, texts)
    images[f"{FOLDER}/{manifest.NAME}"] = _manifest(content, site, refs, local, present)
    for attempt in range(1, _ATTEMPTS + 1):
        with txn.last_attempt(content, attempt == _ATTEMPTS):
            if attempt > 1:
                # Another writer committed during the downloads: rewrite its archive instead.
                work = archive.checkout(content)
                site = work.site
                report.rewritten = rewrite(site, fields, texts)
            try:
                report.changed = archive.save(content, site, images, read=work.read)
                break
            except archive.Conflict:
                if attempt == _ATTEMPTS:
                    raise
    index.update(local)
    text = json.dumps(dict(sorted(index.items())), indent=1) + "\n"
    atomic_write(archive.state_dir(content) / INDEX, text.encode("utf-8"))
    return report


def _manifest(
    content: Path, site: Site, refs: list[Reference], local: dict[str, str],
    present: set[str],
) -> str:  # fmt: skip
    """SOURCES.csv with rows for the images of this run; `present` are the files in media/."""
    used_in: dict[str, list[str]] = {}
    for ref in refs:
        if ref.url in local:
            used_in.setdefault(ref.url, []).append(ref.where)
    rows = [
        manifest.Row(name, url, "; ".join(dict.fromkeys(used_in[url])), site.config.license)
        for url, name in local.items()
    ]
    folder = content / FOLDER
    files = present | ({p.name for p in folder.iterdir()} if folder.is_dir() else set())
    return manifest.merge(manifest.read(folder / manifest.NAME), rows, files)


_ATTEMPTS = 3
"""Saves tried when other writers keep committing meanwhile (each on their archive)."""


def _text_targets(site_url: str, local: dict[str, str]) -> dict[str, str]:
    """What image URLs in Markdown become: the copy's absolute address on the site. A
    site path would be resolved against the page the text came from, so without an
    absolute base_url texts keep their remote images."""
    if not site_url.startswith(("http://", "https://")):
        return {}
    return {url: f"{site_url}{FOLDER}/{name}" for url, name in local.items()}
