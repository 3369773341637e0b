"""Benchmark the build against the issue's targets; Hugo alongside, with and without decks.

Run from the repository root:  python bench/bench.py --events 100 --projects 100
(`--compare` then runs three times as many events too and prints how each row scales).
Every build runs as a child process; each row shows its wall time, its CPU time (user+sys
from wait4, which counts the worker processes the child waited for), the peak of the summed
PSS of the child and all its descendants (sampled every 20 ms, so a peak shorter than that
can be missed) and the ru_maxrss of the largest single process. Each round runs every
Jamdat row and both Hugo builds in turn, and the fastest of the rounds is shown (as timeit
does: on a shared machine noise only ever adds time), so a slow minute weighs on no side.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from corpus import generate  # noqa: E402

from site_builder import archive  # noqa: E402
from site_builder.archive import txn  # noqa: E402

SAMPLE_EVERY = 0.02
MARKDOWN_CACHE = "markdown.sqlite"


@dataclass(frozen=True, slots=True)
class Run:
    """One measured child process (or, for the warm session, one rebuild inside it)."""

    name: str
    seconds: float
    cpu: float
    pss_mb: float
    maxrss_mb: float
    output: str


def settle() -> None:
    """Let the disk finish the work earlier steps left it (deleting a 20,000-file tree
    goes on in the background, on a volume mounted with `discard` for seconds), so that
    no run is timed while paying for another's."""
    os.sync()
    time.sleep(1.0)


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it, from /proc/<pid>/task/<tid>/children."""
    found, i = [pid], 0
    while i < len(found):
        task = f"/proc/{found[i]}/task"
        i += 1
        try:
            tids = os.listdir(task)
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"{task}/{tid}/children") as f:
                    found += [int(c) for c in f.read().split()]
            except OSError:
                continue
    return found


def pss_kb(pid: int) -> int:
    """Proportional set size of one process: shared pages (a forked worker's copy-on-write
    memory) count once across the tree, not once per process as RSS does."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeMemory(threading.Thread):
    """Samples the summed PSS of a process tree until stopped; keeps the peak (kB)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak = pid, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, sum(pss_kb(p) for p in descendants(self.pid)))
            self.done.wait(SAMPLE_EVERY)


CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""Builds reuse the engine's compiled modules, as an installed package does: a shell that
sets PYTHONDONTWRITEBYTECODE would otherwise charge every fresh build ~0.1 s of compiling."""


def run(name: str, argv: list[str], cwd: Path = ROOT) -> Run:
    """Run a command: wall and CPU time, tree PSS peak and largest ru_maxrss."""
    settle()
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, env=CHILD_ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    memory = TreeMemory(proc.pid)
    memory.start()
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    memory.done.set()
    memory.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed ({proc.returncode}):\n{output}")
    cpu = usage.ru_utime + usage.ru_stime
    return Run(name, seconds, cpu, memory.peak / 1024, usage.ru_maxrss / 1024, output.strip())


COLD = "cold build, empty caches"
CACHED = "cold build, Markdown cached"
NOOP = "no-op rebuild"
EDIT = "one pitch edited, fresh process"
WARM = "one pitch edited, warm session"
RENAME = "one event renamed"
HUGO_PAGES = "hugo: the same pages, no decks"
HUGO_WITH_DECKS = "hugo: the same pages with decks"


def fastest(runs: list[Run]) -> Run:
    return min(runs, key=lambda r: r.seconds)


def build(name: str, content: Path, out: Path, jobs: int | None) -> Run:
    argv = [sys.executable, "-m", "site_builder.cli", "build", "--content", str(content)]
    argv += ["--out", str(out)]
    if jobs is not None:
        argv += ["--jobs", str(jobs)]
    return run(name, argv)


