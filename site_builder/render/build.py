"""The build engine: incremental, parallel where it pays, and atomic.

How a build runs:

1. Load the archive (`archive.load`) and plan every output file: where it goes and how it
   is rendered.
2. Compare with the build-state database (`state.py`, the Lektor model): each output's
   fingerprint (what its plan hands it, the settings, the Markdown renderer and this
   engine), the sources its last render read (records, lookups, templates: recorded as it
   rendered, `deps.py`) and its file on disk. Only outputs whose fingerprint or one of
   whose sources changed, or whose file was touched or removed, are rendered; a no-op
   rebuild renders and writes nothing.
3. Markdown is rendered once per distinct text, cached by content hash and rendered in
   parallel on all cores when enough is missing (`mdcache.py`).
4. Publish. A cold build (no output directory, no valid state, or `clean`) writes a whole
   tree next to `out` and exchanges the two in one system call. An incremental build
   renders every changed output in memory first and only then, when all succeeded,
   replaces the files whose bytes changed, each atomically, and removes outputs no
   longer planned; the state database is updated only after that.

Why not hardlink-clone + exchange for incremental builds too: `bench/bench.py` measures
linking the 11,600 files of a 10,000-project site and removing the clone at 1.4 s on
two cores, several times the 0.3 s budget of a one-pitch edit, for a benefit (no instant
where a reader could see a new project page beside an old event page) that static
hosting does not need: each file is replaced atomically, and a failed build touches
nothing because rendering completes before publishing starts.

A no-op rebuild does not even load the archive: when the stats of every input file
(content, templates, the engine's code) and the options match the last successful build
and every output is still on disk as written, nothing can differ.
"""

from __future__ import annotations

import array
import dataclasses
import errno
import fcntl
import gc
import importlib.util
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__, archive, forkpool, onterm
from ..archive import contentfs, txn
from ..archive.contentfs import FileStat
from ..errors import JamdatError
from ..locks import locked
from . import publish, sqlitefile
from .outputs import Output, RenderContext, digest
from .state import (
    BuildState,
    Changed,
    Entry,
    Readers,
    ScanDigests,
    content_hash,
    disjoint,
    each_key,
    prune_gone,
    recorded_stats,
    state_file,
    tree_signature,
)
from .urls import is_absolute

if TYPE_CHECKING:
    from ..archive import stored
    from ..archive.layout import TextSlot
    from ..archive.loading import LoadCache
    from ..media.hotlinks import Counted
    from ..model import Site
    from .deps import Sources
    from .index import DigestMemo, SiteIndex
    from .pagerender import Batch
    from .plan import PlanMemo

ENGINE_VERSION = f"{__version__}/6"
"""Part of every fingerprint: bump the suffix when the engine's output changes."""

MARKDOWN_CACHE = "markdown.sqlite"

FORKED_CHECK_MIN = 2000
"""From this many outputs, a no-op check stats them in a forked child (~1 ms to fork)."""

PRECOLLECT_MIN = 100
"""From this many outputs to render, find and render all missing Markdown up front (in
parallel); below it, looking texts up one by one as pages ask is cheaper than hashing
every text of the archive."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """What the state holds after a build (`BuildState`), as the next build compares it."""

    inputs: str
    """The input signature (`input_signature`) the build was made from."""
    entries: dict[str, Entry]
    sources: dict[str, str]
    """What each source read by an output held."""
    made_from: dict[str, frozenset[str]]
    """The sources each derived table was made from."""
    files: dict[str, FileStat]
    """The archive's files the build read, by their stat."""
    setup: str
    """What the build read besides the archive (`setup_signature`)."""
    derived: dict[str, dict[str, str]]
    """The entries of `sources` that are derived tables' (`deps.DERIVED`), by table: a
    save compares them without a pass over every source (`_stale_derived`)."""
    partial: bool = False
    """Whether `entries` are left to the build to read (`_entries_needed`): a build that
    runs once after texts changed reads a few hundred, not every output's."""


@dataclass(slots=True)
class _Plan:
    """The outputs a session's last build planned and recorded, with their fingerprints:
    a save that changed only long texts takes them as they are (no plan reads a long
    text, see `plan.PlanMemo`), and only the outputs that read a changed text can be
    stale (`_dirty`)."""

    inputs: str
    """The input signature of the build that recorded them."""
    planned_from: str
    """What the plan was made from (`_planned_from`)."""
    outputs: list[Output]
    fingerprints: dict[str, str]
    _order: dict[str, int] | None = None

    def order(self) -> dict[str, int]:
        """Each output's place in the plan, by path (renders go in plan order)."""
        if self._order is None:
            self._order = {output.path: n for n, output in enumerate(self.outputs)}
        return self._order


@dataclass(slots=True)
class BuildReport:
    """What a build did, for the CLI, the API and tests."""

    out: Path
    cold: bool = False
    planned: int = 0
    rendered: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    markdown_rendered: int = 0
    markdown_cached: int = 0
    phases: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """What the site gets wrong though it builds, each said once, for the CLI to print."""
    base_url: str | None = None
    """The base URL the site was made for (None: not known without reading the settings)."""

    @property
    def unchanged(self) -> int:
        """Planned files left exactly as they were on disk."""
        return self.planned - len(self.written)

    @property
    def seconds(self) -> float:
        return sum(self.phases.values())

    def summary(self) -> str:
        kind = "cold build" if self.cold else "incremental build"
        timings = ", ".join(f"{name} {sec:.2f}s" for name, sec in self.phases.items())
        return (
            f"{self.out}: {kind} of {self.planned} files: {len(self.rendered)} rendered, "
            f"{len(self.written)} written, {self.unchanged} unchanged, "
            f"{len(self.deleted)} deleted; Markdown {self.markdown_rendered} rendered, "
            f"{self.markdown_cached} cached; {self.seconds:.2f}s ({timings})"
        )

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.phases[name] = self.phases.get(name, 0.0) + time.perf_counter() - start


