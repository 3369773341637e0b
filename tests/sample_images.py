"""Real images made with Pillow for media tests: a body that only starts like a PNG is no
longer enough, since pulled images are decoded and scaled."""

from __future__ import annotations

import io

from PIL import Image


def png(
    width: int = 40, height: int = 20, color: tuple[int, int, int, int] = (200, 30, 30, 128)
) -> bytes:
    """A PNG with transparency, saved as `media pull` would save it (so kept as it is)."""
    out = io.BytesIO()
    Image.new("RGBA", (width, height), color).save(out, "PNG", optimize=True)
    return out.getvalue()


def jpeg(width: int, height: int, orientation: int | None = None) -> bytes:
    """A photo-like JPEG (a gradient), with an EXIF orientation and a camera tag if asked."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
        exif[0x0110] = "Test camera"
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, exif=exif.tobytes())
    return out.getvalue()


def size(body: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(body)) as image:
        return image.size
