"""Pathological texts: the time of each stage the build runs on a participant's text, and of
a whole `jamdat build` of a small archive whose one pitch is that text.

    python bench/pathological.py [--only NAME ...] [--no-build] [--build-timeout S]
    python bench/pathological.py --sizes 25000 50000 100000 [--only NAME ...]

Stages: `markdown` (markdown-it-pyrs), `sanitize`, `finish` (outline, heading ids,
alignment classes, task boxes and accessibility repairs, in one parse), `slides` (cutting
the rendered pitch into slides), `plain text` (search index and page descriptions). Every
text is what a participant may put in a pitch, an event text, an activity post or a synced
README.

With `--sizes`, the CPU seconds of all stages together for each text's first N characters
(best of two): how the cost grows with the length, and what `MAX_TEXT_CHARS` allows.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import corpus  # noqa: E402

from site_builder.archive import textlimits  # noqa: E402
from site_builder.config import SiteConfig  # noqa: E402
from site_builder.render import markdown, slides, views  # noqa: E402
from site_builder.render.sanitize import sanitize_html  # noqa: E402


def texts() -> dict[str, str]:
    """Each pathological shape, named."""
    n = 5_000
    return {
        "12k identical headings": "# Same heading here\n\n" * 12_000,
        "12k headings ## and text": "".join(f"## Part\n\ntext {i}\n\n" for i in range(12_000)),
        "400 KB nested div": "<div>" * 36_000 + "x" + "</div>" * 36_000,
        "nested unclosed div": "<div>\n" + "<div>" * 60_000,
        "nested inline html": "<p>" + "<b><i><span><a href='#'>" * 15_000 + "x",
        "nested tables html": "<table><tr><td>" * 10_000 + "x",
        "deep list lines": "".join("  " * i + "- x\n" for i in range(600)),
        "deep list one line": "- " * 50_000 + "x\n",
        "deep blockquote one line": "> " * 100_000 + "x\n",
        "deep blockquote lines": "".join(">" * i + " x\n" for i in range(1, 900)),
        "list in quote nesting": "> - " * 30_000 + "x\n",
        "5k-row table": "| a | b | c | d |\n|---|---|---|---|\n"
        + "".join(f"| {i} | **b{i}** | [c](https://e.org/{i}) | d |\n" for i in range(n)),
        "table 2k columns": "|"
        + " a |" * 2_000
        + "\n|"
        + "---|" * 2_000
        + "\n"
        + ("|" + " b |" * 2_000 + "\n") * 100,
        "20k links": " ".join(f"[l{i}](https://example.org/{i})" for i in range(20_000)),
        "20k bare urls": " ".join(f"https://example.org/{i}" for i in range(20_000)),
        "20k images": "\n".join(f"![i{i}](https://example.org/{i}.png)" for i in range(20_000)),
        "emphasis runs": " ".join("*" * k + "a" for k in range(1, 400)) * 20,
        "unclosed emphasis": "*a **b " * 60_000,
        "unclosed underscores": "_a __b " * 60_000,
        "backtick runs": " ".join("`" * (k % 50 + 1) + "a" for k in range(60_000)),
        "bracket nesting": "[" * 50_000 + "a" + "]" * 50_000,
        "unclosed brackets": "[a " * 100_000,
        "link openers": "[a](" * 50_000,
        "1 MB single line": "word " * 200_000,
        "1 MB no spaces": "a" * 1_000_000,
        "20k reference definitions": "".join(
            f"[ref{i}]: https://example.org/{i}\n" for i in range(20_000)
        )
        + "\n"
        + " ".join(f"[x][ref{i}]" for i in range(20_000)),
        "many html comments": "<!-- " * 50_000 + "x",
        "many entities": "&amp;&lt;&#123;" * 60_000,
        "many short lines": "a\n" * 300_000,
        "many --- slides": "slide\n\n---\n\n" * 10_000,
        "many notes": "## s\n\nNote: n\n\n" * 8_000,
        "task list items": "- [ ] x\n" * 12_500,
        "image openers": "![" * 50_000,
        "alternating list markers": "- a\n* b\n+ c\n" * 8_334,
        "headings with one slug": "# !\n" * 25_000,
        "setext headings": "a\n=\n" * 25_000,
        "emphasis in link openers": "[*a " * 25_000,
        "star underscore runs": "*_" * 50_000,
        "brackets then parens": "[](" * 33_334,
        "ordered list numbers": "".join(f"{i}. a\n" for i in range(20_000)),
    }


class _Ctx:
    """Just what slide cutting reads from a render context."""

    def __init__(self, text_html: dict[str, str]) -> None:
        self.cache = text_html
        self.site = SimpleNamespace(
            events={"e": SimpleNamespace(legacy_url="")}, config=SiteConfig()
        )

    def markdown(self, text: str) -> str:
        html = self.cache.get(text)
        if html is None:
            html = self.cache[text] = markdown.render_markdown(text)
        return html


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def stages(text: str) -> dict[str, float]:
    """Seconds per stage of rendering one text."""
    times: dict[str, float] = {}
    times["bound"], text = _timed(lambda: markdown.bound_markdown(text))
    times["markdown"], raw = _timed(lambda: markdown._engine().render(text, xhtml=False))
    times["sanitize"], raw = _timed(lambda: sanitize_html(raw, keep_alignment=True))
    times["finish"], html = _timed(lambda: markdown._finish(raw))
    ctx = _Ctx({text: html})
    project = SimpleNamespace(pitch=text, legacy_url="", event="e", is_webembed=True)
    card = SimpleNamespace(name="Project", links=[])
    times["slides"], _ = _timed(lambda: slides._cut_pitch(ctx, project, card))  # type: ignore[arg-type]
    times["plain text"], _ = _timed(lambda: (views.plain_words(text), views.plain_words(text, 30)))
    return times


def cpu_time(text: str) -> float:
    """CPU seconds (best of two) to render `text` as the build does, uncut: page HTML,
    slides and plain text."""
    best = float("inf")
    for _ in range(2):
        start = time.process_time()
        raw = markdown._engine().render(markdown.bound_nesting(text), xhtml=False)
        html = markdown._finish(sanitize_html(raw, keep_alignment=True))
        ctx = _Ctx({text: html})
        project = SimpleNamespace(pitch=text, legacy_url="", event="e", is_webembed=True)
        card = SimpleNamespace(name="Project", links=[])
        slides._cut_pitch(ctx, project, card)  # type: ignore[arg-type]
        views.plain_words(text)
        views.plain_words(text, 30)
        best = min(best, time.process_time() - start)
    return best


def by_size(names: list[str], sizes: list[int]) -> None:
    """The table of `cpu_time` for each text's first N characters."""
    print(f"{'text':28} " + " ".join(f"{n // 1000:>6}k" for n in sizes))
    for name, text in texts().items():
        if not names or any(o in name for o in names):
            cells = " ".join(f"{cpu_time(text[:n]):7.2f}" for n in sizes)
            print(f"{name:28} {cells}", flush=True)


