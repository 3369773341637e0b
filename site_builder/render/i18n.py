"""The language a page is rendered in: its gettext catalog and how it writes dates.

Catalogs are `locale/<lang>/LC_MESSAGES/messages.po` in the template folders, so a site's
own `templates/` can replace a language's catalog or add a language, as it can a template.
They are read as `.po` (no compile step) once per environment. A label read through
`gettext` notes its catalog as a source of the output being rendered, by the same key a
template has, so editing a catalog re-renders exactly the outputs that used it.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast
from weakref import WeakKeyDictionary

import jinja2
from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from markupsafe import Markup

from ..errors import ContentError
from ..locales import parse_locale
from . import deps

if TYPE_CHECKING:
    from .outputs import RenderContext

DASH = "\u2013"
R = TypeVar("R")
T = TypeVar("T")


def catalog_name(lang: str) -> str:
    """Where a language's catalog sits in a template folder."""
    return f"locale/{lang}/LC_MESSAGES/messages.po"


@dataclass(slots=True)
class Language:
    """A render language: its locale, its catalog and the source keys reading it means."""

    code: str
    locale: Locale
    translations: NullTranslations
    keys: tuple[str, ...] = field(default=())
    noted: deps.Recorder | None = field(default=None, repr=False)
    """The recording last told that it read the catalog: a page reads dozens of labels."""
    made: dict[str, Any] = field(default_factory=dict, repr=False)
    """Sets of labels made once in this language (see `made_once`)."""
    labels: dict[str, Markup] = field(default_factory=dict, repr=False)
    """Template labels without placeholders, as markup: a page shows dozens."""

    def _note(self) -> None:
        recorder = deps.active()
        if recorder is not self.noted:
            deps.read_all(self.keys)
            self.noted = recorder

    def made_once(self, name: str, make: Callable[[], T]) -> T:
        """What `make` writes from this language's labels (e.g. a script's labels as JSON),
        made on first use and noted as read like any label: every deck page carries the
        same ones."""
        self._note()
        found = self.made.get(name)
        if found is None:
            found = self.made[name] = make()
        return cast(T, found)

    def gettext(self, message: str) -> str:
        self._note()
        return self.translations.gettext(message)

    def label(self, message: str) -> Markup:
        """`message` as a template shows it when it fills no placeholder."""
        self._note()
        found = self.labels.get(message)
        if found is None:
            # Formatted like any label, so "%%" reads "%" here too.
            found = self.labels[message] = Markup(self.translations.gettext(message)) % {}
        return found

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        self._note()
        return self.translations.ngettext(singular, plural, n)


_LANGUAGES: WeakKeyDictionary[jinja2.Environment, dict[str, Language]] = WeakKeyDictionary()
_current: Language | None = None


def language(env: jinja2.Environment, code: str) -> Language:
    """The language `code` with the catalog the environment's template folders hold for
    it (`de_CH`, then `de`), read once per environment."""
    known = _LANGUAGES.setdefault(env, {})
    found = known.get(code)
    if found is None:
        found = known[code] = _load(_dirs(env), code)
    return found


def _dirs(env: jinja2.Environment) -> list[Path]:
    return list(getattr(env.loader, "dirs", []))


def _load(dirs: list[Path], code: str) -> Language:
    from .templatedirs import read_template

    locale = parse_locale(code)
    names = [catalog_name(n) for n in dict.fromkeys((str(locale), locale.language))]
    keys: list[str] = []
    translations: NullTranslations = NullTranslations()
    for name in names:
        keys.append(deps.key("template", name))
        for directory in dirs:
            try:
                data = read_template(directory, name)
            except (FileNotFoundError, IsADirectoryError):
                continue
            translations = _compile(data, directory / name, locale)
            return Language(code, locale, translations, tuple(keys))
    return Language(code, locale, translations, tuple(keys))


def _compile(data: bytes, path: Path, locale: Locale) -> Translations:
    """A `.po` file as gettext translations, compiled in memory."""
    try:
        catalog = read_po(BytesIO(data), locale=locale, abort_invalid=True)
    except Exception as exc:
        raise ContentError.single(path, f"not a readable gettext catalog: {exc}") from exc
    mo = BytesIO()
    write_mo(mo, catalog)
    mo.seek(0)
    return Translations(mo)


def current() -> Language:
    """The language of the render in progress (English outside any)."""
    global _current
    if _current is None:
        _current = Language("en", parse_locale("en"), NullTranslations())
    return _current


@contextmanager
def speaking(env: jinja2.Environment, code: str) -> Iterator[Language]:
    """Render the code inside in language `code`."""
    global _current
    before = _current
    _current = language(env, code)
    try:
        yield _current
    finally:
        _current = before


class EventLanguage(Generic[R]):
    """A renderer of an event's output that speaks the event's language (`event_languages`
    in site.yaml), the site's when it has none. A class, not a closure, so the plan's
    digest of a render still names the function."""

    def __init__(self, render: Callable[..., R], argument: str) -> None:
        self.render = render
        self.argument = argument
        self.signature = inspect.signature(render)
        functools.update_wrapper(self, render)

    def __call__(self, ctx: RenderContext, *args: Any, **kw: Any) -> R:
        event = self.signature.bind(ctx, *args, **kw).arguments[self.argument]
        with speaking(ctx.env, ctx.site.config.language_of(event)):
            return self.render(ctx, *args, **kw)


