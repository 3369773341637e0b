"""Language codes as settings give them (BCP 47) and the Babel locales they mean."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel import Locale


def parse_locale(code: str) -> Locale:
    """The Babel locale of a BCP 47 tag (`de`, `de-CH`, `fr_CH`); plain `en` writes dates
    as British English does (`5 June 2023`), as the archive always has."""
    from babel import Locale  # here, not above: a build with nothing to do needs no locale

    locale = Locale.parse(code.replace("-", "_"))
    return Locale.parse("en_GB") if str(locale) == "en" else locale


def locale_problem(code: str) -> str:
    """Why `code` is not a language Babel knows, or "" when it is."""
    from babel import UnknownLocaleError

    try:
        parse_locale(code)
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        return f"not a language code Babel knows ({exc}); e.g. en, de, fr-CH"
    return ""