def build_time(text: str, timeout: float) -> float | None:
    """Seconds for a clean `jamdat build` of one event of 3 projects, one pitch `text` (its
    first `MAX_TEXT_CHARS`: the build refuses a longer pitch, as `validate` does)."""
    with tempfile.TemporaryDirectory(prefix="jamdat-patho-") as tmp:
        content = Path(tmp) / "content"
        corpus.generate(content, events=1, projects=3)
        pitch = next((content / "projects").glob("*/*.md"))
        pitch.write_text(text[: textlimits.MAX_TEXT_CHARS - 1] + "\n", encoding="utf-8")
        argv = [sys.executable, "-m", "site_builder.cli", "build"]
        argv += ["--content", str(content), "--out", str(Path(tmp) / "public")]
        start = time.perf_counter()
        try:
            done = subprocess.run(argv, cwd=ROOT, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            print(done.stderr.decode()[-500:], file=sys.stderr)
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", default=[], help="names (substrings) to run")
    parser.add_argument("--no-build", action="store_true", help="skip the whole builds")
    parser.add_argument("--build-timeout", type=float, default=300.0)
    parser.add_argument("--sizes", nargs="*", type=int, help="CPU seconds at these lengths")
    args = parser.parse_args()
    sys.setrecursionlimit(10_000)
    if args.sizes:
        by_size(args.only, args.sizes)
        return
    cols = ["bound", "markdown", "sanitize", "finish", "slides", "plain text"]
    print(f"{'text':28} {'KB':>6} " + " ".join(f"{c:>11}" for c in cols) + f" {'build':>8}")
    for name, text in texts().items():
        if args.only and not any(o in name for o in args.only):
            continue
        try:
            times = stages(text)
            cells = " ".join(f"{times[c]:11.3f}" if c in times else f"{'-':>11}" for c in cols)
        except RecursionError:
            cells = f"{'RecursionError':>59}"
        build = "-"
        if not args.no_build:
            seconds = build_time(text, args.build_timeout)
            build = f">{args.build_timeout:.0f}" if seconds is None else f"{seconds:.2f}"
        print(f"{name:28} {len(text.encode()) / 1000:6.0f} {cells} {build:>8}", flush=True)


if __name__ == "__main__":
    main()
