"""Benchmark the edit API: concurrent editors against a running `jamdat api` on 127.0.0.1.

Run from the repository root:  python bench/api_bench.py --editors 50 --seconds 20
On a large archive:           python bench/api_bench.py --events 100 --projects 100

A copy of the archive (the demo by default, or a synthetic one of --events x --projects
made by `corpus.py`) is built, then served by `jamdat api` in a
child process. Each editor owns one project and, for the given time, changes its summary
again and again (each PATCH carries the ETag of its previous answer). A watcher notes when
each project page in `public/` first shows an edit (or a later one of the same editor).
Reported: edits per second, write latency percentiles, builds run versus edits accepted,
and edit-to-live latency (from the 2xx answer to the page showing the change).

The client is a minimal HTTP/1.1 keep-alive client on asyncio, so that it costs the server
as little CPU as possible on a small machine.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from site_builder import archive  # noqa: E402
from site_builder.archive.validate import validate_archive  # noqa: E402
from site_builder.tokens import TokenStore  # noqa: E402

MARKER = re.compile(rb"bench e(\d+) s(\d+)\b")


@dataclass(slots=True)
class Editor:
    """One simulated team: its project, its token and what it saw."""

    n: int
    event: str
    slug: str
    token: str
    latencies: list[float] = field(default_factory=list)
    accepted: list[float] = field(default_factory=list)
    """Monotonic time of each 2xx, by sequence number."""
    live: dict[int, float] = field(default_factory=dict)
    """Sequence number -> when its page first showed it (or a later one)."""
    refused: dict[int, int] = field(default_factory=dict)


class Connection:
    """A keep-alive HTTP/1.1 connection that sends JSON and reads one response at a time."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        found: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            found[name.strip().lower()] = value.strip()
        data = await self.reader.readexactly(int(found.get("content-length", "0")))
        if found.get("connection", "").lower() == "close":
            self.writer.close()
            self.writer = None
        return status, found, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _first_line(text: object) -> str:
    """The start of a build summary or error, for the table."""
    return (str(text or "").splitlines() or [""])[0][:100]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def edit_loop(
    editor: Editor, host: str, port: int, until: float, start: asyncio.Event, think: float
) -> None:
    """Change the summary over and over, each time against the version last answered,
    pausing `think` seconds on average (0: as fast as the server answers)."""
    conn = Connection(host, port)
    path = f"/api/v1/events/{editor.event}/projects/{editor.slug}"
    auth = {"Authorization": f"Bearer {editor.token}"}
    _, headers, _ = await conn.request("GET", path, {})
    etag = headers["etag"]
    await start.wait()
    rng = random.Random(editor.n)
    if think:
        await asyncio.sleep(rng.uniform(0, think))  # editors do not start in lockstep
    seq = 0
    while time.monotonic() < until:
        body = json.dumps({"summary": f"bench e{editor.n} s{seq}"}).encode()
        sent = time.monotonic()
        status, headers, _ = await conn.request(
            "PATCH",
            path,
            {**auth, "Content-Type": "application/json", "If-Match": etag},
            body,
        )
        done = time.monotonic()
        editor.latencies.append(done - sent)
        if status == 200:
            etag = headers["etag"]
            editor.accepted.append(done)
            seq += 1
        else:
            editor.refused[status] = editor.refused.get(status, 0) + 1
            _, headers, _ = await conn.request("GET", path, {})
            etag = headers["etag"]
        if think:
            await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
    conn.close()


async def watch(editors: list[Editor], out: Path, stop: asyncio.Event) -> None:
    """Poll the project pages; record when each editor's edits show up. The polling runs
    on a thread, so reading pages never delays the editors' requests (and their timings)."""
    pages = {e.n: out / e.event / e.slug / "index.html" for e in editors}
    seen: dict[int, tuple[int, int, int]] = {}
    shown: dict[int, int] = {}

    def poll() -> None:
        now = time.monotonic()
        for editor in editors:
            path = pages[editor.n]
            try:
                st = os.stat(path)
            except FileNotFoundError:
                continue
            key = (st.st_ino, st.st_mtime_ns, st.st_size)
            if seen.get(editor.n) == key:
                continue
            seen[editor.n] = key
            match = MARKER.search(path.read_bytes())
            if match is None or int(match.group(1)) != editor.n:
                continue
            seq = int(match.group(2))
            for s in range(shown.get(editor.n, -1) + 1, seq + 1):
                editor.live[s] = now
            shown[editor.n] = max(shown.get(editor.n, -1), seq)

    while not stop.is_set():
        await asyncio.to_thread(poll)
        await asyncio.sleep(0.01)


