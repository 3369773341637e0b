"""Benchmark the build: cold, no-op, one pitch edited, one event renamed; Hugo alongside.

Run from the repository root:  python bench/bench.py --events 100 --projects 100
Every build runs as a `python -m site_builder.cli build` child process; its wall time and
peak memory (ru_maxrss from wait4, the largest of it and its worker processes) are shown.
Cold builds and Hugo's builds alternate for `--rounds` rounds and the fastest of each are
compared (as timeit does: on a shared machine noise only ever adds time), so a slow
minute weighs on neither side.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from corpus import generate  # noqa: E402

from site_builder import archive  # noqa: E402


@dataclass(frozen=True, slots=True)
class Run:
    """One measured child process."""

    name: str
    seconds: float
    peak_mb: float
    output: str


def settle() -> None:
    """Let the disk finish the work earlier steps left it (deleting a 20,000-file tree
    goes on in the background, on a volume mounted with `discard` for seconds), so that
    no run is timed while paying for another's."""
    os.sync()
    time.sleep(1.0)


def run(name: str, argv: list[str], cwd: Path = ROOT) -> Run:
    """Run a command, returning wall time and peak memory of it and its children."""
    settle()
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed ({proc.returncode}):\n{output}")
    return Run(name, seconds, usage.ru_maxrss / 1024, output.strip())


HUGO_PAGES = "hugo: project and event pages only"
HUGO_WITH_DECKS = "hugo: the same pages (with decks)"


def fastest(runs: list[Run]) -> Run:
    return min(runs, key=lambda r: r.seconds)


def build(name: str, content: Path, out: Path, jobs: int | None) -> Run:
    argv = [sys.executable, "-m", "site_builder.cli", "build", "--content", str(content)]
    argv += ["--out", str(out)]
    if jobs is not None:
        argv += ["--jobs", str(jobs)]
    return run(name, argv)