def build_site(
    content: Path,
    out: Path,
    *,
    base_url: str | None = None,
    clean: bool = False,
    jobs: int | None = None,
) -> BuildReport:
    """Render the archive in `content` into `out`, incrementally and atomically.

    Raises ContentError for bad content and JamdatError naming the template file and
    line, or the output being rendered, when rendering fails; `out` is then untouched.
    """
    return BuildSession(content, out, base_url=base_url, jobs=jobs).build(clean=clean)


def base_url_problem(base_url: str) -> str | None:
    """Why a base URL cannot serve as the site's address, or None: the sitemap, feeds,
    canonical links and link previews need an absolute one."""
    if is_absolute(base_url):
        return None
    return (
        f"base_url is {base_url!r}, not an absolute URL: the sitemap, feed ids, canonical "
        "links and link previews (og:url) point nowhere outside the site. Set it with "
        "`jamdat build --base-url https://your.host/` or `base_url: https://your.host/` "
        "in site.yaml"
    )


class BuildSession:
    """Builds of one archive into one directory. Between builds it keeps what a rebuild
    can reuse: the loaded archive (only text files that changed are read again), record
    digests and the search index's parts. `jamdat serve` and the edit API keep one;
    `build_site` is a session of one build."""

    def __init__(
        self,
        content: Path,
        out: Path,
        *,
        base_url: str | None = None,
        jobs: int | None = None,
        long_lived: bool = False,
    ) -> None:
        _check_out(content, out)
        if out.is_symlink():
            # Built where the link leads, and the link kept: one folder, one lock, one state
            # (publishing at the link's own path would replace the link with a folder).
            out = out.resolve()
        self.content, self.out, self.base_url, self.jobs = content, out, base_url, jobs
        self.long_lived = long_lived
        """Set by servers that keep the session for many builds: each archive it loads is
        then moved out of the garbage collector's way (see `build`)."""
        self._settle = False
        self._collector = _Collector()
        self._full = True
        """Whether the last load read the whole archive (not only changed texts)."""
        self._reread: frozenset[str] = frozenset()
        """The text files the last load read again, when it did not read the whole."""
        self._cache: LoadCache | None = None
        """What the next full load may take from the last (rows and texts unchanged);
        made by the first load (a no-op build loads nothing, nor imports the loader)."""
        self._site: Site | None = None
        self._sources: dict[str, FileStat] = {}
        self._memo: DigestMemo | None = None
        self._index: SiteIndex | None = None
        """The last build's lookups (patched, not made again, when only texts changed)."""
        self._plans: PlanMemo | None = None
        self._plan: _Plan | None = None
        self._scan_digests = ScanDigests()
        self._recorded_by = 0
        """The `generation` of the sources of this session's build that last recorded."""
        """The last build's plan, in a long-lived session."""
        self._hotlinks_of: tuple[Site, Counted] | None = None
        """The last archive this session counted linked images of, and the count."""
        self._since: tuple[str, list[str]] | None = None
        """The inputs signature of the last build and the text files changed since, when
        only texts changed (set by the build under way)."""
        self._last_sources: Sources | None = None
        """The last build's source values, reused where their records are the same."""
        self._entries: Recorded | None = None
        """The state's entries, sources and derived tables as this session recorded them,
        with the inputs signature recorded beside them (when the database still holds it,
        nobody else built since)."""
        self._readers: Readers | None = None
        """Which of `_entries`' outputs read each source (a long-lived session's, made at
        its first save and kept up to date by each)."""
        self._stamp = 0
        """The file-system time taken before the current build's scans (`contentfs.stamp`)."""
        self._stored: tuple[str, Site] | None = None
        """The archive the state keeps as loaded (`archive.stored`), with the inputs
        signature of the build that recorded it: a record writes only what changed since,
        while the state still holds that build's record."""

    def build(self, *, clean: bool = False, warm: bool = False) -> BuildReport:
        """One build; see `build_site`. `warm` loads and plans the archive even when
        nothing changed (rendering nothing then), so that the session's next rebuild is
        fast: `jamdat serve` and the edit API start with one."""
        state_dir = archive.state_dir(self.content)
        # Builds of one archive share its state; builds of any archive into one `out`
        # would mix their files: each pair is serialised.
        pause = self._collector.paused(self.long_lived, freeze=False)
        with pause, locked(state_dir / "build.lock"), locked(out_lock(self.out)):
            publish.sweep(self.out)
            try:
                report = self._locked_build(state_dir, clean, warm)
            except sqlite3.DatabaseError as exc:
                if not sqlitefile.is_corruption(exc) or not self._discard_damaged(state_dir):
                    raise
                self._entries = None
                report = self._locked_build(state_dir, clean, warm)
        report.warnings.extend(self._warnings(report))
        if self._settle:
            # What a session keeps (the archive, its plan, digests) lives as long as the
            # session: frozen, its million objects are not scanned again by every full
            # collection (100 ms pauses at 10,000 projects). Collected first, so no garbage
            # is frozen with it; done after publishing, so no page waits for it.
            self._settle = False
            gc.collect()
            gc.freeze()
        return report

    def _locked_build(self, state_dir: Path, clean: bool, warm: bool) -> BuildReport:
        report = BuildReport(self.out)
        self._since = None
        try:
            state = BuildState(state_file(state_dir, self.out), ENGINE_VERSION)
            outputs: forkpool.Answer | None = None
            try:
                with report.phase("check"):
                    if not clean and not warm:
                        # Not forked in a session: its threads (a server's) do not fork well.
                        outputs = _outputs_unchanged(
                            self.out, state, report, fork=not self.long_lived, jobs=self.jobs
                        )
                    self._stamp = contentfs.stamp(self.content)
                    sources, token = txn.consistent(self.content, self._scan)
                    setup = setup_signature(self.content, self.base_url, self._stamp)
                    inputs = input_signature(setup, self._scan_digests.digest(sources))
                    if _up_to_date(state, inputs, outputs, report):
                        report.base_url = state.base_url()
                        report.warnings.extend(self._hotlinks(state_dir, inputs))
                        return report
                with self._collector.paused(not self.long_lived):
                    self._build(
                        clean, warm, state, (inputs, setup), (sources, token), outputs, report
                    )
                report.warnings.extend(self._hotlinks(state_dir, inputs))
            finally:
                if outputs is not None:
                    outputs.cancel()
                state.close()
        except OSError as exc:
            raise JamdatError(_os_error(exc, self.out)) from exc
        except sqlite3.OperationalError as exc:
            raise JamdatError(f"{state_dir}: {exc}") from exc
        return report

    def _warnings(self, report: BuildReport) -> list[str]:
        """The settings' faults a build cannot fix, up to date or not."""
        base_url = report.base_url
        if base_url is None:
            from ..config import load_config

            base_url = load_config(self.content).base_url
        problem = base_url_problem(base_url)
        return [problem] if problem else []

    def _hotlinks(self, state_dir: Path, inputs: str) -> list[str]:
        """The warning about images linked from other hosts, once per build. Counted from
        the loaded archive, or remembered from the last build with these inputs, so that
        a build with nothing to do does not load the archive for it."""
        from ..media import hotlinks

        last = hotlinks.remembered(state_dir)
        if last is not None and last.inputs == inputs:
            found = last.hotlinks
        else:
            site = self._site if self._site is not None else archive.load(self.content)
            kept, since = self._hotlinks_of, self._since
            counted = None
            if kept is not None and hotlinks.same_images(kept[0], site):
                counted = kept[1]
            elif last is not None and since is not None and last.inputs == since[0]:
                # Only texts changed since that count: if they hold the same images, it holds.
                counted = hotlinks.remembered_counted(state_dir, last)
                if counted is not None and not hotlinks.same_text_images(
                    site, since[1], counted.texts
                ):
                    counted = None
            if counted is None:
                counted = hotlinks.count(site)
            hotlinks.remember(state_dir, inputs, counted, last)
            if self._site is not None:
                self._hotlinks_of = (self._site, counted)
            found = counted.hotlinks
        text = found.warning()
        return [text] if text else []

    def _discard_damaged(self, state_dir: Path) -> bool:
        """After a build met a damaged page in its state or cache (which the cheap check on
        opening cannot see): discard the damaged files; False when none is."""
        found = False
        for path in (state_file(state_dir, self.out), state_dir / MARKDOWN_CACHE):
            problem = sqlitefile.check(path)
            if problem is not None:
                sqlitefile.discard(path, problem)
                found = True
        return found

    def _scan(self) -> tuple[dict[str, FileStat], str]:
        """The stats of the archive's files (those that may change unseen marked, see
        `contentfs.stamp`) and its commit token."""
        stats = contentfs.settled(contentfs.scan(self.content), self._stamp)
        return stats, txn.current(self.content)

    def _read(self, scanned: tuple[dict[str, FileStat], str]) -> tuple[dict[str, FileStat], Site]:
        """The archive as on disk now, with the stats of the files it was read from, as one
        committed state (`txn.consistent`): `scanned` is scanned again when another
        commit ran since. Only reading the bytes is inside that moment; parsing is not."""
        sources, token = scanned

        def read() -> tuple[dict[str, FileStat], Site | archive.Files]:
            now = sources if txn.current(self.content) == token else self._scan()[0]
            return now, self._gather(now)

        sources, got = txn.consistent(self.content, read)
        if isinstance(got, archive.Files):
            site = archive.parse(got, self._load_cache())
            if self._site is not None:
                site = _keep_people(self._site, site)
        else:
            site = got
        self._load_cache().site = site
        self._site, self._sources = site, sources
        return sources, site

    def _load_cache(self) -> LoadCache:
        if self._cache is None:
            self._cache = archive.LoadCache()
        return self._cache

    def _gather(self, sources: dict[str, FileStat]) -> Site | archive.Files:
        """The last archive with its changed texts re-read, or the files to parse when a
        table, a setting or a new file changed (or nothing was loaded yet). Changes
        nothing of the session's but `_full` (a torn read is done again, see `_read`)."""
        previous, known = self._site, self._sources
        self._full = True
        if previous is None:
            return archive.gather(self.content, self._load_cache())
        changed = contentfs.changed(sources, known)
        texts_only = archive.reload_texts(previous, self.content, changed)
        if texts_only is not None:
            self._full = False
            self._reread = changed
            return texts_only
        cache = self._load_cache()
        cache.unchanged = {rel for rel, st in sources.items() if known.get(rel) == st}
        return archive.gather(self.content, cache)

    def _build(
        self,
        clean: bool,
        warm: bool,
        state: BuildState,
        signatures: tuple[str, str],
        scanned: tuple[dict[str, FileStat], str],
        outputs_unchanged: forkpool.Answer | None,
        report: BuildReport,
    ) -> None:
        """Load, plan, render what changed and publish it (see the module docstring);
        `signatures` are the input and setup signatures of this build; `outputs_unchanged`
        whether every output the state records was found as recorded, if it was asked."""
        from . import markdown as markdown_module
        from . import pagerender
        from .deps import Sources, text_source
        from .index import SiteIndex
        from .mdcache import MarkdownCache, renderer_version
        from .plan import PLANS, PlanMemo, Unplanned, markdown_texts, media_outputs, plan_outputs
        from .templatedirs import template_dirs
        from .templating import TemplateFiles, environment

        content, out, base_url, jobs = self.content, self.out, self.base_url, self.jobs
        inputs, setup = signatures
        with report.phase("load"):
            taken = self._site is None and not clean and self._take_stored(state, setup)
            last_site = self._site
            stats, site = self._read(scanned)
            # An archive new to the session, loaded or decoded whole, is settled (see `build`).
            self._settle = self.long_lived and (self._full or taken)
            loaded = site
            if base_url is not None:
                config = dataclasses.replace(site.config, base_url=base_url)
                site = dataclasses.replace(site, config=config)
            report.base_url = site.config.base_url
            dirs = template_dirs(content)
            index = None
            if not self._full and last_site is not None and self._index is not None:
                # Only texts were read again: the last lookups take the new records.
                index = self._index.with_texts(site, last_site, self._reread_records(site))
            if index is None:
                index = SiteIndex.build(site, self._memo)
            self._memo, self._index = index.memo, index
        with report.phase("plan"):
            # A directory other than the one this archive last built (another archive's
            # build swapped in its own) holds files this state knows nothing of.
            same_out = out.is_dir() and state.out_id() == dir_id(out)
            known = self._previous(state) if same_out and not clean else None
            report.cold = known is None
            slots = _changed_texts(site, known, stats, setup)
            md_version = renderer_version(markdown_module)
            salt = digest(ENGINE_VERSION, md_version, site.config, site.stages)
            planned_from = _planned_from(stats, salt)
            plans = self._plans = self._plans or PlanMemo()
            last_plan = self._plan
            if (
                slots is not None
                and last_plan is not None
                and known is not None
                and known is self._entries
                and last_plan.inputs == known.inputs
                and last_plan.planned_from == planned_from
            ):
                # Only texts changed since this session's last build: its plan stands.
                outputs, fingerprints = last_plan.outputs, last_plan.fingerprints
            else:
                last_plan = None
                if slots is not None and not self.long_lived:
                    # Only texts changed: every other event plans as the last build did.
                    touched = {key[0] if kind == "project" else key for _, (kind, key, _) in slots}
                    plans.keep(state.kept(PLANS), site, planned_from, touched)
                else:
                    plans.keep(None, site, planned_from, set())
                outputs = plan_outputs(site, index, dirs, plans) + media_outputs(content, stats)
                fingerprints = _fingerprints(outputs, salt)
            files = TemplateFiles(dirs)
            last_sources = self._last_sources
            current = Sources(site, index, files, salt, last_sources)
            current.lasting = self.long_lived
            self._last_sources = current
            report.planned = len(outputs)
        with report.phase("check"):
            previous = known.entries if known else {}
            recorded = known.sources if known else {}
            recorded_derived = known.derived if known else {}
            made_from = known.made_from if known else {}
            # Outputs this session wrote itself need no stat to be trusted (see _dirty),
            # unless nothing but the outputs can have changed since its last build; nor do
            # outputs all found as recorded while the archive was read.
            own = self._entries is not None and known is self._entries
            current.follows = (
                own and last_sources is not None and last_sources.generation == self._recorded_by
            )
            verify = not own or state.inputs() == inputs
            if outputs_unchanged is not None:
                if known is None:
                    outputs_unchanged.cancel()  # a cold build: no answer needed
                elif verify:
                    verify = not outputs_unchanged.get()
            texts = None if slots is None else [text_source(slot) for _, slot in slots]
            if known is not None and slots is not None:
                self._since = (known.inputs, [rel for rel, _ in slots])
            changed = _stale(current, recorded, texts)
            every = None
            if known is not None and known.partial:
                whole = verify or slots is None
                previous, every = self._entries_needed(state, outputs, changed, whole=whole)
            if known is not None:
                # Every other recorded source holds what it held: renders and the memos
                # of parts take it as recorded, and the memos stored parts are reused.
                derived_keys = {k for entries in recorded_derived.values() for k in entries}
                current.trust(recorded, changed, derived_keys)
                current.kept_hold = slots is not None
                current.stored = lru_cache(maxsize=None)(state.kept)
                if not self.long_lived:
                    # A server's session makes its derived tables in memory once and
                    # patches them there; a single build patches what was published.
                    current.published = _Published(out, previous)
            changed |= _stale_derived(current, recorded, recorded_derived, made_from, changed)
            readers = None
            if self.long_lived and known is not None:
                if self._readers is None or not own:
                    self._readers = Readers((path, e.deps) for path, e in previous.items())
                readers = self._readers
            order = last_plan.order() if last_plan is not None and not verify else None
            compare = partial(
                _dirty,
                previous=previous,
                changed=changed,
                out=out,
                verify=verify,
                readers=readers,
                every=every,
            )
            dirty, disk_ok = compare(outputs, fingerprints, order=order)
            if unplanned := {o.render.event for o in dirty if isinstance(o.render, Unplanned)}:
                # An event of a kept plan has an output to render: plan it for real.
                plans.touched |= unplanned
                last_plan = None
                kept_before = {o.path for o in outputs if isinstance(o.render, Unplanned)}
                outputs = plan_outputs(site, index, dirs, plans) + media_outputs(content, stats)
                fingerprints = _fingerprints(outputs, salt)
                if every is not None:
                    planned = kept_before - {
                        o.path for o in outputs if isinstance(o.render, Unplanned)
                    }
                    previous.update(state.entries_at(planned - previous.keys()) or {})
                dirty, disk_ok = compare(outputs, fingerprints)
            current.to_store.extend(plans.to_store(planned_from))
            if warm:
                # A session's first save then only patches the derived tables (the search
                # index) instead of making them from every project.
                current.prepare(fingerprints)
        self._collector.settle()
        cache = MarkdownCache(
            archive.state_dir(content) / MARKDOWN_CACHE,
            md_version,
            markdown_module.render_markdown,
        )
        try:
            if report.cold or len(dirty) >= PRECOLLECT_MIN:
                with report.phase("markdown"):
                    texts = markdown_texts(site)
                    cache.prepare(texts, jobs)
                    cache.save()
                    if report.cold:
                        cache.prune(texts)
            env = environment(dirs, files.digest())
            watched_site, watched_index = current.watched
            ctx = RenderContext(watched_site, watched_index, cache, env, current)
            batch = pagerender.Batch(dirty, ctx, cache, None, previous, disk_ok)
            # A cold build's record replaces the whole state: it keeps the whole archive.
            kept_loaded = self._loaded_changes(state, loaded, last_site, whole=known is None)
            if known is None:
                entries = _cold(out, batch, fingerprints, forkpool.workers(jobs), state, report)
                values = _values(current, entries.values(), changed)
                state.record(
                    entries.items(),
                    (),
                    values.items(),
                    replace_all=True,
                    inputs=inputs,
                    out_id=dir_id(out),
                    out_path=_path_text(out),
                    derived=current.made_from.items(),
                    setup=setup,
                    files=stats.items(),
                    kept=current.to_store,
                    base_url=site.config.base_url,
                    loaded=kept_loaded,
                )
                recorded, made_from = values, {}
                recorded_derived = _derived_entries(values.items())
                # A new state was born with this folder's first build: those of folders
                # gone are of no more use.
                prune_gone(archive.state_dir(content), state.path)
            else:
                if last_plan is not None:
                    gone: list[str] = []  # the plan the entries were recorded from stands
                else:
                    recorded_paths = previous.keys() if every is None else every
                    gone = sorted(recorded_paths - fingerprints.keys())
                fresh = _incremental(out, batch, fingerprints, forkpool.workers(jobs), report, gone)
                values = _values(current, fresh.values(), changed)
                state.record(
                    fresh.items(),
                    report.deleted,
                    # Only what changed: the index's inputs are valued on every pitch edit.
                    ((k, v) for k, v in values.items() if recorded.get(k) != v),
                    replace_all=False,
                    inputs=inputs,
                    out_id=dir_id(out),
                    out_path=_path_text(out),
                    derived=current.made_from.items(),
                    setup=setup,
                    files=(
                        (r, stats[r]) for r in contentfs.changed(stats, known.files) if r in stats
                    ),
                    files_gone=[r for r in contentfs.changed(stats, known.files) if r not in stats],
                    kept=current.to_store,
                    base_url=site.config.base_url,
                    loaded=kept_loaded,
                )
                entries = {**previous, **fresh}
                for path in report.deleted:
                    entries.pop(path, None)
                if readers is not None:
                    for path in [*fresh, *report.deleted]:
                        if path in previous:
                            readers.remove(path, previous[path].deps)
                    for path, entry in fresh.items():
                        readers.add(path, entry.deps)
                recorded = {**recorded, **values}
                recorded_derived = _derived_entries(values.items(), recorded_derived)
            made_from = {**made_from, **current.made_from}
            self._stored = (inputs, loaded) if kept_loaded is not None else None
            plans.saved()
            self._entries = Recorded(
                inputs, entries, recorded, made_from, stats, setup, recorded_derived
            )
            self._recorded_by = current.generation
            if every is not None:
                self._entries = None  # only some entries are known: the next build reads them
            if self.long_lived:
                self._plan = last_plan or _Plan(inputs, planned_from, outputs, fingerprints)
                self._plan.inputs = inputs
            if known is None and self.long_lived:
                # Indexed now, while the session starts, rather than at its first save.
                readers = Readers((path, e.deps) for path, e in entries.items())
            self._readers = readers
            cache.save()
            report.markdown_rendered, report.markdown_cached = cache.rendered, cache.hits
        finally:
            cache.close()

    def _take_stored(self, state: BuildState, setup: str) -> bool:
        """Start a new session from the archive the last build kept as it loaded it, when
        that build ran this code (`setup`): the load then reads only the files changed
        since, as a long-lived session's does. Nothing is taken when none is kept, or
        what is kept is damaged (the archive is then loaded from its files). True when
        taken."""
        from ..archive import stored

        if state.setup() != setup:
            return False
        found = state.loaded()
        if found is None:
            return False
        try:
            site = stored.decode(*found)
        except ValueError:
            return False
        self._site, self._sources = site, state.files()
        self._load_cache().site = site  # a full load takes its unchanged texts
        self._stored = (state.inputs() or "", site)
        return True

    def _loaded_changes(
        self, state: BuildState, site: Site, last_site: Site | None, *, whole: bool
    ) -> stored.Changes | None:
        """What the record of this build writes of the archive as it loaded it (`site`,
        before `--base-url`): what changed since the one the state keeps, when this
        session knows it (`_stored`) and the record is not `whole`, else all of it; None
        when it cannot be kept (the state then keeps none)."""
        from ..archive import stored

        kept = self._stored
        base = None
        if not whole and kept is not None and kept[0] == state.inputs():
            base = kept[1]
        # Only texts were read again since the kept archive: its tables stand, and only
        # the records whose texts were read can differ.
        tables_same = base is not None and not self._full and last_site is base
        records = self._reread_records(site) if tables_same else None
        return stored.changes(base, site, tables_same=tables_same, records=records)

    def _reread_records(self, site: Site) -> list[tuple[str, Any]] | None:
        """The records whose texts the last load read again, ("event", slug) or
        ("project", key), when it read only texts (`_gather`)."""
        if self._full:
            return None
        slots = archive.text_slots(site, self._reread)
        return None if slots is None else [(kind, key) for _, (kind, key, _) in slots]

    def _previous(self, state: BuildState) -> Recorded | None:
        """What the last build recorded: this session's copy while still current, else
        the database's."""
        if self._entries is not None and state.inputs() == self._entries.inputs:
            return self._entries
        self._entries = None
        entries = state.entries() if self.long_lived else {}
        if entries is None or not state.valid():
            return None
        from .deps import DERIVED, SEP

        return Recorded(
            state.inputs() or "",
            entries,
            state.sources(),
            state.derived(),
            state.files(),
            state.setup() or "",
            {table: state.sources_under(f"{table}{SEP}") for table in DERIVED},
            partial=not self.long_lived,
        )

    def _entries_needed(
        self, state: BuildState, outputs: list[Output], changed: set[str], *, whole: bool
    ) -> tuple[dict[str, Entry], set[str] | None]:
        """The recorded entries a build that runs once compares, and the paths of all
        recorded (None when all are read): every entry when it must stat every output or
        a table changed (`whole`); else those of the outputs planned anew (the site's own
        and those of the events whose texts changed) and of those that read a `changed`
        source. An output of a plan kept from the state is recorded with the very
        fingerprint the plan gives it: the plan was stored with the record of the build
        that made it, and is taken only while made from the same tables (`PlanMemo`)."""
        from .plan import Unplanned

        if whole:
            return state.entries() or {}, None
        wanted = {o.path for o in outputs if not isinstance(o.render, Unplanned)}
        wanted |= state.readers(changed)
        return state.entries_at(wanted) or {}, state.paths()


