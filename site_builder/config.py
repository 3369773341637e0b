"""`site.yaml` and `stages.yaml` as typed settings, one docstring per field."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .archive import contentfs
from .archive.rules import zone_problem
from .errors import ContentError, Problem
from .locales import locale_problem
from .notify.settings import NotifyTarget, notify_config_data, parse_notify_config
from .sync.settings import SyncConfig, parse_sync_config, sync_config_data


@dataclass(frozen=True, slots=True)
class Contributor:
    """Someone credited with the archive's data (Frictionless `contributors`, as Dribdat's
    packages carry them). The e-mail stays in site.yaml and `jamdat export`: no page shows it."""

    title: str
    path: str = ""
    email: str = ""
    role: str = ""
    organization: str = ""

    def same(self, other: Contributor) -> bool:
        """The same person: one name (whatever its spacing or case), and no link or
        e-mail that tells them apart (one of the two may lack them)."""
        if " ".join(self.title.split()).casefold() != " ".join(other.title.split()).casefold():
            return False
        return all(
            not mine or not theirs or mine == theirs
            for mine, theirs in ((self.path, other.path), (self.email, other.email))
        )

    def data(self, email: bool = True) -> dict[str, str]:
        """The Frictionless form: only the fields given (no e-mail unless `email`)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {k: v for k, v in out.items() if v and (email or k != "email")}


CONTRIBUTOR_KEYS = tuple(f.name for f in dataclasses.fields(Contributor))


def parse_contributors(value: object, where: str) -> tuple[tuple[Contributor, ...], list[Problem]]:
    """`contributors` of site.yaml: a list of mappings with a `title` and text fields."""
    if not isinstance(value, list):
        return (), [Problem(where, "must be a list of contributors", None, "contributors")]
    people: list[Contributor] = []
    problems: list[Problem] = []
    for row, item in enumerate(value, start=1):
        wrong = not isinstance(item, dict) or not all(
            k in CONTRIBUTOR_KEYS and isinstance(v, str) for k, v in item.items()
        )
        if wrong or not str(item.get("title", "")).strip():
            problems.append(
                Problem(
                    where,
                    f"each contributor needs a `title`, and text only in "
                    f"{', '.join(CONTRIBUTOR_KEYS)}",
                    row,
                    "contributors",
                )
            )
            continue
        people.append(Contributor(**item))
    return tuple(people), problems


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """Settings of one archive, read from `content/site.yaml`."""

    title: str = "Hackathon archive"
    """Name of the archive, shown in the header and feeds."""

    description: str = ""
    """One sentence about the archive, used in meta tags and the feed."""

    base_url: str = "/"
    """Where the site is served: `https://example.org/archive/` or `/`. Links are made
    absolute with it in feeds, sitemaps and link previews."""

    language: str = "en"
    """Language of the site's own labels and dates (BCP 47: `en`, `de`, `fr-CH`), set on
    `<html lang>`. Catalogs ship for en, de, fr and it; see README, Translations."""

    event_languages: dict[str, str] = field(default_factory=dict)
    """Events whose pages (event, projects, activity, filters, slide decks) speak another
    language than the site, by event slug: `{imf-2021: fr}`."""

    timezone: str = "UTC"
    """IANA time zone of events that do not name their own."""

    license: str = ""
    """Licence of the archive's content, e.g. `CC-BY-SA-4.0`; shown in the footer."""

    license_url: str = ""
    """Link to the licence text."""

    contributors: tuple[Contributor, ...] = ()
    """Who is credited with the archive's data: `title` (name), `path` (a link), `email`,
    `role`, `organization`. Import takes them from Dribdat's packages; exports carry them
    back; the e-mail is never published on the site."""

    api_url: str = ""
    """Base URL of the edit API; when set, project pages link to its edit form."""

    search: bool = True
    """Publish the static project search: `search/`, its JSON index and the header's
    search box. Turn off for very large archives served where bandwidth is scarce."""

    feed_size: int = 50
    """How many entries the Atom feeds carry."""

    gallery_size: int = 48
    """Project cards per page of an event's gallery and of each filter; the rest go to
    numbered pages (`/<event>/page/2/`). 0 puts every card on one page."""

    pitch_seconds: int = 180
    """Length of each team's countdown in the slide decks, in seconds; a deck's URL can
    override it for one showing (`?timer=5` minutes, `?timer=90s`, `?timer=2:30`)."""

    deck_challenges: bool = True
    """Show challenges in an event's slide deck (agenda and pitches) with the teams. Set
    false when the session is the teams' alone; challenges keep their own decks."""

    minify_html: bool = False
    """Publish HTML pages without the whitespace and comments the templates carry (about
    a fifth smaller before compression). Off by default: pages stay readable as source."""

    sync: SyncConfig = field(default_factory=SyncConfig, repr=False)
    """How `jamdat sync` reaches forges and what it may overwrite (see SyncConfig). Left
    out of the repr, which build digests hash: sync settings never change a page."""

    notify: tuple[NotifyTarget, ...] = field(default=(), repr=False)
    """Chat webhooks told about failed builds and syncs, new projects and announcements
    while `jamdat api` runs, e.g. `[{kind: slack, url_env: JAMDAT_SLACK_URL}]` (see
    NotifyTarget). Only variable names: URLs and keys come from the environment."""

    def language_of(self, event: str) -> str:
        """The language of an event's pages: its own, or the site's."""
        return self.event_languages.get(event, self.language)

    @property
    def site_url(self) -> str:
        """The base URL with exactly one trailing slash."""
        return self.base_url.rstrip("/") + "/"

    @property
    def base_path(self) -> str:
        """The path part of the base URL (`/archive/`), used for root-relative links."""
        url = self.site_url
        if "://" in url:
            rest = url.split("://", 1)[1]
            url = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
        return url


