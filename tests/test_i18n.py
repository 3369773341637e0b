"""The site's own labels in English, German, French and Italian: every label of the
templates and renderers translated, pages in the site's or their event's language with
dates written for it, and an edited catalog re-rendering exactly the pages that speak it."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from conftest import ArchiveFactory, tree_digest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from site_builder.config import load_config
from site_builder.errors import ContentError
from site_builder.model import Site
from site_builder.render.build import build_site

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "templates" / "locale"
LANGUAGES = ("de", "fr", "it")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|<[^>]+>")
"""What a translation must keep: its values and its HTML tags."""


def _extracted() -> dict[str | tuple[str, ...], str]:
    """Every message of the templates and renderers, as `babel.cfg` extracts them, with
    where the first use is."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)  # type: ignore[no-untyped-call]
    found: dict[str | tuple[str, ...], str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map
    ):
        key = message if isinstance(message, str) else tuple(message)
        found.setdefault(key, f"{filename}:{lineno}")
    return found


def _catalog(path: Path, locale: str | None = None) -> Catalog:
    with open(path, "rb") as f:
        return read_po(f, locale=locale)


def test_every_label_is_translated_in_german_french_and_italian() -> None:
    messages = _extracted()
    assert len(messages) > 50
    template = _catalog(LOCALE / "messages.pot")
    committed = {m.id if isinstance(m.id, str) else tuple(m.id) for m in template if m.id}
    assert committed == set(messages), "messages.pot is out of date: see README, Translations"
    problems: list[str] = []
    for lang in LANGUAGES:
        catalog = _catalog(LOCALE / lang / "LC_MESSAGES" / "messages.po", lang)
        for key, where in messages.items():
            msgid = key if isinstance(key, str) else key[0]
            entry = catalog.get(msgid)
            string = "" if entry is None else entry.string
            strings = [string] if isinstance(string, str) else list(string or ())
            if entry is None or entry.fuzzy or not all(strings):
                problems.append(f"{lang}: {msgid!r} ({where}) is not translated")
                continue
            if isinstance(key, tuple) and len(strings) != catalog.num_plurals:
                problems.append(f"{lang}: {msgid!r} needs {catalog.num_plurals} plural forms")
            wanted = sorted(PLACEHOLDER.findall(key[-1] if isinstance(key, tuple) else key))
            for string in strings:
                if sorted(PLACEHOLDER.findall(string)) != wanted:
                    problems.append(f"{lang}: {string!r} changes the values or tags of {msgid!r}")
    assert not problems, "\n".join(problems)


def _german_site_with_a_french_event(site: Site) -> None:
    site.config = dataclasses.replace(
        site.config, language="de", event_languages={"spring-hack": "fr"}
    )


def _page(out: Path, rel: str) -> HTMLParser:
    return HTMLParser((out / rel).read_text(encoding="utf-8"))


def _text(tree: HTMLParser) -> str:
    body = tree.body
    assert body is not None
    return " ".join(body.text().split())


def _lang(tree: HTMLParser) -> str:
    html = tree.css_first("html")
    assert html is not None
    return html.attributes.get("lang") or ""


