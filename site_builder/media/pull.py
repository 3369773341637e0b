"""`jamdat media pull`: download the archive's remote images into `content/media/` under
names made of their content hash, and point the content at the copies.

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
from ..sync.http import FetchError, Http, HttpOptions
from .refs import Reference, find, rewrite
from .sniff import DEFAULT_TYPES, IMAGE_TYPES, describe, sniff

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


async def _download(http: Http, url: str, types: Sequence[str]) -> _Got:
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
    return _Got(url, _name(fetched.body, kind), fetched.body)


async def _download_all(
    urls: list[str], options: PullOptions, transport: httpx.AsyncBaseTransport | None
) -> list[_Got]:
    http_options = HttpOptions(concurrency=options.concurrency, max_body=options.max_bytes)
    async with Http(http_options, transport=transport) as http:
        return list(await asyncio.gather(*(_download(http, u, options.types) for u in urls)))


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
    for ref in refs:
        first.setdefault(ref.url, ref)
    report = PullReport()
    index = _load_index(content)
    known = {u: n for u, n in index.items() if u in first and (content / FOLDER / n).is_file()}
    report.reused = len(known)
    wanted = [u for u in first if u not in known]
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
    if not texts and any(not r.where.startswith("data/") for r in refs if r.url in local):
        report.note = (
            "images in texts keep their remote URL: set an absolute base_url in site.yaml "
            "(texts are shown as written, their links resolved against the old page)"
        )
    report.rewritten = rewrite(site, fields, texts)
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


_ATTEMPTS = 3
"""Saves tried when other writers keep committing meanwhile (each on their archive)."""


def _text_targets(site_url: str, local: dict[str, str]) -> dict[str, str]:
    """What image URLs in Markdown become: the copy's absolute address on the site. A
    site path would be resolved against the page the text came from, so without an
    absolute base_url texts keep their remote images."""
    if not site_url.startswith(("http://", "https://")):
        return {}
    return {url: f"{site_url}{FOLDER}/{name}" for url, name in local.items()}
