"""What each output read while it was rendered: dependencies recorded, not listed by hand.

This is Lektor's model. While an output renders, every record, lookup, template and
asset it reads through the render context is noted as a source key; the build state
keeps each output's keys and, per key, a digest of what it held. A later build re-renders
exactly the outputs one of whose sources now digests differently, so no fingerprint has
to be kept in step with what templates and views happen to show.

Renderers read the archive through a `RenderContext` whose `site` and `index` hold
`TrackedDict`s: plain dicts (so every renderer stays typed and unchanged) that note each
key looked up, and the whole table when one is iterated. Records come out of them as
`View`s that note each long text read (a pitch, a README, an event's description, a
post), so a page listing a project depends on its name and summary but not on its pitch.
Settings (`site.yaml`, `stages.yaml`) and the engine's version are part of every
output's fingerprint instead.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import itertools
from collections.abc import (
    Callable,
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    Sized,
    ValuesView,
)
from collections.abc import (
    Set as AbstractSet,
)
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, cast
from zoneinfo import ZoneInfo

from ..archive.rules import EVENT_TEXT_FIELDS, PROJECT_TEXT_FIELDS
from ..dribdat import EventRecords
from .outputs import digest
from .paging import Head
from .state import TEXT_KEYS, Part

if TYPE_CHECKING:
    from ..model import Site
    from .index import SiteIndex

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")

SEP = "\x1f"
"""Separates a key's table from its parts: slugs, ids and usernames never hold it."""
ALL = "\x1e"
"""The key part that stands for a whole table, read by iterating it."""

SITE_TABLES = ("events", "categories", "projects", "activities", "people")
INDEX_TABLES = (
    "projects",
    "challenges",
    "teams",
    "categories",
    "by_category",
    "by_stage",
    "activities",
    "event_activities",
    "announcements",
    "activity_heads",
    "activity_pages",
    "project_refs",
    "people",
    "records",
    "zones",
)


TEXTS: dict[str, tuple[str, ...]] = {
    "events": EVENT_TEXT_FIELDS,
    "projects": PROJECT_TEXT_FIELDS,
    "activities": ("content",),
}
"""The long texts of each table: sources of their own, apart from their record."""


class Recorder:
    """The source keys one render (or a part of one) read."""

    __slots__ = ("keys", "outer")

    def __init__(self, outer: Recorder | None) -> None:
        self.keys: set[str] = set()
        self.outer = outer


_active: Recorder | None = None


def read(key: str) -> None:
    """Note that the render in progress read `key` (nothing when none is recorded)."""
    if _active is not None:
        _active.keys.add(key)


def active() -> Recorder | None:
    """The recording in progress, if any."""
    return _active


def read_all(keys: Iterable[str]) -> None:
    """Note several keys at once: what a reused part of a render had read."""
    if _active is not None:
        _active.keys.update(keys)


@contextmanager
def isolated() -> Iterator[None]:
    """Reads inside are noted by no recording in progress: a derived source (see
    `derived`) stands for what it was made of, so its readers need not list that."""
    global _active
    outer, _active = _active, None
    try:
        yield
    finally:
        _active = outer


@contextmanager
def recording() -> Iterator[Recorder]:
    """Record what the code inside reads; a nested recording also counts for the outer one."""
    global _active
    recorder = Recorder(_active)
    _active = recorder
    try:
        yield recorder
    finally:
        _active = recorder.outer
        if _active is not None:
            _active.keys.update(recorder.keys)


def key(table: str, part: object) -> str:
    """`projects\\x1fevent\\x1fslug`: the key of one entry of a table."""
    parts = part if isinstance(part, tuple) else (part,)
    return SEP.join((table, *map(str, parts)))


