"""Generated stand-ins for missing pictures: initials on one of a palette of colours, the
one nearest the record's own `logo_color` or else picked by its name.

Pages allow no inline styles (a strict Content-Security-Policy holds), so a placeholder
names its colour as a class, `ph-<n>`; style.css defines one rule per `PALETTE` entry
(tests/test_placeholders.py checks they agree), each dark enough for white text."""

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
    words: list[str] = _WORD.findall(name)
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


def _shade(hue: float) -> str:
    """A hex colour of `hue`, darkened as far as white text on it needs."""
    rgb = colorsys.hls_to_rgb(hue, 0.36, 0.55)
    while contrast_with_white(rgb) < MIN_CONTRAST + 0.1:  # rounding to hex must not undo it
        rgb = (rgb[0] * 0.92, rgb[1] * 0.92, rgb[2] * 0.92)
    return "#{:02x}{:02x}{:02x}".format(*(round(c * 255) for c in rgb))


PALETTE = tuple(_shade(n / 12) for n in range(12))
"""Twelve hues around the colour wheel; style.css gives `.ph-<n>` the n-th."""


def color(name: str, preferred: str = "") -> str:
    """The palette class of `name`'s placeholder: the hue nearest `preferred` (a hex
    `logo_color`), or one picked by the name's checksum."""
    rgb = _rgb(preferred) if preferred else None
    if rgb is not None and max(rgb) - min(rgb) > 0.08:  # greys have no hue to follow
        hue = colorsys.rgb_to_hls(*rgb)[0]
        n = round(hue * len(PALETTE)) % len(PALETTE)
    else:
        n = zlib.crc32(name.encode("utf-8")) % len(PALETTE)
    return f"ph-{n}"