@dataclass(frozen=True, slots=True)
class Stage:
    """A step of Dribdat's stage ladder, keyed by its number."""

    number: int
    label: str
    description: str = ""


DEFAULT_STAGES: tuple[Stage, ...] = (
    Stage(0, "Challenge", "A challenge waiting for a team."),
    Stage(5, "Project", "A team has formed around an idea."),
    Stage(10, "Research", "Looking into data, users and prior work."),
    Stage(20, "Sketch", "Drafting a concept and a first design."),
    Stage(30, "Prototype", "Something that works, at least on stage."),
    Stage(40, "Publish", "Released with documentation and source."),
    Stage(50, "Share", "In use, maintained, open to contributors."),
)


@dataclass(frozen=True, slots=True)
class Stages:
    """The stage ladder plus the labels an event's own Dribdat server used."""

    ladder: tuple[Stage, ...] = DEFAULT_STAGES
    event_labels: dict[str, dict[int, str]] = field(default_factory=dict)

    def stage_for(self, progress: int) -> Stage:
        """The highest stage at or below `progress`. Like Dribdat, a number below the ladder
        (negative: a challenge awaiting approval) is its first stage, the challenge."""
        best = self.ladder[0]
        for stage in self.ladder:
            if stage.number <= progress:
                best = stage
        return best

    def label(self, progress: int, event: str = "") -> str:
        custom = self.event_labels.get(event, {})
        if progress in custom and progress >= 0:
            return custom[progress]
        stage = self.stage_for(progress)
        return custom.get(stage.number, stage.label) if progress < 0 else stage.label

    def percent(self, progress: int) -> int:
        """How far up the ladder, for stage bars."""
        top = self.ladder[-1].number or 1
        return max(0, min(100, round(100 * progress / top)))

    def to_yaml(self) -> str:
        data: dict[str, Any] = {
            "stages": [
                {"number": s.number, "label": s.label, "description": s.description}
                for s in self.ladder
            ]
        }
        if self.event_labels:
            data["event_labels"] = {
                ev: dict(sorted(labels.items())) for ev, labels in sorted(self.event_labels.items())
            }
        return _dump_yaml(data)


def _dump_yaml(data: dict[str, Any]) -> str:
    import yaml  # here, not above: a build with nothing to do reads no settings

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


class Unread:
    """The settings file is to be read from disk."""


UNREAD = Unread()


def _read_yaml(path: Path, raw: bytes | Unread | None = UNREAD) -> dict[str, Any]:
    """The settings in `path`, a file directly in the content folder ({} when missing),
    or in `raw` when its bytes were read already."""
    if isinstance(raw, Unread):
        raw = contentfs.read_optional(path.parent, path.name)
    if raw is None:
        return {}
    import yaml  # here, not above: a build with nothing to do reads no settings

    # libyaml's safe loader when PyYAML has it: the pure-Python one takes 15 ms per
    # settings file, most of a small archive's load.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(raw.decode("utf-8"), Loader=loader)
    except UnicodeDecodeError as exc:
        raise ContentError.single(path, f"not UTF-8 (byte {exc.start})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise ContentError.single(path, f"not valid YAML{where}: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ContentError.single(path, "must be a mapping of settings")
    return data


_KINDS = {bool: "true or false", int: "a whole number", str: "text"}
"""How setting errors name the type a value should have."""


def load_config(content: Path, raw: bytes | Unread | None = UNREAD) -> SiteConfig:
    """Read `site.yaml` (or parse `raw`, its bytes as read already); unknown keys and
    wrong types are errors, not surprises."""
    path = content / "site.yaml"
    data = _read_yaml(path, raw)
    known = {f.name: f for f in dataclasses.fields(SiteConfig)}
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            problems.append(
                Problem(str(path), f"unknown setting (known: {', '.join(known)})", None, key)
            )
            continue
        if key in ("sync", "notify"):
            parse = parse_sync_config if key == "sync" else parse_notify_config
            try:
                values[key] = parse(value, str(path))
            except ContentError as exc:
                problems.extend(exc.problems)
            continue
        if key == "event_languages":
            values[key], wrong = parse_event_languages(value, str(path))
            problems.extend(wrong)
            continue
        if key == "contributors":
            values[key], wrong = parse_contributors(value, str(path))
            problems.extend(wrong)
            continue
        default = getattr(SiteConfig(), key)
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, int):
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, str)
        if not ok:
            expected = _KINDS.get(type(default), type(default).__name__)
            problems.append(Problem(str(path), f"expected {expected}", None, key))
            continue
        values[key] = value
    config = SiteConfig(**values)
    if config.pitch_seconds <= 0:
        problems.append(Problem(str(path), "must be a positive number", None, "pitch_seconds"))
    if config.gallery_size < 0:
        problems.append(Problem(str(path), "must be 0 or more", None, "gallery_size"))
    language_error = locale_problem(config.language)
    if language_error:
        problems.append(Problem(str(path), language_error, None, "language"))
    zone_error = zone_problem(config.timezone)
    if zone_error:
        problems.append(Problem(str(path), zone_error, None, "timezone"))
    if problems:
        raise ContentError(problems)
    return config


