"""Measure the site's search against Pagefind: index time and size, bytes a browser downloads
per query, query time and the top results, on the demo and on a synthetic archive.

Run from the repository root:  python bench/search_bench.py                 (the demo)
                                python bench/search_bench.py --events 100 --projects 100
Pagefind is optional (`pip install 'pagefind[bin]'`); without it only Jamdat's index is
measured. Both are driven through their own JavaScript in Debian's Chromium, offline.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import shutil
import subprocess
import sys
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]

from browser import launch, sync_api  # noqa: E402

from site_builder import archive  # noqa: E402
from site_builder.render import search, searchindex  # noqa: E402
from site_builder.render.index import SiteIndex  # noqa: E402

QUERIES = ("map", "wiki", "open data", "zürich", "geschichte", "glamhack", "river heritage")

JAMDAT_JS = """async (q) => {
  const t0 = performance.now();
  document.getElementById('q').value = q;
  await window.jamdatSearch.search();
  const ms = performance.now() - t0;
  const titles = [...document.querySelectorAll('#search-results h2')];
  const top = titles.slice(0, 5).map((h) => h.textContent);
  return {ms, top, status: document.getElementById('search-status').textContent};
}"""

PAGEFIND_JS = """async (q) => {
  window.pf = window.pf || await import('/pagefind/pagefind.js');
  const t0 = performance.now();
  const r = await window.pf.search(q);
  const data = await Promise.all(r.results.slice(0, 20).map((x) => x.data()));
  const ms = performance.now() - t0;
  const top = data.slice(0, 5).map((d) => d.meta.title);
  return {ms, top, status: r.results.length + ' results'};
}"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def build(content: Path, out: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "site_builder.cli",
            "build",
            "--content",
            str(content),
            "--out",
            str(out),
            "--base-url",
            "https://example.org/",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def index_seconds(content: Path) -> tuple[float, int]:
    """CPU time to make Jamdat's whole index from a loaded archive, and its size on disk."""
    site = archive.load(content)
    index = SiteIndex.build(site)
    start = time.process_time()
    events = [(e.slug, e.name, search.event_docs(site, index, e.slug)) for e in index.events]
    built = searchindex.build(events, search.stage_options(site))
    return time.process_time() - start, sum(len(b) for b in built.files.values())


def pagefind(out: Path) -> float | None:
    """Index every project page (and event sub-pages) with Pagefind; seconds, or None."""
    if importlib.util.find_spec("pagefind") is None:
        return None
    shutil.rmtree(out / "pagefind", ignore_errors=True)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pagefind", "--site", str(out), "--glob", "*/*/index.html"],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def measure(out: Path, engine: str) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        for q in QUERIES:
            page = browser.new_page()
            got: list[tuple[str, int, int]] = []
            page.route(
                "**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort()
            )

            def note(res: Any, got: list[tuple[str, int, int]] = got) -> None:
                if "/search/" in res.url or "/pagefind/" in res.url:
                    body = res.body()
                    got.append((res.url, len(body), len(gzip.compress(body))))

            page.goto(f"{base}/search/")
            page.wait_for_function("window.jamdatSearch && window.jamdatSearch.ready")
            page.on("response", note)
            js = JAMDAT_JS if engine == "jamdat" else PAGEFIND_JS
            result = page.evaluate(js, q)
            page.wait_for_timeout(50)
            if engine == "jamdat":  # meta.json came with the page; count it once per query
                meta = (out / "search" / "meta.json").read_bytes()
                got.append(("meta.json", len(meta), len(gzip.compress(meta))))
            raw, gz = sum(g[1] for g in got), sum(g[2] for g in got)
            print(
                f"  {engine:8} {q!r:18} {result['ms']:7.1f} ms  {raw / 1024:7.1f} KiB"
                f" ({gz / 1024:6.1f} gz, {len(got)} files)  {result['status']}"
            )
            for title in result["top"]:
                print(f"           - {title[:90]}")
            page.close()
        browser.close()
    server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=0, help="synthetic events (0: the demo)")
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--dir", type=Path, default=ROOT / "bench" / "out-search")
    parser.add_argument("--built", type=Path, help="measure this built site of the archive")
    args = parser.parse_args()
    if args.events:
        import corpus

        content = args.dir / f"c{args.events}x{args.projects}"
        if not content.exists():
            corpus.generate(content, args.events, args.projects)
    else:
        content = ROOT / "content"
    out = args.built or args.dir / "public"
    if not args.built:
        shutil.rmtree(out, ignore_errors=True)
        print(f"build: {build(content, out):.1f} s (cold, with the search index)")
    seconds, size = index_seconds(content)
    files = len(list((out / "search").rglob("*.json")))
    print(f"jamdat index: {seconds:.2f} s CPU to make, {size / 1024:.0f} KiB in {files} files")
    pf = pagefind(out)
    if pf is not None:
        size = sum(f.stat().st_size for f in (out / "pagefind").rglob("*") if f.is_file())
        print(f"pagefind index: {pf:.2f} s to make, {size / 1024:.0f} KiB")
    measure(out, "jamdat")
    if pf is not None:
        measure(out, "pagefind")


if __name__ == "__main__":
    main()
