"""Pulled images scaled down to what the site shows them at: a 4000 px photo shown in a
600 px card costs visitors and the repository for nothing.

Raster images larger than their kind's limit are scaled down (never up) with their aspect
kept; every still raster image is stored with its EXIF orientation applied and its
metadata (camera, GPS position, comments) dropped. PNG stays PNG (transparency, sharp
logos), JPEG and WebP are re-encoded at quality 82. Animated images and SVG are kept as
they came: Pillow would drop their frames or cannot draw them.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError, features

QUALITY = 82

MAX_WIDTH: dict[str, int] = {
    "logo": 1200,
    "image": 1200,
    "text": 1600,
    "avatar": 128,
}
"""Largest width (and height, for avatars) kept per use, in pixels: logos and project
images fill at most a page-wide header, images in texts a reading column at 2x, avatars a
small round picture at 2x."""

_SAVE: dict[str, tuple[str, dict[str, object]]] = {
    "png": ("PNG", {"optimize": True}),
    "jpeg": ("JPEG", {"quality": QUALITY, "optimize": True, "progressive": True}),
    "webp": ("WEBP", {"quality": QUALITY, "method": 4}),
    "avif": ("AVIF", {"quality": QUALITY}),
}
_AVIF = bool(features.check("avif"))
"""Pillow builds without AVIF keep such images as they came, as before."""
_MAX_PIXELS = 80_000_000
"""Larger images are refused, not decoded: a small file can claim a huge canvas."""


class ImageProblem(ValueError):
    """The body says it is an image of some type but cannot be read as one."""


@dataclass(frozen=True, slots=True)
class Fitted:
    body: bytes
    size: tuple[int, int]
    """Width and height stored (0, 0 when kept as it came without decoding)."""


def fit(body: bytes, kind: str, max_width: int, square: bool = False) -> Fitted:
    """`body` (an image of sniffed type `kind`) as it is to be stored: no wider than
    `max_width` (nor higher, when `square`), oriented and without metadata. Raises
    ImageProblem when it cannot be decoded."""
    if (kind not in _SAVE and kind != "gif") or (kind == "avif" and not _AVIF):  # svg
        return Fitted(body, (0, 0))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(body))
            image: Image.Image = opened
            if image.width * image.height > _MAX_PIXELS:
                raise ImageProblem(f"{image.width}x{image.height} pixels is too large to store")
            if getattr(image, "n_frames", 1) > 1:
                return Fitted(body, image.size)
            if kind == "gif":
                return Fitted(body, image.size)
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:  # fmt: skip
        raise ImageProblem(f"cannot be read as a {kind} image ({exc})") from exc
    image = ImageOps.exif_transpose(image)
    limit_h = max_width if square else None
    width, height = image.size
    scale = min(1.0, max_width / width, (limit_h / height) if limit_h else 1.0)
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    fmt, options = _SAVE[kind]
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    icc = image.info.get("icc_profile")
    image.info.clear()
    if icc:  # colour, not metadata: without it wide-gamut photos look dull
        options = {**options, "icc_profile": icc}
    out = io.BytesIO()
    image.save(out, fmt, **options)
    stored = out.getvalue()
    if scale == 1.0 and len(stored) >= len(body) and not _has_metadata(body, kind):
        # Nothing to shrink or strip: the original bytes are the better copy.
        return Fitted(body, image.size)
    return Fitted(stored, image.size)


def _has_metadata(body: bytes, kind: str) -> bool:
    """Whether the original carries metadata that storing it as is would keep."""
    with Image.open(io.BytesIO(body)) as image:
        if image.getexif():
            return True
        return any(key != "icc_profile" and key in image.info for key in _METADATA) or (
            kind == "png" and any(isinstance(value, str) for value in image.info.values())
        )


_METADATA = ("exif", "xmp", "XML:com.adobe.xmp", "comment", "photoshop")