class _Published:
    """The outputs the last build wrote into `out`, as the state recorded them: a file is
    read back only while its stat and bytes are still the ones recorded."""

    def __init__(self, out: Path, entries: dict[str, Entry]) -> None:
        self._out, self._entries = out, entries

    def read(self, path: str) -> bytes | None:
        entry = self._entries.get(path)
        if entry is None:
            return None
        try:
            with open(os.path.join(self._out, path), "rb") as f:
                if not entry.matches(os.fstat(f.fileno())):
                    return None
                data = f.read()
        except OSError:
            return None
        return data if content_hash(data) == entry.hash else None

    def digest(self, path: str) -> str | None:
        entry = self._entries.get(path)
        return None if entry is None else entry.hash


def _keep_people(old: Site, new: Site) -> Site:
    """The load cache shares every unchanged record with the previous archive already; the
    people mapping, which plans compare as a whole, is carried over too when equal, so a
    table edit re-plans only the events whose records changed."""
    if old.people == new.people:
        return dataclasses.replace(new, people=old.people)
    return new


def out_lock(out: Path) -> Path:
    """The lock of an output directory, beside it: builds of different archives into one
    directory wait for each other."""
    target = out.resolve()
    return target.parent / f".{target.name}.lock"


_FS_IOC_GETVERSION = 0x80087601
"""ioctl: an inode's generation, drawn anew each time the file system reuses the inode."""