@pytest.fixture(scope="module")
def multilingual(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import sample_site

    from site_builder import archive

    root = tmp_path_factory.mktemp("multilingual")
    site = sample_site()
    _german_site_with_a_french_event(site)
    content = root / "content"
    content.mkdir()
    archive.save(content, site, read=archive.snapshot(content))
    out = root / "public"
    build_site(content, out, jobs=1)
    return out


BARE_LABEL = re.compile(
    r">\s*([A-Z][A-Za-z]+(?: [A-Za-z()]+)*)\s*<"
    r'|(?:aria-label|title|placeholder|alt)="([A-Z][^"{]*)"'
)
"""Words written straight into a template's markup: a text node or a label attribute."""
NOT_LABELS = {"Home End", "Esc"}
"""Key names the deck's help shows as printed on the keyboard."""


def test_no_template_writes_a_label_without_marking_it() -> None:
    """A label left as plain markup is English in every language, and no catalog check can
    see it: every word a page shows comes through `_()` or from the content."""
    bare = [
        f"{path.relative_to(ROOT)}: {text}"
        for path in sorted((ROOT / "templates").glob("*.html"))
        for match in BARE_LABEL.finditer(path.read_text(encoding="utf-8"))
        if (text := match.group(1) or match.group(2)) not in NOT_LABELS
    ]
    assert not bare, "labels not marked for translation:\n" + "\n".join(bare)


def test_site_pages_speak_the_site_language_with_its_dates(multilingual: Path) -> None:
    index = _page(multilingual, "index.html")
    assert _lang(index) == "de"
    text = _text(index)
    assert "Zum Inhalt springen" in text and "Anlässe" in text and "Daten (JSON)" in text
    assert "23.\u201324. März 2024" in text  # the French event, listed on a German page
    other = _page(multilingual, "autumn-jam/index.html")
    assert _lang(other) == "de"
    assert "7. Oktober 2023 10:00 \u2013 8. Oktober 2023 16:00" in _text(other)
    assert "Seite nicht gefunden" in _text(_page(multilingual, "404.html"))
    assert _text(_page(multilingual, "autumn-jam/activity/index.html")).count("Keine Aktivität")


def test_an_event_with_its_own_language_speaks_it_on_all_its_pages(multilingual: Path) -> None:
    event = _page(multilingual, "spring-hack/index.html")
    assert _lang(event) == "fr"
    assert "23 mars 2024 09:00 \u2013 24 mars 2024 17:00" in _text(event)
    assert "Aller au contenu" in _text(event)
    activity = _page(multilingual, "spring-hack/activity/index.html")
    assert _lang(activity) == "fr"
    heading = activity.css_first("h1")
    assert heading is not None and heading.text() == "Activité"
    assert "samedi 23 mars 2024" in _text(activity)
    title = activity.css_first("title")
    assert title is not None and title.text() == "Activité \u2013 Spring Hack"
    project = _page(multilingual, "spring-hack/river-levels/index.html")
    assert _lang(project) == "fr" and "23\u201324 mars 2024" in _text(project)
    deck = _page(multilingual, "spring-hack/slides/index.html")
    assert _lang(deck) == "fr"
    assert "Programme" in _text(deck) and "Merci" in _text(deck)
    main = deck.css_first("#deck")
    assert main is not None
    labels = json.loads(main.attributes.get("data-labels") or "{}")
    assert labels["Slide {n} of {total}"] == "Diapositive {n} sur {total}"


def test_an_edited_catalog_re_renders_exactly_the_pages_in_its_language(
    tmp_archive: ArchiveFactory, tmp_path: Path
) -> None:
    content = tmp_archive(edit=_german_site_with_a_french_event)
    out = tmp_path / "public"
    build_site(content, out, jobs=1)
    own = tmp_path / "templates" / "locale" / "fr" / "LC_MESSAGES" / "messages.po"
    own.parent.mkdir(parents=True)
    default = (LOCALE / "fr" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    for label in ("Journal", "Fil d\u2019activité"):
        own.write_text(default.replace('msgstr "Activité"', f'msgstr "{label}"'), "utf-8")
        report = build_site(content, out, jobs=1)
        assert report.rendered and all(p.startswith("spring-hack/") for p in report.rendered)
        assert "spring-hack/activity/index.html" in report.rendered
        heading = _page(out, "spring-hack/activity/index.html").css_first("h1")
        assert heading is not None and heading.text() == label
        clean = tmp_path / "clean"
        shutil.rmtree(clean, ignore_errors=True)
        build_site(content, clean, jobs=1, clean=True)
        assert tree_digest(out) == tree_digest(clean)


def test_an_unknown_language_is_an_error_naming_the_setting(tmp_path: Path) -> None:
    (tmp_path / "site.yaml").write_text("language: klingon-x\nevent_languages: {a: zz}\n")
    with pytest.raises(ContentError) as caught:
        load_config(tmp_path)
    text = str(caught.value)
    assert "language" in text and "event_languages.a" in text and "site.yaml" in text


def test_a_label_without_placeholders_reads_as_one_with_them(tmp_path: Path) -> None:
    """Labels without values are kept per language once formatted, as jinja's own
    gettext formats every label: "%%" reads "%" either way, and each language its own."""
    from site_builder.render import i18n
    from site_builder.render.templatedirs import template_dirs
    from site_builder.render.templating import environment

    env = environment(template_dirs(tmp_path / "content"), "labels")
    for code, shown in (("en", "Activity"), ("fr", "Activité"), ("en", "Activity")):
        with i18n.speaking(env, code):
            for _ in range(2):
                assert i18n.template_gettext("Activity") == shown
                assert i18n.template_gettext("100%% <b>sure</b>") == "100% <b>sure</b>"
                assert i18n.template_gettext("%(n)s%% <b>sure</b>", n="<9>") == (
                    "&lt;9&gt;% <b>sure</b>"
                )


def test_labels_called_straight_take_no_context_and_speak_the_page_language(
    tmp_path: Path,
) -> None:
    """Templates call the label functions without `Context.call` (it costs half of each
    label): each must be a plain callable, and a label in a loop, a macro and a block
    must still come out in the language of the render."""
    from collections.abc import Callable
    from typing import cast

    from jinja2.utils import _PassArg

    from site_builder.render import i18n
    from site_builder.render.templatedirs import template_dirs
    from site_builder.render.templating import _DIRECT, environment

    env = environment(template_dirs(tmp_path / "content"), "direct")
    for name in _DIRECT:
        function = cast("Callable[..., object]", env.globals[name])
        assert _PassArg.from_obj(function) is None, name
        assert _PassArg.from_obj(type(function).__call__) is None, name
    page = env.from_string(
        "{% macro m() %}{{ _('Activity') }}{% endmacro %}"
        "{% for i in [1] %}{{ m() }} {{ _('%(n)s%% <b>sure</b>', n='<9>') }}{% endfor %} "
        "{{ ngettext('%(num)d pitch', '%(num)d pitches', 2) }}"
    )
    with i18n.speaking(env, "fr"):
        assert page.render() == "Activité &lt;9&gt;% <b>sure</b> 2 pitchs"
    with i18n.speaking(env, "en"):
        assert page.render() == "Activity &lt;9&gt;% <b>sure</b> 2 pitches"
    assert "context.call(" not in env.compile("{{ _('x') }} {{ asset('a.css') }}", raw=True)