class View:
    """A record as renders see it: every attribute is the record's, and reading one of
    its long texts notes that text as a source."""

    __slots__ = ("_prefix", "_record", "_texts")

    def __init__(self, record: Any, table: str, texts: tuple[str, ...]) -> None:
        setter = object.__setattr__  # past the guard below, which is for renders
        setter(self, "_record", record)
        setter(self, "_texts", texts)
        setter(self, "_prefix", _prefix(table, record))

    def __getattr__(self, name: str) -> Any:
        if name in self._texts:
            read(self._prefix + name)
        return getattr(self._record, name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a render may not change the archive ({name})")

    def __repr__(self) -> str:
        read_all(self._prefix + name for name in self._texts)
        return repr(self._record)

    def __eq__(self, other: object) -> bool:
        read_all(self._prefix + name for name in self._texts)
        return bool(self._record == (other._record if isinstance(other, View) else other))

    __hash__ = None  # type: ignore[assignment]


def _prefix(table: str, record: Any) -> str:
    """`text\x1fprojects\x1fevent\x1fslug\x1f`: the start of the keys of a record's texts."""
    if table == "events":
        return _text_prefix(table, record.slug)
    if table == "projects":
        return _text_prefix(table, (record.event, record.slug))
    return _text_prefix(table, record.id)


def _text_prefix(table: str, record_key: object) -> str:
    part = SEP.join(map(str, record_key)) if isinstance(record_key, tuple) else str(record_key)
    return f"{TEXT_KEYS}{table}{SEP}{part}{SEP}"


def text_source(slot: tuple[str, Any, str]) -> str:
    """The source key of the text a file fills (`archive.layout.text_slot`)."""
    kind, record_key, name = slot
    return _text_prefix("projects" if kind == "project" else "events", record_key) + name


def _text_keys(records: Iterable[Any], table: str) -> list[str]:
    """The source keys of every long text of `records`."""
    texts = TEXTS[table]
    return [_prefix(table, r) + name for r in records for name in texts]


def viewed(obj: Any) -> Any:
    """`obj` with every record in it (a record, a list of them) seen through a `View`;
    anything else, an event's records included (see `TrackedDict`), as it is."""
    if isinstance(obj, list):
        return [viewed(x) for x in obj]
    if isinstance(obj, Head):
        return obj._replace(entries=viewed(obj.entries))
    table = _TABLE_OF.get(type(obj).__name__)
    return obj if table is None else View(obj, table, TEXTS[table])


_TABLE_OF = {"Event": "events", "Project": "projects", "Activity": "activities"}


class TrackedDict(dict[K, V], Generic[K, V]):
    """A dict that notes every key read, and the whole table when iterated or counted;
    the records it hands out are `View`s."""

    __slots__ = ("_all", "_seen", "_table")

    def __init__(self, table: str, data: dict[K, V]) -> None:
        super().__init__(data)
        self._table = table
        self._all = SEP.join((table, ALL))
        self._seen: dict[Any, tuple[list[str], Any]] = {}
        """Each key looked up, with the source keys reading it means and its value as
        views: made once per build."""

    def _look(self, k: Any) -> Any:
        """The entry's value as views (or `_MISSING`), noting what it reads."""
        found = self._seen.get(k)
        if found is None:
            value = super().get(k, _MISSING)
            reads = [key(self._table, k)]
            if isinstance(value, EventRecords):
                # The Dribdat mirrors copy an event's records field by field, texts and
                # all: they get the records as they are, every text noted as read (views
                # would cost more than the mirror itself).
                reads += _text_keys([value.event], "events")
                reads += _text_keys(value.projects, "projects")
                reads += _text_keys(value.activities, "activities")
            elif value is not _MISSING:
                value = viewed(value)
            found = self._seen[k] = (reads, value)
        read_all(found[0])
        return found[1]

    def __getitem__(self, k: K) -> V:
        found = self._look(k)
        if found is _MISSING:
            raise KeyError(k)
        return cast(V, found)

    def get(self, k: K, default: Any = None) -> Any:
        found = self._look(k)
        return default if found is _MISSING else found

    def __contains__(self, k: object) -> bool:
        read(key(self._table, k))
        return super().__contains__(k)

    def size_of(self, k: K) -> int:
        """How many items the entry under `k` holds (none when missing), read as `get`
        reads it but without a view of each item."""
        read(key(self._table, k))
        return len(cast(Sized, super().get(k, ())))

    def __iter__(self) -> Iterator[K]:
        read(self._all)
        return super().__iter__()

    def __len__(self) -> int:
        read(self._all)
        return super().__len__()

    def keys(self) -> KeysView[K]:  # type: ignore[override]
        read(self._all)
        return super().keys()

    def values(self) -> ValuesView[V]:  # type: ignore[override]
        read(self._all)
        return cast(ValuesView[V], [viewed(v) for v in super().values()])

    def items(self) -> ItemsView[K, V]:  # type: ignore[override]
        read(self._all)
        return cast(ItemsView[K, V], [(k, viewed(v)) for k, v in super().items()])


def size_of(table: Mapping[K, Any], k: K) -> int:
    """How many items the entry under `k` of a table of lists holds (`TrackedDict.size_of`
    in a render)."""
    if isinstance(table, TrackedDict):
        return table.size_of(k)
    return len(table.get(k, ()))


class TrackedList(list[T], Generic[T]):
    """A list whose every use counts as reading all of it (the index's sorted events)."""

    __slots__ = ("_key",)

    def __init__(self, name: str, data: Iterable[T]) -> None:
        super().__init__(viewed(list(data)))
        self._key = SEP.join((name, ALL))

    def __iter__(self) -> Iterator[T]:
        read(self._key)
        return super().__iter__()

    def __len__(self) -> int:
        read(self._key)
        return super().__len__()

    def __getitem__(self, i: Any) -> Any:
        read(self._key)
        return super().__getitem__(i)


class TrackedSet(set[T], Generic[T]):
    """A set whose membership tests are noted, by the member asked for."""

    __slots__ = ("_table",)

    def __init__(self, table: str, data: Iterable[T]) -> None:
        super().__init__(data)
        self._table = table

    def __contains__(self, k: object) -> bool:
        read(key(self._table, k))
        return super().__contains__(k)


def tracked(site: Site, index: SiteIndex) -> tuple[Site, SiteIndex]:
    """Copies of `site` and `index` whose tables note what a render reads (the records
    themselves are shared, so identity-keyed memos keep working)."""
    site_tables: dict[str, Any] = {
        name: TrackedDict(name, getattr(site, name)) for name in SITE_TABLES
    }
    index_tables: dict[str, Any] = {
        name: TrackedDict(f"index.{name}", getattr(index, name)) for name in INDEX_TABLES
    }
    index_tables["events"] = TrackedList("index.events", index.events)
    index_tables["visible_keys"] = TrackedSet("index.visible", index.visible_keys)
    return (
        dataclasses.replace(site, **site_tables),
        dataclasses.replace(index, **index_tables),
    )


@dataclass(frozen=True, slots=True)
class Derived:
    """A table of sources made from the archive rather than read from it, such as the search
    index's files: an output reads one entry, and is rendered again only when that entry's
    digest changes, not whenever anything it was made of does."""

    prefix: str
    """Where the outputs reading the table are (the search index's: `search/`)."""
    make: Callable[[Sources], Any]
    """Makes the table, once per build (`Sources.made`); what it reads is its inputs."""
    digests: Callable[[Any], Mapping[str, str]]
    """The digest of each entry of what `make` made."""


DERIVED: dict[str, Derived] = {}
"""The derived tables, by name; a module defining one registers it on import."""


def derived_table(path: str) -> str | None:
    """The derived table the output at `path` may read, if any."""
    return next((name for name, d in DERIVED.items() if path.startswith(d.prefix)), None)


_GENERATIONS = itertools.count(1)


class Sources:
    """The current digest of every source key: what the build state compares with the
    digests recorded when each output was last rendered."""

    def __init__(
        self,
        site: Site,
        index: SiteIndex,
        templates: Callable[[str], str],
        salt: str,
        previous: Sources | None = None,
    ) -> None:
        self.site, self.index = site, index
        self.generation = next(_GENERATIONS)
        """Which build of the process this is (`Memo` notes which build last checked a part)."""
        self._templates = templates
        self.salt = salt
        """Digest of what every output depends on: settings, engine and renderer versions."""
        self._values: dict[str, str] = {}
        self._objects: dict[str, object] = {}
        """What each value was computed from, for the next build of a session."""
        self._previous = previous
        """The last build's sources in a session: a value whose objects are still the same
        (the store re-reads a changed record into a new object) is taken from it."""
        if previous is not None:
            previous._previous = None
        self._made: dict[str, Any] = {}
        self._digests: dict[str, Mapping[str, str]] = {}
        self.made_from: dict[str, frozenset[str]] = {}
        """The sources each derived table made in this build read."""
        self._watched: tuple[Site, SiteIndex] | None = None
        self._trusted: tuple[Mapping[str, str], AbstractSet[str]] | None = None
        self.stored: Callable[[str], Mapping[str, Part]] | None = None
        """The parts of persistent memos the last builds stored (`Memo`), by memo."""
        self.to_store: list[tuple[str, str, Part]] = []
        """Parts of persistent memos made in this build: (memo, name, part)."""
        self.published: Published | None = None
        """The outputs as the last build wrote them, when it is known what that was."""
        self.follows = False
        """Whether the recorded sources (`trust`) are what the session's previous build
        (`previous`) recorded, and nothing recorded since: a source not changed since the
        record holds what that build saw (see `same_as_last_build`)."""
        self.kept_hold = False
        """Whether the parts the state kept were checked by its last build against the
        recorded sources, with the same settings and engine as this build's (only texts
        changed since: `build._changed_texts`); see `kept_holds`."""
        self._derived_keys: AbstractSet[str] = frozenset()
        self.lasting = False
        """Whether the build is one of a session's (`jamdat serve`, the API), whose next
        builds may reuse parts kept in memory: memos of parts no other output of the same
        build reuses are kept only then."""

    def trust(
        self,
        recorded: Mapping[str, str],
        changed: AbstractSet[str],
        derived: AbstractSet[str] = frozenset(),
    ) -> None:
        """Take what a source held when last recorded as its value, unless it is in
        `changed`: the build has compared every recorded source, or knows that only
        `changed` can differ (`build._changed_texts`). Derived tables' entries (those
        recorded: `derived`) are not taken: whether they changed is known only once
        they are made."""
        self._trusted = (recorded, changed)
        self._derived_keys = derived

    def kept_holds(self, keys: frozenset[str]) -> bool:
        """Whether a part the state kept, made from `keys`, still holds without valuing
        them: its fingerprint was checked against the recorded values of `keys` by the
        build that recorded them (every build checks each part it uses, and records what
        it read), with this build's settings (`kept_hold`), and none of them changed
        since or is a derived table's."""
        trusted = self._trusted
        if not self.kept_hold or trusted is None:
            return False
        recorded, changed = trusted
        return (
            keys.isdisjoint(changed)
            and keys.isdisjoint(self._derived_keys)
            and recorded.keys() >= keys
        )

    @property
    def watched(self) -> tuple[Site, SiteIndex]:
        """The site and index as renders see them, noting what they read (`tracked`)."""
        if self._watched is None:
            self._watched = tracked(self.site, self.index)
        return self._watched

    def made(self, table: str) -> Any:
        """A derived table as made for this build: made on first use, outside any
        recording in progress, its own reads kept as its inputs (`made_from`)."""
        if table not in self._made:
            with isolated(), recording() as recorder:
                self._made[table] = DERIVED[table].make(self)
            self.made_from[table] = frozenset(recorder.keys)
        return self._made[table]

    def prepare(self, paths: Iterable[str]) -> None:
        """Make the derived tables that outputs at `paths` read."""
        for name in {derived_table(path) for path in paths} - {None}:
            self.made(cast(str, name))

    def derived(self, table: str) -> Mapping[str, str]:
        """The digests of a derived table's entries."""
        found = self._digests.get(table)
        if found is None:
            found = self._digests[table] = DERIVED[table].digests(self.made(table))
        return found

    def value(self, source: str) -> str:
        """What `source` holds now, as a digest ("-" for an entry that does not exist)."""
        found = self._values.get(source)
        if found is None:
            found = self._trusted_value(source)
            if found is None:
                found = self._compute(source)
            self._values[source] = found
        return found

    def _trusted_value(self, source: str) -> str | None:
        trusted = self._trusted
        if trusted is None or not self.trusted(source):
            return None
        found = trusted[0][source]
        previous = self._previous
        if previous is not None and previous._values.get(source) == found:
            # What it was made of is carried on, for the session's next build to compare.
            old = previous._objects.get(source, _MISSING)
            if old is not _MISSING:
                self._objects[source] = old
        return found

    def fingerprint(self, keys: Iterable[str]) -> str:
        """One digest of the values of `keys`, independent of their order."""
        return digest(self.salt, [(k, self.value(k)) for k in sorted(keys)])

    def trusted(self, key: str) -> bool:
        """Whether `key` is known to hold what it held when last recorded (`trust`)."""
        trusted = self._trusted
        return (
            trusted is not None
            and key in trusted[0]
            and key not in trusted[1]
            and key.partition(SEP)[0] not in DERIVED
        )

    def untrusted(self, keys: frozenset[str]) -> set[str]:
        """Those of `keys` that are not `trusted`, found by set operations: a derived
        table's inputs (every project's, 10,000 keys) are sorted out on every save."""
        trusted = self._trusted
        if trusted is None:
            return set(keys)
        recorded, changed = trusted
        # A derived table's entry not recorded is among the first.
        return set(keys.difference(recorded)) | (keys & changed) | (keys & self._derived_keys)

    def same_as_last_build(self, keys: frozenset[str], checked: int) -> bool:
        """Whether `keys`, whose values the session's last build (its `generation` is
        `checked`) found as a part had them, still hold those values: none changed since
        and each is recorded. Known without valuing them (every event's search part on
        each save of a session). For parts that read no derived table: whether one of
        those changed is known only once it is made (`trusted`). Only when the recorded
        values are those of that very build (`follows`): after a build that failed, or
        one of another process, a source can hold again what was recorded and not what
        that build saw."""
        trusted, previous = self._trusted, self._previous
        if previous is None or previous.generation != checked or trusted is None:
            return False
        if not self.follows:
            return False
        recorded, changed = trusted
        return previous.salt == self.salt and keys.isdisjoint(changed) and recorded.keys() >= keys

    def _compute(self, source: str) -> str:
        kind, table, part, name = _locate(source)
        if kind == "template":
            return self._templates(table)
        if kind == "derived":
            return self.derived(table).get(cast(str, part), "-")
        if kind == "visible":
            return "1" if part in self.index.visible_keys else "0"
        data = getattr(self.index if kind == "index" else self.site, table)
        obj = data if part is ALL else data.get(part)
        previous = self._previous
        if previous is not None:
            # A session's next build: the same objects as last time digest the same.
            old = previous._objects.get(source, _MISSING)
            value = previous._values.get(source)
            if value is not None and old is not _MISSING and (old is obj or _same(old, obj)):
                self._objects[source] = obj
                return value
        self._objects[source] = obj
        if kind == "text":
            return "-" if obj is None else self._text(obj, name)
        if part is ALL:
            return self._digest(obj if isinstance(obj, list) else list(data.items()))
        return self._digest(obj)

    def _digest(self, obj: object) -> str:
        if obj is None:
            return "-"
        if isinstance(obj, list | tuple):
            return digest([self._digest(x) for x in obj])
        if isinstance(obj, EventRecords):
            return digest(
                self._digest(obj.event),
                self._digest(obj.projects),
                self._digest(obj.categories),
                self._digest(obj.activities),
            )
        if isinstance(obj, ZoneInfo):
            return obj.key
        table = _TABLE_OF.get(type(obj).__name__)
        if table is not None:
            record: Any = obj
            texts = TEXTS[table]
            return self.index.memo.get(
                "meta",
                record,
                lambda: digest(
                    [
                        getattr(record, f.name)
                        for f in dataclasses.fields(record)
                        if f.name not in texts
                    ]
                ),
            )
        if dataclasses.is_dataclass(obj):
            return self.index.record_digest(obj)
        return repr(obj)

    def _text(self, record: object, name: str) -> str:
        """The digest of one long text of a record."""

        def compute() -> str:
            text: str = getattr(record, name)
            data = text.encode("utf-8", "surrogatepass")
            return hashlib.blake2b(data, digest_size=16).hexdigest()

        return self.index.memo.get(f"text.{name}", record, compute)


@lru_cache(maxsize=1 << 17)
def _locate(source: str) -> tuple[str, str, object, str]:
    """What a source key names, parsed once per process: its kind (`site`, `index`,
    `text`, `visible`, `template`, `derived`), its table, the entry's key in the table's
    own type (`ALL` for the whole table) and, for a text, the record's field."""
    table, _, rest = source.partition(SEP)
    if table == "template":
        return "template", rest, None, ""
    if table == "text":
        table, _, tail = rest.partition(SEP)
        where, _, name = tail.rpartition(SEP)
        return "text", table, _parse(table, where), name
    if table in DERIVED:
        return "derived", table, rest, ""
    if table == "index.visible":
        event, _, slug = rest.partition(SEP)
        return "visible", table, (event, slug), ""
    if table.startswith("index."):
        kind, name = "index", table.removeprefix("index.")
    elif table in SITE_TABLES:
        kind, name = "site", table
    else:
        raise KeyError(f"unknown source {source!r}")
    return kind, name, ALL if rest == ALL else _parse(table, rest), ""


def _same(a: object, b: object) -> bool:
    """Whether `b` is made of the very records `a` was (so it digests the same)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, list | tuple):
        return len(a) == len(cast(Any, b)) and all(map(_same, a, cast(Any, b)))
    if isinstance(a, dict):
        other = cast(dict[Any, Any], b)
        return len(a) == len(other) and all(
            (k is j or k == j) and _same(v, w)
            for (k, v), (j, w) in zip(a.items(), other.items(), strict=True)
        )
    if isinstance(a, EventRecords):
        return _same(
            (a.event, a.projects, a.categories, a.activities),
            (
                cast(Any, b).event,
                cast(Any, b).projects,
                cast(Any, b).categories,
                cast(Any, b).activities,
            ),
        )
    if isinstance(a, str | int | float | ZoneInfo):
        return a == b
    return False


_MISSING = object()

_TUPLE_KEYS = {
    "projects",
    "categories",
    "index.by_category",
    "index.activities",
    "index.activity_heads",
    "index.project_refs",
}


def _parse(table: str, rest: str) -> object:
    """A key's part back as the table's own key type."""
    if table == "index.by_stage":
        event, _, number = rest.partition(SEP)
        return (event, int(number))
    if table == "index.activity_pages":
        event, project, number = rest.split(SEP)
        return (event, project, int(number))
    if table in _TUPLE_KEYS:
        return tuple(rest.split(SEP))
    return rest


class Published(Protocol):
    """The outputs the last build wrote, as a derived table may read them back (the search
    index patches its published files rather than make them all)."""

    def read(self, path: str) -> bytes | None:
        """The bytes of the output at `path`, when it is still what the state recorded."""

    def digest(self, path: str) -> str | None:
        """The digest of the output at `path` as recorded (`state.content_hash`)."""


class Kept(Protocol):
    """What a session keeps between builds, emptied by `forget`."""

    def clear(self) -> None: ...


_MEMOS: list[Kept] = []

C = TypeVar("C", bound=Kept)


def kept(cache: C) -> C:
    """Register a cache kept across the builds of a session (a `Memo` registers itself)."""
    _MEMOS.append(cache)
    return cache


def forget() -> None:
    """Empty every memo, as in a fresh process (for tests comparing the two)."""
    for memo in _MEMOS:
        memo.clear()


@contextmanager
def apart() -> Iterator[None]:
    """Inside, every memo is empty, as in a new process; afterwards each holds again what
    it held before (for tests that build in a session and in new processes in turn,
    without the one emptying or filling the other's memos)."""
    held = [{k: copy.copy(v) for k, v in vars(memo).items()} for memo in _MEMOS]
    forget()
    try:
        yield
    finally:
        for memo, attributes in zip(_MEMOS, held, strict=False):
            vars(memo).update(attributes)


@dataclass(frozen=True, slots=True)
class Codec(Generic[T]):
    """How a persistent `Memo` stores its parts (as JSON: nothing stored runs code)."""

    name: str
    """The memo's name in the build state."""
    encode: Callable[[T], bytes]
    decode: Callable[[bytes], T]


class Memo(Generic[T]):
    """Parts of renders kept across the builds of a session, each reused while every
    source it read digests the same (e.g. each event's part of the search index). With a
    `codec`, the parts are stored in the build state too, so that a build in a new process
    reuses them (e.g. after one pitch edit, the index's other events' documents). Holds
    up to `limit` parts, dropping the one used longest ago when full."""

    def __init__(self, limit: int = 4096, codec: Codec[T] | None = None) -> None:
        self.limit = limit
        self.codec = codec
        self._items: dict[object, tuple[frozenset[str], str, T]] = {}
        self._stored: dict[object, str] = {}
        """The fingerprint of each part as this process last stored or found it in the
        build state: a part kept in memory is stored again only when that differs."""
        self._checked: dict[object, int] = {}
        """The build (`Sources.generation`) that last found each part current, for parts
        that read no derived table (see `Sources.same_as_last_build`)."""
        _MEMOS.append(self)

    def clear(self) -> None:
        self._items.clear()
        self._stored.clear()
        self._checked.clear()

    def get(self, name: object, sources: Sources, make: Callable[[], T]) -> T:
        found = self._items.get(name)
        if found is None and self.codec is not None and sources.stored is not None:
            found = self._restore(name, sources)
        if found is not None and self._current(name, found, sources):
            read_all(found[0])
            self._check(name, found[0], sources)
            self._items.pop(name, None)  # last used goes last: the first out when full
            self._items[name] = found
            self._store(name, found, sources)
            return found[2]
        with recording() as recorder:
            value = make()
        keys = frozenset(recorder.keys)
        while len(self._items) >= self.limit:
            dropped = next(iter(self._items))
            del self._items[dropped]
            self._checked.pop(dropped, None)
        made = self._items[name] = (keys, sources.fingerprint(keys), value)
        self._checked.pop(name, None)
        self._check(name, keys, sources)
        self._store(name, made, sources)
        return value

    def _check(self, name: object, keys: frozenset[str], sources: Sources) -> None:
        """Note that this build found the part under `name` current."""
        if name in self._checked or not any(k.partition(SEP)[0] in DERIVED for k in keys):
            self._checked[name] = sources.generation

    def _current(
        self, name: object, found: tuple[frozenset[str], str, T], sources: Sources
    ) -> bool:
        """Whether a part still holds: its sources unchanged since the session's last
        build found it current, else their fingerprint the same as when it was made."""
        checked = self._checked.get(name)
        if checked is not None and sources.same_as_last_build(found[0], checked):
            return True
        return sources.fingerprint(found[0]) == found[1]

    def current(self, name: object, sources: Sources) -> str | None:
        """The fingerprint of the part under `name` when it is still what `get` would
        make (kept in memory, or stored), found without decoding it; else None."""
        found = self._items.get(name)
        part = self._stored_part(name, sources) if found is None else None
        if found is not None:
            keys, fingerprint = found[0], found[1]
        elif part is not None:
            keys, fingerprint = part.keys, part.fingerprint
        else:
            return None
        held = part is not None and sources.kept_holds(keys)
        if not held and sources.fingerprint(keys) != fingerprint:
            return None
        read_all(keys)
        return fingerprint

    def made_with(self, name: object, fingerprint: str, sources: Sources) -> T | None:
        """The part under `name` that was made when its sources had `fingerprint` (kept in
        memory, or stored), current or not; None when neither is that one."""
        found = self._items.get(name)
        if found is not None and found[1] == fingerprint:
            return found[2]
        part = self._stored_part(name, sources)
        if part is None or part.fingerprint != fingerprint:
            return None
        return self._decode(part)

    def fingerprint(self, name: object) -> str | None:
        """The fingerprint of the part last made or reused under `name` in this process."""
        found = self._items.get(name)
        return None if found is None else found[1]

    def _store(self, name: object, item: tuple[frozenset[str], str, T], sources: Sources) -> None:
        """Have the build store a part of a persistent memo, unless the state holds it
        already (a build without stored parts, a cold one, stores every part it uses)."""
        if self.codec is None:
            return
        keys, fingerprint, value = item
        if sources.stored is not None and self._stored.get(name) == fingerprint:
            return
        part = Part(keys, fingerprint, self.codec.encode(value))
        sources.to_store.append((self.codec.name, str(name), part))
        self._stored[name] = fingerprint

    def _restore(self, name: object, sources: Sources) -> tuple[frozenset[str], str, T] | None:
        """The part stored under `name`, if any (`get` compares its fingerprint)."""
        part = self._stored_part(name, sources)
        value = None if part is None else self._decode(part)
        if part is None or value is None:
            return None
        self._stored[name] = part.fingerprint
        return part.keys, part.fingerprint, value

    def _stored_part(self, name: object, sources: Sources) -> Part | None:
        """The part the build state holds under `name`, if this memo stores any."""
        if self.codec is None or sources.stored is None:
            return None
        return sources.stored(self.codec.name).get(str(name))

    def _decode(self, part: Part) -> T | None:
        """The part's value, or None when it is not what this engine stores."""
        assert self.codec is not None
        try:
            return self.codec.decode(part.data)
        except ValueError:
            return None