def dir_id(out: Path) -> str:
    """Which directory `out` is: every cold build swaps in a new one. Its device and inode,
    and the inode's generation where the file system keeps one (ext4, XFS, Btrfs): a
    folder deleted by one build can give its inode to the next one made, and a state must
    not take a tree another archive's build swapped in for its own."""
    fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        generation = array.array("l", [0])
        try:
            fcntl.ioctl(fd, _FS_IOC_GETVERSION, generation, True)
        except OSError:
            generation[0] = 0  # tmpfs and others keep none: the inode alone
    finally:
        os.close(fd)
    return f"{st.st_dev}:{st.st_ino}:{generation[0]}"


def _os_error(exc: OSError, out: Path) -> str:
    """'cannot write public/x.html: No space left on device', one line, for the CLI."""
    where = exc.filename or out
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS):
        return f"cannot write {where}: {exc.strerror}"
    return f"{where}: {exc.strerror or exc}"


def _check_out(content: Path, out: Path) -> None:
    """Refuse output directories whose replacement would destroy something else."""
    target, source = out.resolve(), content.resolve()
    if target == source or target in source.parents:
        raise JamdatError(f"--out {out} would replace the content directory {content}")
    if (out / ".git").exists():
        raise JamdatError(f"--out {out} is a git working tree; choose a directory for the site")