def parse_event_languages(value: object, where: str) -> tuple[dict[str, str], list[Problem]]:
    """`event_languages`: event slugs mapped to language codes Babel knows."""
    if not isinstance(value, dict):
        return {}, [
            Problem(where, "must map event slugs to language codes", None, "event_languages")
        ]
    found: dict[str, str] = {}
    problems: list[Problem] = []
    for event, code in value.items():
        problem = locale_problem(code) if isinstance(code, str) else "expected a language code"
        if problem:
            problems.append(Problem(where, problem, None, f"event_languages.{event}"))
        else:
            found[str(event)] = code
    return dict(sorted(found.items())), problems


def explicit_timezone(content: Path) -> str | None:
    """The `timezone` that `site.yaml` names, or None when it names none (or is missing):
    an import must not take the UTC default for a zone someone chose."""
    zone = _read_yaml(content / "site.yaml").get("timezone")
    return zone if isinstance(zone, str) and zone else None


def save_config(content: Path, config: SiteConfig) -> str:
    """`site.yaml` text for a config: only the settings that differ from the defaults."""
    default = SiteConfig()
    data = {
        f.name: getattr(config, f.name)
        for f in dataclasses.fields(SiteConfig)
        if getattr(config, f.name) != getattr(default, f.name)
    }
    if "sync" in data:
        data["sync"] = sync_config_data(config.sync)
    if "contributors" in data:
        data["contributors"] = [c.data() for c in config.contributors]
    if "notify" in data:
        data["notify"] = notify_config_data(config.notify)
    return _dump_yaml(data)


def load_stages(content: Path, raw: bytes | Unread | None = UNREAD) -> Stages:
    """Read `stages.yaml` (or parse `raw`, its bytes as read already), falling back to
    Dribdat's ladder; a key or value of the wrong type is an error naming it."""
    path = content / "stages.yaml"
    where = str(path)
    data = _read_yaml(path, raw)
    problems: list[Problem] = [
        Problem(where, "unknown setting (known: stages, event_labels)", None, str(key))
        for key in data
        if key not in ("stages", "event_labels")
    ]
    ladder = DEFAULT_STAGES
    if "stages" in data:
        items = data["stages"]
        parsed: list[Stage] = []
        if not isinstance(items, list) or not items:
            problems.append(Problem(where, "must be a list of stages", None, "stages"))
            items = []
        for i, item in enumerate(items, start=1):
            stage = _stage(item, where, i, problems)
            if stage is not None:
                parsed.append(stage)
        ladder = tuple(sorted(parsed, key=lambda s: s.number)) or DEFAULT_STAGES
    labels: dict[str, dict[int, str]] = {}
    given = data.get("event_labels")
    if given is not None and not isinstance(given, dict):
        problems.append(
            Problem(where, "must map event slugs to their labels", None, "event_labels")
        )
        given = None
    for event, mapping in (given or {}).items():
        if not isinstance(mapping, dict) or not all(
            _is_int(k) and isinstance(v, str) for k, v in mapping.items()
        ):
            problems.append(
                Problem(where, "labels must map stage numbers to text", None, str(event))
            )
            continue
        labels[str(event)] = dict(mapping)
    if problems:
        raise ContentError(problems)
    return Stages(ladder, labels)


def _is_int(value: object) -> bool:
    """A whole number; YAML's `true` is a bool, which Python counts as an int."""
    return isinstance(value, int) and not isinstance(value, bool)


def _stage(item: object, where: str, row: int, problems: list[Problem]) -> Stage | None:
    """One stage of the ladder (the `row`-th), or None with its problems noted."""
    if not isinstance(item, dict):
        problems.append(
            Problem(where, "each stage must be a mapping of number, label, description", row)
        )
        return None
    ok = True
    for key in item:
        if key not in ("number", "label", "description"):
            problems.append(
                Problem(where, "unknown key (known: number, label, description)", row, str(key))
            )
            ok = False
    if not _is_int(item.get("number")):
        problems.append(Problem(where, "each stage needs a whole number", row, "number"))
        ok = False
    for key in ("label", "description"):
        if not isinstance(item.get(key, ""), str):
            problems.append(Problem(where, "expected text", row, key))
            ok = False
    if not ok:
        return None
    return Stage(item["number"], item.get("label", ""), item.get("description", ""))