def clear_caches(content: Path, keep_markdown: bool) -> None:
    """Remove the build state and caches of `content/.jamdat/` (the Markdown cache too
    unless `keep_markdown`), keeping the archive's own transaction records."""
    state = archive.state_dir(content)
    if not state.is_dir():
        return
    for entry in state.iterdir():
        if entry.name in (txn.TOKEN, txn.STAGING, txn.LOCK, txn.JOURNAL):
            continue
        if keep_markdown and entry.name.startswith(MARKDOWN_CACHE):
            continue
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def edit_pitch(content: Path, n: int) -> None:
    site = archive.load(content)
    projects = sorted(site.projects.values(), key=lambda p: p.key)
    project = projects[(len(projects) // 2 + n) % len(projects)]
    project.pitch += "\n\nEdited: one more paragraph with a [link](https://example.org/)."
    archive.save(content, site, read=archive.snapshot(content))


def rename_event(content: Path) -> None:
    site = archive.load(content)
    event = sorted(site.events.values(), key=lambda e: e.slug)[len(site.events) // 2]
    event.name += " (renamed)"
    archive.save(content, site, read=archive.snapshot(content))


def warm_edits(content: Path, out: Path, edits: int) -> None:
    """Child process: a build session as `jamdat serve` and the edit API keep it; a pitch is
    saved `edits` + 1 times (as an editor would), and the fastest of the rebuilds after the
    first is printed with its CPU time, then its summary."""
    from site_builder.render.build import BuildSession

    session = BuildSession(content, out, long_lived=True)
    session.build()
    pitches = sorted((content / "projects").glob("*/*.md"))
    pitch = pitches[len(pitches) // 3]
    best: tuple[float, float, str] | None = None
    for n in range(edits + 1):
        with pitch.open("a", encoding="utf-8") as f:
            f.write(f"\nSaved again ({n}).\n")
        start, cpu = time.perf_counter(), _cpu()
        report = session.build()
        took = (time.perf_counter() - start, _cpu() - cpu, report.summary())
        if n and (best is None or took[0] < best[0]):
            best = took
    assert best is not None
    print(f"warm rebuild: {best[0]:.4f} {best[1]:.4f}")
    print(best[2])


def _cpu() -> float:
    """User+sys time of this process and the children it waited for."""
    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def warm_run(content: Path, out: Path, edits: int) -> Run:
    """The warm-session row: one rebuild's wall and CPU time, the whole session's memory."""
    argv = [sys.executable, __file__, "--warm-child", str(content), str(out), str(edits)]
    child = run(WARM, argv)
    line = next(x for x in child.output.splitlines() if x.startswith("warm rebuild: "))
    seconds, cpu = (float(x) for x in line.split()[2:4])
    return replace(child, seconds=seconds, cpu=cpu)


HUGO_SINGLE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{{ .Title }} | {{ .Site.Title }}</title></head><body>
<nav><a href="{{ .Site.BaseURL }}">Home</a> /
<a href="{{ .Parent.RelPermalink }}">{{ .Parent.Title }}</a></nav>
<main><h1>{{ .Title }}</h1><p>{{ .Params.summary }}</p>{{ .Content }}</main></body></html>
"""
HUGO_LIST = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{{ .Title }} | {{ .Site.Title }}</title></head><body><main><h1>{{ .Title }}</h1>
{{ .Content }}<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>
{{ .Params.summary }}</li>{{ end }}</ul></main></body></html>
"""


HUGO_SINGLE_DECK = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{{ .Title }} slides</title></head><body><main class="deck">
<section><h1>{{ .Title }}</h1><p>{{ .Params.summary }}</p></section>
<section>{{ .Content }}</section></main></body></html>
"""
HUGO_LIST_DECK = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{{ .Title }} pitches</title></head><body><main class="deck">
{{ range .Pages }}<section><h2>{{ .Title }}</h2><p>{{ .Params.summary }}</p></section>
<section>{{ .Content }}</section>{{ end }}</main></body></html>
"""
HUGO_DECKS = """
[outputFormats.slides]
mediaType = "text/html"
baseName = "index"
path = "slides"
isHTML = true
permalinkable = false
[outputs]
home = ["html"]
page = ["html", "slides"]
section = ["html", "slides"]
"""


def hugo_site(content: Path, root: Path, decks: bool) -> None:
    """The same pages as Hugo content: a section per event, a page per project pitch, and
    with `decks` a slide deck of each project and of each event (as Jamdat publishes)."""
    site = archive.load(content)
    discard(root)
    (root / "layouts" / "_default").mkdir(parents=True)
    (root / "layouts" / "_default" / "single.html").write_text(HUGO_SINGLE)
    (root / "layouts" / "_default" / "list.html").write_text(HUGO_LIST)
    (root / "layouts" / "index.html").write_text(HUGO_LIST)
    (root / "config.toml").write_text(
        'baseURL = "/"\ntitle = "Benchmark archive"\n'
        'disableKinds = ["taxonomy", "term", "RSS", "sitemap"]\n'
        "[markup.goldmark.renderer]\nunsafe = true\n" + (HUGO_DECKS if decks else "")
    )
    if decks:
        (root / "layouts" / "_default" / "single.slides.html").write_text(HUGO_SINGLE_DECK)
        (root / "layouts" / "_default" / "list.slides.html").write_text(HUGO_LIST_DECK)
    for event in site.events.values():
        folder = root / "content" / event.slug
        folder.mkdir(parents=True)
        (folder / "_index.md").write_text(
            f"---\ntitle: {event.name!r}\n---\n{event.description}\n", encoding="utf-8"
        )
    for p in site.projects.values():
        (root / "content" / p.event / f"{p.slug}.md").write_text(
            f"---\ntitle: {p.name!r}\nsummary: {p.summary!r}\n---\n{p.pitch}\n", encoding="utf-8"
        )


def summary(output: str) -> str:
    """The build's summary line ('public: cold build of 22579 files: ...'); warnings
    may follow it."""
    return next((x for x in reversed(output.splitlines()) if " build of " in x), "")


def internal(output: str) -> str:
    """The build's own time from its summary line (the rest is interpreter start-up)."""
    line = summary(output)
    if "s (" not in line:
        return ""
    return line.rsplit("s (", 1)[0].rsplit(" ", 1)[-1]


def counts(output: str) -> str:
    """'12 rendered, 3 written' from the build's summary line."""
    line = summary(output)
    if "files:" not in line:
        return ""
    parts = line.split("files:", 1)[1].split(";")[0].split(",")
    return ", ".join(p.strip() for p in parts[:2])


def machine(when: str) -> str:
    one, five, fifteen = os.getloadavg()
    cores = len(os.sched_getaffinity(0))
    return f"{when}: load {one:.2f} {five:.2f} {fifteen:.2f} on {cores} cores"


def bench(events: int, projects: int, args: argparse.Namespace) -> dict[str, Run]:
    """Generate an archive of this size, run every row, print the table; the rows by name."""
    work = args.dir / f"{events}x{projects}"
    content, out = work / "content", work / "public"
    discard(work)
    start = time.perf_counter()
    generate(content, events, projects)
    size = sum(len(p.pitch) for p in archive.load(content).projects.values())
    print(
        f"archive: {events} events x {projects} projects, "
        f"{size / 1e6:.1f} MB of pitches, generated in {time.perf_counter() - start:.1f}s",
        flush=True,
    )
    hugo = None if args.no_hugo else shutil.which("hugo")
    hugo_roots = {HUGO_PAGES: work / "hugo-pages", HUGO_WITH_DECKS: work / "hugo-decks"}
    if hugo:
        for name, root in hugo_roots.items():
            hugo_site(content, root, decks=name == HUGO_WITH_DECKS)

    rounds: dict[str, list[Run]] = {}

    def note(r: Run) -> None:
        rounds.setdefault(r.name, []).append(r)
        print(f"  {r.name:<34} {r.seconds:7.2f}s wall {r.cpu:7.2f}s CPU", flush=True)

    # Every cold build writes a directory of its own, deleted only at the end: deleting a
    # 20,000-file tree just before a build slows it by a third, even after a sync.
    outputs: list[Path] = []
    hugo_out = out
    for i in range(args.rounds):
        print(f"round {i + 1} of {args.rounds}", flush=True)
        clear_caches(content, keep_markdown=False)
        outputs.append(work / f"public-{i}")
        note(build(COLD, content, outputs[-1], args.jobs))
        note(build(NOOP, content, outputs[-1], args.jobs))
        edit_pitch(content, i)
        note(build(EDIT, content, outputs[-1], args.jobs))
        clear_caches(content, keep_markdown=True)
        outputs.append(out if i == args.rounds - 1 else work / f"public-cached-{i}")
        note(build(CACHED, content, outputs[-1], args.jobs))
        if hugo:
            for name, root in hugo_roots.items():
                hugo_out = root / f"public-{i}"
                outputs.append(hugo_out)
                note(run(name, [hugo, "--quiet", "-s", str(root), "-d", str(hugo_out)]))
    # The last cached build's state is the only one left: the warm session starts from it.
    note(warm_run(content, out, args.rounds))
    rename_event(content)
    note(build(RENAME, content, out, args.jobs))
    files = sum(len(f) for _, _, f in os.walk(out))
    hugo_files = sum(len(f) for _, _, f in os.walk(hugo_out)) if hugo else 0
    best = {name: fastest(runs) for name, runs in rounds.items()}

    print(f"\n{events} x {projects}: {files} files in {out}; Hugo with decks {hugo_files} files")
    print(
        f"| {'row (fastest of rounds)':<34} | {'wall s':>7} | {'CPU s':>7} | {'in build':>8} "
        f"| {'PSS MB':>6} | {'maxRSS':>6} | {'work':<30} |"
    )
    print(f"|{'-' * 36}|{'-' * 9}|{'-' * 9}|{'-' * 10}|{'-' * 8}|{'-' * 8}|{'-' * 32}|")
    for r in best.values():
        print(
            f"| {r.name:<34} | {r.seconds:>7.2f} | {r.cpu:>7.2f} | {internal(r.output):>8} "
            f"| {r.pss_mb:>6.0f} | {r.maxrss_mb:>6.0f} | {counts(r.output):<30} |"
        )
    print("\nevery round, wall s:")
    for name, runs in rounds.items():
        print(f"  {name:<34} " + "  ".join(f"{r.seconds:7.2f}" for r in runs))
    if hugo:
        decks, pages = best[HUGO_WITH_DECKS].seconds, best[HUGO_PAGES].seconds
        print(
            f"cold / Hugo with decks: {best[COLD].seconds / decks:.2f}x; "
            f"Markdown cached / Hugo with decks: {best[CACHED].seconds / decks:.2f}x; "
            f"cold / Hugo without decks: {best[COLD].seconds / pages:.2f}x"
        )
    print("last build:", summary(best[RENAME].output))
    for path in outputs:
        if path != out:
            discard(path)
    return best


TRASH = ".trash"
"""Where trees the bench is done with wait, under `--dir`, to be deleted once it ends."""


def discard(path: Path) -> None:
    """Move `path` aside, deleted by `empty_trash` when every row is measured.

    On ext4 without a journal (as on this project's build machines) a file created within
    a minute or more of another's deletion costs a scan past every recently freed inode:
    a cold build right after a 100,000-file tree was deleted spent 20 s more in the kernel,
    so a tree deleted between rows slowed whichever row came next."""
    if path.exists():
        trash = path.parent / TRASH
        trash.mkdir(exist_ok=True)
        path.rename(trash / f"{path.name}-{time.time_ns()}")


def empty_trash(root: Path) -> None:
    for trash in root.glob(f"*/{TRASH}"):
        shutil.rmtree(trash, ignore_errors=True)
    shutil.rmtree(root / TRASH, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="5 events x 20 projects")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--no-hugo", action="store_true")
    parser.add_argument("--dir", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--rounds", type=int, default=3, help="rounds to take the fastest of")
    parser.add_argument(
        "--compare", action="store_true", help="also run 3x the events; print the scaling"
    )
    parser.add_argument("--warm-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.warm_child:
        content, out, edits = args.warm_child
        warm_edits(Path(content), Path(out), int(edits))
        return
    if args.quick:
        args.events, args.projects = 5, 20
    print(machine("start"), flush=True)
    small = bench(args.events, args.projects, args)
    if args.compare:
        print(machine("\nbetween sizes"), flush=True)
        large = bench(args.events * 3, args.projects, args)
        print(f"\n{args.events * 3} x {args.projects} against {args.events} x {args.projects}:")
        for name in (COLD, CACHED, NOOP, EDIT, WARM):
            ratio = large[name].seconds / small[name].seconds
            print(f"  {name:<34} {ratio:5.2f}x")
    print(machine("end"))
    empty_trash(args.dir)


if __name__ == "__main__":
    main()