def setup_signature(content: Path, base_url: str | None, stamp: int) -> str:
    """What a build reads besides the archive, by file stats: templates (those that may
    change unseen marked, see `contentfs.stamp`), the engine's code and libraries, and
    the base URL override."""
    from .templatedirs import template_dirs, template_stats

    templates = [template_stats(d, stamp) for d in template_dirs(content)]
    code = tree_signature([Path(__file__).resolve().parents[1]])
    return digest(templates, code, _libraries(), base_url, ENGINE_VERSION)


def input_signature(setup: str, scanned: str) -> str:
    """Everything a build reads: the archive's files by their stats (`scanned`, their
    `stats_digest`), and the rest (`setup_signature`). Never the clock: no output
    depends on it."""
    return digest(scanned, setup)


def _libraries() -> list[tuple[str, int, int]]:
    """Stats of the rendering libraries' entry files: reinstalling one replaces them."""
    found: list[tuple[str, int, int]] = []
    for name in (
        "jinja2",
        "markupsafe",
        "markdown_it_pyrs",
        "selectolax",
        "nh3",
        "minify_html",
        "babel",
    ):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            st = os.stat(spec.origin)
            found.append((spec.origin, st.st_mtime_ns, st.st_ino))
    return found


def _path_text(path: Path) -> str:
    """`path`, absolute, as text for the state; bytes that are not UTF-8 are escaped (such
    a path never matches its state's name, so that state is never taken for gone)."""
    return os.fsencode(path.resolve()).decode("utf-8", "backslashreplace")


