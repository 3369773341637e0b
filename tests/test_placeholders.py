"""Generated placeholders: initials, a colour that follows `logo_color`, and a palette the
style sheet defines with white text readable on every entry."""

from __future__ import annotations

import re
from pathlib import Path

from site_builder.render import placeholders

STYLE = Path(__file__).resolve().parents[1] / "templates" / "assets" / "style.css"


def test_initials_take_the_first_letters_of_two_words() -> None:
    assert placeholders.initials("Open Legal Lab 2024") == "OL"
    assert placeholders.initials("audio2commons") == "Au"
    assert placeholders.initials("«Ré-use» the data") == "RU"
    assert placeholders.initials("—") == "?"


def test_colour_follows_logo_color_or_else_the_name() -> None:
    assert placeholders.color("Anything", "#ff0000") == "ph-0"
    assert placeholders.color("Anything", "#0000ff") == "ph-8"
    assert placeholders.color("Anything", "#808080") == placeholders.color("Anything")
    assert placeholders.color("Same name") == placeholders.color("Same name", "not a colour")


def test_the_style_sheet_defines_the_palette_readable_with_white_text() -> None:
    css = STYLE.read_text(encoding="utf-8")
    defined = dict(re.findall(r"\.ph-(\d+) \{ --ph: (#[0-9a-f]{6}); \}", css))
    assert defined == {str(n): c for n, c in enumerate(placeholders.PALETTE)}
    for hex_color in placeholders.PALETTE:
        rgb = tuple(int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5))
        assert placeholders.contrast_with_white(rgb) >= 4.5, hex_color  # type: ignore[arg-type]
