"""A zip of the archive: the content folder as it is in git, or one event's share of it.
Its `datapackage.json` sits at the root, so `frictionless validate archive.zip` works."""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from pathlib import Path

from .. import archive
from ..archive import contentfs
from ..fsutil import naming
from ..importers.extras import path_of
from ..model import Site
from .common import ExportReport, archive_files

_STAMP = (1980, 1, 1, 0, 0, 0)
"""Every member gets this time, so the same archive always zips to the same bytes."""
_MEDIA = re.compile(r"media/[\w./-]+")


def _event_files(content: Path, site: Site) -> dict[str, bytes]:
    """One event's tables, texts and kept extras, the settings, and the media its records
    point to."""
    files = {rel: text.encode("utf-8") for rel, text in archive.render_files(site).items()}
    kept = [path_of(slug) for slug in site.events]
    for name in ("site.yaml", "stages.yaml", *kept):
        data = contentfs.read_optional(content, name)
        if data is not None:
            files[name] = data
    used = set()
    for text in files.values():
        used.update(_MEDIA.findall(text.decode("utf-8", errors="replace")))
    for rel in sorted(used):
        data = contentfs.read_optional(content, rel)  # refuses `..`: stays in the archive
        if data is not None:
            files[rel] = data
    return files


def write_zip(content: Path, site: Site, out: Path, whole: bool) -> ExportReport:
    """Zip the whole archive (`whole`) or the records of `site` (one event) into `out`."""
    if whole:
        files = {rel: contentfs.read_bytes(content, rel) for rel in archive_files(content)}
    else:
        files = _event_files(content, site)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        with naming(out), zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            for rel in sorted(files):
                info = zipfile.ZipInfo(rel, _STAMP)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, files[rel])
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return ExportReport([out])