class _Collector:
    """Python's garbage collection in a build. In a process that builds once (`jamdat
    build`), paused while the archive is loaded and planned: those objects live as long as
    the build, and as they grew the collector walked the whole heap again and again (1 s
    of a one-pitch build at 30,000 projects). Then they are frozen out of every later
    collection (`settle`), so that collections walk only what rendering makes, and
    forked workers do not copy the pages the collector would touch; they are returned to
    it when the build ends. In a session, paused for the whole build: a save's objects are
    freed as they go (little of what a build makes is cyclic), and the collector, which
    ran a dozen times per save (5 ms of 100), runs once when it is enabled again."""

    def __init__(self) -> None:
        self._paused = False
        self._frozen = False
        self._freeze = True

    @contextmanager
    def paused(self, pause: bool, *, freeze: bool = True) -> Iterator[None]:
        # Frozen only when the process froze nothing of its own (a session, an embedding
        # program): unfreezing ours would unfreeze theirs.
        if pause and gc.isenabled() and (not freeze or gc.get_freeze_count() == 0):
            self._paused = True
            self._freeze = freeze
            gc.disable()
        try:
            yield
        finally:
            if self._frozen:
                gc.unfreeze()
                self._frozen = False
            if self._paused:
                gc.enable()
                self._paused = False

    def settle(self) -> None:
        """From now on, collect what the build makes, never what it holds already (in a
        process that builds once)."""
        if self._paused and self._freeze:
            self._frozen = True
            gc.freeze()
            gc.enable()
            self._paused = False