async def run_load(
    editors: list[Editor], port: int, seconds: float, out: Path, settle: float, think: float
) -> tuple[float, float]:
    start = asyncio.Event()
    begin = time.monotonic() + 1.0  # connections open and first reads done before this
    until = begin + seconds
    tasks = [
        asyncio.create_task(edit_loop(e, "127.0.0.1", port, until, start, think)) for e in editors
    ]
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch(editors, out, stop))
    await asyncio.sleep(max(0.0, begin - time.monotonic()))
    t0 = time.monotonic()
    start.set()
    await asyncio.gather(*tasks)
    t1 = time.monotonic()
    deadline = t1 + settle
    while time.monotonic() < deadline:  # let the last edits reach the site
        if all(len(e.live) >= len(e.accepted) for e in editors):
            break
        await asyncio.sleep(0.05)
    stop.set()
    await watcher
    return t0, t1


async def get_json(port: int, path: str) -> dict[str, object]:
    conn = Connection("127.0.0.1", port)
    status, _, data = await conn.request("GET", path, {})
    conn.close()
    assert status == 200, data
    result = json.loads(data)
    assert isinstance(result, dict)
    return result


def utc_activity_dates(content: Path) -> None:
    """Give the synthetic archive's activities UTC dates, as imports and the API write them
    (`corpus.py` writes naive ones, which the event packages cannot sort beside the API's)."""
    site = archive.load(content)
    for key, activity in site.activities.items():
        if activity.date.tzinfo is None:
            site.activities[key] = dataclasses.replace(
                activity, date=activity.date.replace(tzinfo=UTC)
            )
    archive.save(content, site, read=archive.snapshot(content))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--editors", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    parser.add_argument(
        "--events", type=int, default=0,
        help="With --projects: edit a synthetic archive of EVENTS x PROJECTS instead.",
    )  # fmt: skip
    parser.add_argument("--projects", type=int, default=0, help="Projects per synthetic event.")
    parser.add_argument(
        "--think", type=float, default=1.0,
        help="Seconds each editor waits between edits, on average (0: saturate the server).",
    )  # fmt: skip
    parser.add_argument("--debounce", type=float, help="The server's --debounce.")
    parser.add_argument("--settle", type=float, default=10.0, help="Wait for the last edits.")
    parser.add_argument("--log-level", default="warning", help="Of the server (its log is kept).")
    parser.add_argument("--json", type=Path, help="Also write the figures as JSON here.")
    parser.add_argument("--keep", action="store_true", help="Keep the working copy.")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="jamdat-api-bench-"))
    content, out = work / "content", work / "public"
    if args.events and args.projects:
        from corpus import generate

        began = time.perf_counter()
        generate(content, args.events, args.projects)
        utc_activity_dates(content)
        source = f"a synthetic archive of {args.events} x {args.projects} projects"
        print(f"{source}, generated in {time.perf_counter() - began:.1f}s", flush=True)
    else:
        shutil.copytree(args.content, content, ignore=shutil.ignore_patterns(".jamdat"))
        source = str(args.content)
    site = archive.load(content)
    projects = sorted(
        (p for p in site.projects.values() if not p.is_hidden and p.event in site.events),
        key=lambda p: p.key,
    )
    if len(projects) < args.editors:
        raise SystemExit(f"{source} has {len(projects)} visible projects, fewer than editors")
    # The bench's tokens stay in its work folder (the server inherits this setting).
    os.environ["JAMDAT_TOKENS"] = str(work / "tokens.sqlite")
    tokens = TokenStore.of(content)
    editors = [
        Editor(n, p.event, p.slug, tokens.create("organiser", f"bench-{n}")[0])
        for n, p in enumerate(projects[: args.editors])
    ]
    tokens.close()

    print(f"cold build of {source} ...", flush=True)
    subprocess.run(
        [sys.executable, "-m", "site_builder.cli", "build", "--content", str(content),
         "--out", str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    port = free_port()
    log_path = work / "api.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "site_builder.cli", "api", "--content", str(content),
             "--out", str(out), "--port", str(port), "--rate-limit", "0",
             "--token-rate-limit", "0", "--log-level", args.log_level,
             *(["--debounce", str(args.debounce)] if args.debounce is not None else [])],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        for _ in range(300):
            try:
                asyncio.run(get_json(port, "/health"))
                break
            except (OSError, AssertionError):
                time.sleep(0.05)
        time.sleep(1.0)  # the build worker starts
        pace = f"one edit per {args.think:g} s each" if args.think else "no pause"
        print(f"{args.editors} editors ({pace}) for {args.seconds:.0f} s ...", flush=True)
        t0, t1 = asyncio.run(run_load(editors, port, args.seconds, out, args.settle, args.think))
        latest = asyncio.run(get_json(port, "/api/v1/builds/latest"))
        for _ in range(600):  # the last build's outcome, not "running"
            if latest.get("status") != "running" and not latest.get("pending"):
                break
            time.sleep(0.1)
            latest = asyncio.run(get_json(port, "/api/v1/builds/latest"))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)

    latencies = [x for e in editors for x in e.latencies]
    accepted = sum(len(e.accepted) for e in editors)
    if not accepted:
        raise SystemExit(f"no edit was accepted; the server said:\n{log_path.read_text()[-3000:]}")
    refused: dict[int, int] = {}
    for e in editors:
        for code, count in e.refused.items():
            refused[code] = refused.get(code, 0) + count
    live = [e.live[s] - t for e in editors for s, t in enumerate(e.accepted) if s in e.live]
    missing = accepted - len(live)
    builds = int(str(latest["id"]))
    report = validate_archive(content, frictionless=False)
    figures = {
        "archive": source,
        "projects": len(site.projects),
        "editors": args.editors,
        "think_seconds": args.think,
        "seconds": round(t1 - t0, 2),
        "edits_accepted": accepted,
        "edits_refused": refused,
        "edits_per_second": round(accepted / (t1 - t0), 1),
        "write_p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "write_p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "write_max_ms": round(max(latencies) * 1000, 1),
        "builds": builds,
        "edits_per_build": round(accepted / builds, 1) if builds else None,
        "live_p50_ms": round(percentile(live, 50) * 1000) if live else None,
        "live_p95_ms": round(percentile(live, 95) * 1000) if live else None,
        "live_max_ms": round(max(live) * 1000) if live else None,
        "never_live": missing,
        "last_build": latest.get("summary") or latest.get("error"),
        "content_valid": not report.errors,
    }
    rows = [
        ("archive", f"{source} ({len(site.projects)} projects)"),
        ("editors (concurrent clients)", f"{args.editors}"),
        ("think time per editor", f"{args.think:g} s" if args.think else "none (saturation)"),
        ("duration", f"{figures['seconds']} s"),
        ("edits accepted (2xx)", f"{accepted}"),
        ("edits refused", ", ".join(f"{c}: {n}" for c, n in sorted(refused.items())) or "0"),
        ("edits per second", f"{figures['edits_per_second']}"),
        ("write latency p50 / p99 / max", f"{figures['write_p50_ms']} / "
         f"{figures['write_p99_ms']} / {figures['write_max_ms']} ms"),
        ("builds run", f"{builds} ({figures['edits_per_build']} edits per build)"),
        ("edit-to-live p50 / p95 / max", f"{figures['live_p50_ms']} / "
         f"{figures['live_p95_ms']} / {figures['live_max_ms']} ms"),
        ("edits never seen live", f"{missing}"),
        ("last build", f"{latest.get('status')}: "
         f"{_first_line(latest.get('error') or latest.get('summary'))}"),
        ("content valid afterwards", "yes" if not report.errors else "NO"),
    ]  # fmt: skip
    print("\n| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    if args.keep:
        print(f"\nworking copy kept in {work} (server log: {log_path})")
    else:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
