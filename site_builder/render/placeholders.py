"""Generated stand-ins for missing pictures: initials on a colour taken from the record's
own `logo_color`, or else derived from its name, dark enough for white text (>= 4.5:1)."""

from __future__ import annotations

import colorsys
import re
import zlib

_HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_WORD = re.compile(r"[^\W_]+")
MIN_CONTRAST = 4.5
"""Of white initials on the placeholder's colour (WCAG AA for normal text)."""


def initials(name: str) -> str:
    """Up to two letters: the first of the first two words ("Open Legal Lab" gives "OL")."""
    words = _WORD.findall(name)
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].capitalize()
    return (words[0][0] + words[1][0]).upper()


def _rgb(color: str) -> tuple[float, float, float] | None:
    found = _HEX.fullmatch(color.strip())
    if not found:
        return None
    digits = found.group(1)
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    r, g, b = (int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return r, g, b


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_with_white(rgb: tuple[float, float, float]) -> float:
    return 1.05 / (_luminance(rgb) + 0.05)


def color(name: str, preferred: str = "") -> str:
    """A hex colour for `name`'s placeholder: `preferred` (a hex `logo_color`) darkened
    as far as white text needs, or a hue picked by the name's checksum."""
    rgb = _rgb(preferred) if preferred else None
    if rgb is None:
        hue = zlib.crc32(name.encode("utf-8")) % 360 / 360
        rgb = colorsys.hls_to_rgb(hue, 0.34, 0.55)
    while contrast_with_white(rgb) < MIN_CONTRAST + 0.1:  # rounding to hex must not undo it
        rgb = (rgb[0] * 0.92, rgb[1] * 0.92, rgb[2] * 0.92)
    return "#{:02x}{:02x}{:02x}".format(*(round(c * 255) for c in rgb))