def _outputs_unchanged(
    out: Path, state: BuildState, report: BuildReport, *, fork: bool, jobs: int | None
) -> forkpool.Answer | None:
    """Whether every output is as the last build left it, asked before the archive is
    scanned: with `fork`, children stat the outputs meanwhile (one per core, each a run of
    them in path order), so that a no-op build does its scans on every core, and a build
    after an edit loads the archive while they are checked (the check `_dirty` would
    make). None when the state is not of this output directory."""
    if not out.is_dir() or state.out_id() != dir_id(out):
        return None
    parts = count = 1
    if fork:
        report.planned = count = state.count()
        fork = count >= FORKED_CHECK_MIN
        parts = max(1, min(forkpool.workers(jobs), count // max(1, FORKED_CHECK_MIN)))
    recorded = state.path

    def unchanged(part: int) -> bool:
        stat = os.stat
        fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            for path, size, mtime_ns, inode in recorded_stats(recorded, part, parts, count):
                st = stat(path, dir_fd=fd)
                if st.st_ino != inode or st.st_size != size or st.st_mtime_ns != mtime_ns:
                    return False
        except OSError:  # gone, or a folder where a page was: not as recorded
            return False
        finally:
            os.close(fd)
        return True

    return forkpool.Answer(*(partial(unchanged, part) for part in range(parts)), fork=fork)


def _up_to_date(
    state: BuildState, inputs: str, outputs: forkpool.Answer | None, report: BuildReport
) -> bool:
    """True when no input changed since the last build and every output is as it left it
    (`outputs`): the no-op rebuild, answered without loading the archive."""
    if outputs is None or state.inputs() != inputs or not outputs.get():
        return False
    report.planned = report.planned or state.count()
    return True


def _planned_from(stats: dict[str, FileStat], salt: str) -> str:
    """What every event's plan is made from: the settings and the engine (`salt`) and the
    tables and settings files, by their stats. A plan the state kept is taken only when
    made from the same (`PlanMemo.keep`), whichever process or session stored it."""
    from ..archive.loading import PARSED

    return digest(salt, [(rel, stats.get(rel)) for rel in PARSED])


def _fingerprints(outputs: list[Output], salt: str) -> dict[str, str]:
    """Fingerprints by path: what the plan hands each render, the settings and the engine.
    Two outputs claiming one path is a plan error."""
    fingerprints: dict[str, str] = {}
    for output in outputs:
        if output.path in fingerprints:
            raise JamdatError(f"two pages would be written to {output.path}")
        fingerprints[output.path] = f"{output.params}.{salt}"
    return fingerprints


def _changed_texts(
    site: Site, known: Recorded | None, files: dict[str, FileStat], setup: str
) -> list[tuple[str, TextSlot]] | None:
    """The archive's files changed since the last build, with the text each fills, when
    only long texts changed (None: a table, a setting, media, a template or the engine
    did, or the last build's files are not known). A text is a source of its own
    (`deps.TEXTS`): no other source's value depends on it."""
    if known is None or not known.files or known.setup != setup:
        return None
    return archive.text_slots(site, contentfs.changed(files, known.files))


def _stale(sources: Sources, recorded: dict[str, str], texts: list[str] | None) -> set[str]:
    """The recorded sources whose value changed, derived tables' entries aside (see
    `_stale_derived`): only among `texts` when those are the only sources that can have
    (`_changed_texts`), else among all."""
    from .deps import DERIVED, SEP

    if texts is not None:
        # A text whose value is not recorded counts as changed: what read it is made again.
        return {k for k in texts if recorded.get(k) != sources.value(k)}
    return {
        k
        for k, v in recorded.items()
        if k.partition(SEP)[0] not in DERIVED and sources.value(k) != v
    }


def _stale_derived(
    sources: Sources,
    recorded: dict[str, str],
    derived: dict[str, dict[str, str]],
    made_from: dict[str, frozenset[str]],
    changed: set[str],
) -> set[str]:
    """The recorded entries of derived tables (`derived`, by table) whose value changed.
    A derived table is the costliest source to value (made from every project), so its
    entries are compared only when one of the sources it was made from `changed`, or
    those are not known (not all `recorded`)."""
    stale: set[str] = set()
    for table, entries in derived.items():
        inputs = made_from.get(table)
        if not entries or (
            inputs is not None and inputs.isdisjoint(changed) and inputs <= recorded.keys()
        ):
            continue
        stale.update(k for k, v in entries.items() if sources.value(k) != v)
    return stale


def _derived_entries(
    values: Iterable[tuple[str, str]], base: dict[str, dict[str, str]] | None = None
) -> dict[str, dict[str, str]]:
    """`base` (`Recorded.derived`, not changed) updated with those of `values` that are
    derived tables' entries; from nothing without `base`."""
    from .deps import DERIVED, SEP

    found = {table: dict(entries) for table, entries in (base or {}).items()}
    for key, value in values:
        table = key.partition(SEP)[0]
        if table in DERIVED:
            found.setdefault(table, {})[key] = value
    return found


def _values(sources: Sources, entries: Iterable[Entry], changed: set[str]) -> dict[str, str]:
    """The current value of every source read by the outputs just rendered, of the sources
    that changed and of those each derived table made in this build read: what the state
    records for the next build to compare with. A table's inputs known to hold what they
    held when recorded (`Sources.trusted`) are left out: their record stands."""
    keys = set(changed)
    for inputs in sources.made_from.values():
        keys |= sources.untrusted(inputs)
    for deps in {id(entry.deps): entry.deps for entry in entries}.values():
        keys.update(each_key(deps))
    return {k: sources.value(k) for k in keys}


def _dirty(
    outputs: list[Output],
    fingerprints: dict[str, str],
    previous: dict[str, Entry],
    changed: set[str],
    out: Path,
    *,
    verify: bool = True,
    readers: Readers | None = None,
    order: dict[str, int] | None = None,
    every: set[str] | None = None,
) -> tuple[list[Output], set[str]]:
    """Outputs to render (new, fingerprint changed, or a source they read `changed`), and
    the paths whose file is still exactly what the state says. With `verify`, every
    output's file is checked on disk, so one touched or removed by hand is made again; a
    session that wrote the files itself (`jamdat serve`, the API) checks only those it is
    about to render, which saves a stat per page on each save. `readers` of `previous`,
    when given, name the outputs that read a changed source. `order`, given when
    `outputs` are the very plan `previous` was recorded from (`_Plan`), places each: only
    the readers are then looked at. `every`, given when `previous` holds only the entries
    a build needs (`BuildSession._entries_needed`), names all recorded: an output of a
    kept plan recorded but not read is as recorded."""
    from .plan import Unplanned

    dirty: list[Output] = []
    disk_ok: set[str] = set()
    base = os.path.join(out, "")
    if readers is not None and order is not None and not verify:
        for path in sorted(readers.of(changed) & order.keys(), key=order.__getitem__):
            try:
                if previous[path].matches(os.stat(base + path)):
                    disk_ok.add(path)
            except FileNotFoundError:
                pass
            dirty.append(outputs[order[path]])
        return dirty, disk_ok
    if readers is not None:
        touched = readers.of(changed)

        def unread(path: str, entry: Entry) -> bool:
            return path not in touched

    else:
        looked_for = Changed.of(changed)

        def unread(path: str, entry: Entry) -> bool:
            return disjoint(entry.deps, looked_for)

    for output in outputs:
        entry = previous.get(output.path)
        if entry is None:
            if every is not None and output.path in every and isinstance(output.render, Unplanned):
                continue
            dirty.append(output)
            continue
        same = entry.fingerprint == fingerprints[output.path] and unread(output.path, entry)
        if same and not verify:
            continue
        try:
            ok = entry.matches(os.stat(base + output.path))
        except FileNotFoundError:
            ok = False
        if ok:
            disk_ok.add(output.path)
        if not ok or not same:
            dirty.append(output)
    return dirty, disk_ok


def _cold(
    out: Path,
    batch: Batch,
    fingerprints: dict[str, str],
    jobs: int,
    state: BuildState,
    report: BuildReport,
) -> dict[str, Entry]:
    """Render everything into a staging tree and swap it in; discard it on failure. The
    state stops vouching for the tree in `out` first: a build killed after the swap and
    before it records leaves a state that takes no tree for its own."""
    from . import pagerender

    stage = publish.staging_path(out)
    with onterm.undo_on_term(lambda: publish.discard(stage)):
        batch.stage = publish.staging_dir(out)
        try:
            with report.phase("render"):
                results = pagerender.render_batch(batch, jobs)
            report.rendered = [r[0] for r in results]
            report.written = list(report.rendered)
            with report.phase("publish"):
                state.forget_out()
                publish.swap_in(stage, out)
        except BaseException:
            publish.discard(stage)
            raise
    return {
        path: Entry(fingerprints[path], hashed, size, mtime, inode, read)
        for path, hashed, size, mtime, inode, _, read in results
    }


def _incremental(
    out: Path,
    batch: Batch,
    fingerprints: dict[str, str],
    jobs: int,
    report: BuildReport,
    removed: list[str],
) -> dict[str, Entry]:
    """Render the changed outputs in memory, then write only files whose bytes changed
    and remove the recorded outputs no longer planned (`removed`); returns the new state
    entries of the files rendered."""
    from . import pagerender

    changed: list[tuple[str, bytes]] = []
    entries: dict[str, Entry] = {}
    with report.phase("render"):
        for path, hashed, size, _, _, data, read in pagerender.render_batch(batch, jobs):
            report.rendered.append(path)
            if data is None:
                old = batch.previous[path]
                entries[path] = old._replace(fingerprint=fingerprints[path], deps=read)
            else:
                changed.append((path, data))
                entries[path] = Entry(fingerprints[path], hashed, size, 0, 0, read)
    with report.phase("publish"):
        written = publish.apply_changes(out, changed, removed)
        for path, st in written.items():
            entries[path] = entries[path]._replace(mtime_ns=st.st_mtime_ns, inode=st.st_ino)
    report.written = [path for path, _ in changed]
    report.deleted = removed
    return entries
