"""Benchmark `jamdat serve`: from saving a pitch to the browser showing it.

Run from the repository root:  python bench/serve_bench.py [--projects 100 --events 100]
The server runs as a `python -m site_builder.cli serve` child process, as an organiser would
start it. Each round appends a line to one pitch and measures, from the moment the file is
closed:
- "event": a server-sent events client receives the `reload` notice;
- "browser": Chromium (when Playwright and /usr/bin/chromium are there), showing the
  project's page, has reloaded it with the new line (its DOMContentLoaded, by the page's
  own clock).
Without --events/--projects the demo archive in content/ is used; with them, a synthetic
archive from bench/corpus.py (100 x 100 = 10,000 projects).
"""

from __future__ import annotations

import argparse
import http.client
import json
import queue
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

CHROMIUM = Path("/usr/bin/chromium")
READY = """() => performance.timeOrigin +
  performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"""
"""When the reloaded page was ready (DOMContentLoaded), in milliseconds since the epoch."""


class Events:
    """A server-sent events client in a thread; `reload()` waits for the next reload."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        host = parts.hostname or "127.0.0.1"
        self.conn = http.client.HTTPConnection(host, parts.port, timeout=120)
        self.conn.request("GET", "/__jamdat/events")
        self.response = self.conn.getresponse()
        self.queue: queue.Queue[tuple[str, dict[str, Any], float]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        kind = ""
        for raw in self.response:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                self.queue.put((kind, json.loads(line[6:]), time.perf_counter()))

    def wait(self, kind: str, timeout: float = 120) -> tuple[dict[str, Any], float]:
        while True:
            got, data, when = self.queue.get(timeout=timeout)
            if got == kind:
                return data, when


def _drain(stream: TextIO, lines: list[str]) -> None:
    for line in stream:
        lines.append(line.rstrip("\n"))


def start_server(content: Path, out: Path) -> tuple[subprocess.Popen[str], str, list[str]]:
    argv = [sys.executable, "-m", "site_builder.cli", "serve", "--content", str(content)]
    argv += ["--out", str(out), "--port", "0"]
    proc = subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    lines: list[str] = []
    while True:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("the server stopped:\n" + "\n".join(lines))
        lines.append(line.rstrip("\n"))
        if line.startswith("Serving "):
            url = line.split(" at ")[1].split()[0]
            break
    threading.Thread(target=_drain, args=(proc.stdout, lines), daemon=True).start()
    return proc, url, lines


def pick_pitch(content: Path) -> tuple[Path, str]:
    """A pitch in the middle of the archive, and its page's path."""
    pitches = sorted((content / "projects").glob("*/*.md"))
    pitch = pitches[len(pitches) // 2]
    return pitch, f"{pitch.parent.name}/{pitch.stem}/"


def save(pitch: Path, marker: str) -> tuple[float, float]:
    """Append a paragraph as an editor saves; returns when the file was closed (by the
    performance counter, and as wall-clock time to compare with the browser's clock)."""
    with pitch.open("a", encoding="utf-8") as handle:
        handle.write(f"\n\n{marker}\n")
    return time.perf_counter(), time.time()


def stats(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p90 = ms[min(len(ms) - 1, round(0.9 * (len(ms) - 1)))]
    return f"median {statistics.median(ms):.0f} ms, p90 {p90:.0f} ms, max {ms[-1]:.0f} ms"


def measure(content: Path, out: Path, rounds: int, browser: bool) -> None:
    started = time.perf_counter()
    proc, url, lines = start_server(content, out)
    print(f"  server ready in {time.perf_counter() - started:.1f}s: {lines[0]}")
    pitch, page_path = pick_pitch(content)
    events = Events(url)
    events.wait("hello")
    event_times: list[float] = []
    browser_times: list[float] = []
    pw: Any = None
    page: Any = None
    if browser:
        from playwright.sync_api import sync_playwright

        pw = sync_playwright().start()
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = chromium.new_page()
        page.route(lambda u: not u.startswith(url), lambda r: r.abort())  # stay offline
        page.goto(url + page_path)
        page.locator('script[src="/__jamdat/live.js"]').wait_for(state="attached")
        time.sleep(0.5)  # the page's event stream is open
    try:
        for n in range(rounds):
            marker = f"Saved-{n}-{time.time_ns()}"
            t0, wall = save(pitch, marker)
            _, heard = events.wait("reload")
            event_times.append(heard - t0)
            if page is not None:
                page.get_by_text(marker).wait_for(timeout=120_000)
                ready_ms = page.evaluate(READY)
                browser_times.append(ready_ms / 1000 - wall)
            time.sleep(0.4)
    finally:
        if pw is not None:
            page.close()
            pw.stop()
        proc.terminate()
        proc.wait(timeout=20)
    rebuilt = [line for line in lines if "rebuilt in" in line]
    builds = [float(line.split("rebuilt in ")[1].split("s")[0]) for line in rebuilt]
    print(f"  save -> reload event:    {stats(event_times)}  ({rounds} saves)")
    if browser_times:
        print(f"  save -> browser updated: {stats(browser_times)}")
    if builds:
        print(f"  rebuild itself (server): {stats(builds)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=0, help="synthetic archive: events")
    parser.add_argument(
        "--projects", type=int, default=0, help="synthetic archive: projects per event"
    )
    parser.add_argument("--rounds", type=int, default=10, help="saves to measure (default 10)")
    parser.add_argument(
        "--no-browser", action="store_true", help="only time the reload event, no Chromium"
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=ROOT / "bench" / "out" / "serve",
        help="work folder, emptied first (default bench/out/serve)",
    )
    args = parser.parse_args()
    browser = not args.no_browser and CHROMIUM.exists()
    if browser:
        try:
            import playwright  # noqa: F401
        except ImportError:
            browser = False

    work = args.dir
    if work.exists():
        shutil.rmtree(work)
    content, out = work / "content", work / "public"
    if args.events and args.projects:
        from corpus import generate

        start = time.perf_counter()
        generate(content, args.events, args.projects)
        took = time.perf_counter() - start
        print(f"archive: {args.events} x {args.projects} projects, generated in {took:.1f}s")
    else:
        shutil.copytree(ROOT / "content", content, ignore=shutil.ignore_patterns(".jamdat"))
        print("archive: the demo content")
    measure(content, out, args.rounds, browser)


if __name__ == "__main__":
    main()