def edit_pitch(content: Path) -> None:
    site = archive.load(content)
    project = sorted(site.projects.values(), key=lambda p: p.key)[len(site.projects) // 2]
    project.pitch += "\n\nEdited: one more paragraph with a [link](https://example.org/)."
    archive.save(content, site, read=archive.snapshot(content))


def rename_event(content: Path) -> None:
    site = archive.load(content)
    event = sorted(site.events.values(), key=lambda e: e.slug)[len(site.events) // 2]
    event.name += " (renamed)"
    archive.save(content, site, read=archive.snapshot(content))


def warm_edits(content: Path, out: Path) -> None:
    """Child process: a build session as `jamdat serve` and the edit API keep it; a pitch is
    saved twice (as an editor would) and the second, warm rebuild's summary is printed."""
    from site_builder.render.build import BuildSession

    session = BuildSession(content, out, long_lived=True)
    session.build()
    pitch = sorted((content / "projects").glob("*/*.md"))[
        len(list((content / "projects").glob("*/*.md"))) // 3
    ]
    for n in (1, 2):
        with pitch.open("a", encoding="utf-8") as f:
            f.write(f"\nSaved again ({n}).\n")
        report = session.build()
    print(report.summary())


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
    if root.exists():
        shutil.rmtree(root)
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


def clone_cost(out: Path) -> float:
    """Seconds to hardlink-clone `out` and remove the clone (the cost the engine avoids)."""
    clone = out.parent / f".{out.name}.clone"
    start = time.perf_counter()
    for folder, _dirs, files in os.walk(out):
        target = clone / os.path.relpath(folder, out)
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            os.link(os.path.join(folder, name), target / name)
    shutil.rmtree(clone)
    return time.perf_counter() - start


def internal(output: str) -> str:
    """The build's own time from its summary line (the rest is interpreter start-up)."""
    line = output.splitlines()[-1] if output else ""
    if " files: " not in line or "s (" not in line:
        return ""
    return line.rsplit("s (", 1)[0].rsplit(" ", 1)[-1]


def counts(output: str) -> str:
    """'12 rendered, 3 written' from the build's summary line."""
    line = output.splitlines()[-1] if output else ""
    if "files:" not in line:
        return ""
    parts = line.split("files:", 1)[1].split(";")[0].split(",")
    return ", ".join(p.strip() for p in parts[:2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="5 events x 20 projects")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--no-hugo", action="store_true")
    parser.add_argument("--dir", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--rounds", type=int, default=3, help="cold builds to take the fastest of")
    parser.add_argument("--warm-child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.warm_child:
        warm_edits(*args.warm_child)
        return
    if args.quick:
        args.events, args.projects = 5, 20

    work = args.dir / f"{args.events}x{args.projects}"
    content, out = work / "content", work / "public"
    if work.exists():
        shutil.rmtree(work)
    start = time.perf_counter()
    generate(content, args.events, args.projects)
    size = sum(len(p.pitch) for p in archive.load(content).projects.values())
    print(
        f"archive: {args.events} events x {args.projects} projects, "
        f"{size / 1e6:.1f} MB of pitches, generated in {time.perf_counter() - start:.1f}s"
    )

    hugo = None if args.no_hugo else shutil.which("hugo")
    hugo_roots = {"pages": work / "hugo-pages", "decks": work / "hugo-decks"}
    if hugo:
        for kind, root in hugo_roots.items():
            hugo_site(content, root, decks=kind == "decks")
    cold: dict[str, list[Run]] = {"jamdat": [], "pages": [], "decks": []}
    # Every cold build writes a directory of its own, deleted only at the end: deleting a
    # 20,000-file tree just before a build slows it by a third, even after a sync.
    for i in range(args.rounds):
        (archive.state_dir(content) / "markdown.sqlite").unlink(missing_ok=True)
        target = out if i == 0 else work / f"public-{i}"
        cold["jamdat"].append(build("cold build (empty caches)", content, target, args.jobs))
        if hugo:
            for kind, name in (("pages", HUGO_PAGES), ("decks", HUGO_WITH_DECKS)):
                root = hugo_roots[kind]
                argv = [hugo, "--quiet", "-s", str(root), "-d", str(root / f"public-{i}")]
                cold[kind].append(run(name, argv))
    runs = [fastest(cold["jamdat"]), build("no-op rebuild", content, out, args.jobs)]
    edit_pitch(content)
    runs.append(build("one pitch edited", content, out, args.jobs))
    argv = [sys.executable, __file__, "--warm-child", str(content), str(out)]
    runs.append(run("one pitch edited (warm: serve, API)", argv))
    rename_event(content)
    runs.append(build("one event renamed", content, out, args.jobs))
    runs.append(build("no-op rebuild", content, out, args.jobs))
    cached_out = work / "public-cached"
    runs.append(build("cold build (Markdown cached)", content, cached_out, args.jobs))
    files = sum(len(f) for _, _, f in os.walk(cached_out))
    if hugo:
        runs += [fastest(cold["pages"]), fastest(cold["decks"])]
        hugo_files = sum(len(f) for _, _, f in os.walk(hugo_roots["decks"] / "public-0"))

    print(f"\noutput: {files} files in {out}")
    print(f"hardlink clone + removal of the output tree: {clone_cost(out):.2f}s (not used)\n")
    print(f"| {'step':<38} | {'seconds':>7} | {'in build':>8} | {'peak MB':>7} | {'work':<30} |")
    print(f"|{'-' * 40}|{'-' * 9}|{'-' * 10}|{'-' * 9}|{'-' * 32}|")
    for r in runs:
        print(
            f"| {r.name:<38} | {r.seconds:>7.2f} | {internal(r.output):>8} | {r.peak_mb:>7.0f} "
            f"| {counts(r.output):<30} |"
        )
    cached = next(r for r in runs if r.name.startswith("cold build (Markdown"))
    if hugo:
        ratio = runs[0].seconds / runs[-1].seconds
        warm = cached.seconds / runs[-1].seconds
        pages_only = runs[0].seconds / runs[-2].seconds
        print(f"\ncold builds, Hugo's alternating with them ({args.rounds} rounds, s):")
        for kind, items in cold.items():
            print(f"  {kind:<7} " + "  ".join(f"{r.seconds:6.2f}" for r in items))
        print(
            f"cold build / hugo with decks ({hugo_files} files), fastest: {ratio:.2f}x "
            f"(Markdown cached: {warm:.2f}x); / hugo pages only: {pages_only:.2f}x"
        )
    print("\nlast build:", cached.output.splitlines()[-1] if cached.output else "")
    for i in range(1, args.rounds):
        shutil.rmtree(work / f"public-{i}", ignore_errors=True)
    shutil.rmtree(cached_out, ignore_errors=True)


if __name__ == "__main__":
    main()