def in_event_language(argument: str) -> Callable[[Callable[..., R]], EventLanguage[R]]:
    """Decorate a renderer whose parameter `argument` is the slug of the event it shows."""
    return lambda render: EventLanguage(render, argument)


def gettext(message: str) -> str:
    """`message` in the current language."""
    return current().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for `n` in the current language."""
    return current().ngettext(singular, plural, n)


def template_gettext(message: str, **variables: Any) -> Markup:
    """`_()` in templates: the label in the current language, trusted as markup, with its
    placeholders filled by escaped values (jinja2's "newstyle" gettext, called directly:
    its wrapper costs two context calls per label, a fifth of rendering a page)."""
    if not variables:
        return current().label(message)
    return Markup(current().gettext(message)) % variables


def template_ngettext(singular: str, plural: str, num: int, **variables: Any) -> Markup:
    """`ngettext()` in templates: the form for `num`, which also fills `%(num)d`."""
    variables.setdefault("num", num)
    return Markup(current().ngettext(singular, plural, num)) % variables


def _(message: str, **values: Any) -> str:
    """A label for Python-made text, placeholders filled in as templates do."""
    text = gettext(message)
    return text % values if values else text


_STRFTIME = {
    "%A": "EEEE",
    "%a": "EEE",
    "%B": "MMMM",
    "%b": "MMM",
    "%d": "dd",
    "%-d": "d",
    "%m": "MM",
    "%-m": "M",
    "%Y": "y",
    "%H": "HH",
    "%M": "mm",
    "%-H": "H",
}
_DIRECTIVE = re.compile(r"%-?[a-zA-Z]")


def babel_pattern(fmt: str) -> str:
    """A strftime format (`%A, %-d %B %Y`) as a CLDR pattern (`EEEE', 'd' 'MMMM' 'y`), so
    templates keep writing the formats they know and get the page's language."""
    out: list[str] = []
    pos = 0
    for m in _DIRECTIVE.finditer(fmt):
        out.append(_literal(fmt[pos : m.start()]))
        out.append(_STRFTIME.get(m.group(), _literal(m.group())))
        pos = m.end()
    out.append(_literal(fmt[pos:]))
    return "".join(out)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'" if text else ""


_NAMED = {"%A, %-d %B %Y": "full", "%-d %B %Y": "long"}
"""Whole dates in a strftime format: written as the language writes them (`Montag, 5. Juni
2023`), not word for word."""


def format_value(value: datetime | date, fmt: str) -> str:
    """`value` written with a strftime format in the current language."""
    locale = current().locale
    named = _NAMED.get(fmt)
    if named is not None:
        return format_date(value, named, locale=locale)
    pattern = babel_pattern(fmt)
    if isinstance(value, datetime):
        return format_datetime(value, pattern, locale=locale)
    return format_date(value, pattern, locale=locale)


def date_range(start: datetime, end: datetime) -> str:
    """An event's dates in the current language (`5-7 June 2023`, `5.-7. Juni 2023`, with
    an en dash), or the day and its hours when it fits in one."""
    return _date_range(_wall(start), _wall(end), current().locale)


def _wall(moment: datetime) -> datetime:
    """The clock time a date is written with: a cache key, where two aware datetimes of
    one instant in different zones are equal but are written differently."""
    return moment.replace(tzinfo=None)


# Every page of an event writes its dates: Babel takes half a millisecond each time.
@functools.lru_cache(maxsize=4096)
def _date_range(start: datetime, end: datetime, locale: Locale) -> str:
    if start.date() == end.date():
        hours = f"{format_time(start, 'HH:mm', locale=locale)}{DASH}"
        hours += format_time(end, "HH:mm", locale=locale)
        return f"{format_date(start, 'long', locale=locale)}, {hours}"
    formats = locale.interval_formats.get("yMMMd", {})
    greatest = "y" if start.year != end.year else "M" if start.month != end.month else "d"
    parts = formats.get(greatest) if formats else None
    if not parts:
        first, last = (format_date(d, "long", locale=locale) for d in (start, end))
        return f"{first} {DASH} {last}"
    # The locale's own way of joining the two days, with the month written out in full.
    return "".join(
        format_date(day, _full_month(pattern), locale=locale)
        for pattern, day in zip(parts, (start, end), strict=True)
    )


def _full_month(pattern: str) -> str:
    pattern = re.sub(r"(?<!M)MMM(?!M)", "MMMM", pattern)
    pattern = re.sub(r"(?<!L)LLL(?!L)", "LLLL", pattern)
    return re.sub(r"(?<!d)dd(?!d)", "d", pattern)


def date_times(start: datetime, end: datetime) -> str:
    """Start and end, each with its day and hour: `23 March 2024 09:00` to `24 March ...`."""
    return _date_times(_wall(start), _wall(end), current().locale)


@functools.lru_cache(maxsize=4096)
def _date_times(start: datetime, end: datetime, locale: Locale) -> str:
    def one(moment: datetime) -> str:
        day = format_date(moment, "long", locale=locale)
        return f"{day} {format_time(moment, 'HH:mm', locale=locale)}"

    return f"{one(start)} {DASH} {one(end)}"
