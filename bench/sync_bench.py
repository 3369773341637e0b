"""Benchmark `jamdat sync` against a fake GitHub on 127.0.0.1 with 50 ms per request.

Run from the repository root:  python bench/sync_bench.py --projects 1000
Measures a first sync (cold cache), a re-sync with nothing changed (every request
conditional, answered 304, nothing written), a re-sync with 10 repositories changed,
and beside them a sequential, uncached baseline that fetches repository, README and
commits one request at a time, as Dribdat does (timed on a sample, scaled to N).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from site_builder import archive  # noqa: E402
from site_builder.config import SiteConfig  # noqa: E402
from site_builder.model import Event, Project  # noqa: E402
from site_builder.sync.engine import SyncOptions, SyncReport, sync_content  # noqa: E402
from site_builder.sync.settings import HostSettings, SyncConfig  # noqa: E402

OWNER = "jam"
EVENTS = 10

Snapshot = dict[str, tuple[int, int, int]]


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the results table."""

    run: str
    seconds: float
    requests: int
    not_modified: int
    updated: int
    unchanged: int
    not_modified_projects: int
    failed: int
    files: int
    bytes_written: int
    note: str = ""


def make_archive(content: Path, projects: int, api: str, concurrency: int) -> None:
    """N projects over ten events, each syncing one repository of the fake forge."""
    if content.exists():
        shutil.rmtree(content)
    content.mkdir(parents=True)
    sync = SyncConfig(hosts=(HostSettings("github.com", api_url=api),), concurrency=concurrency)
    site = archive.new_site(SiteConfig(title="Sync benchmark", timezone="UTC", sync=sync))
    for e in range(EVENTS):
        slug = f"event-{e:02d}"
        site.events[slug] = Event(
            slug=slug,
            name=f"Event {e}",
            starts_at=datetime(2024, 3, 1, 9, 0),
            ends_at=datetime(2024, 3, 3, 17, 0),
            timezone="UTC",
        )
    for i in range(projects):
        event = f"event-{i % EVENTS:02d}"
        slug = f"project-{i:04d}"
        site.projects[(event, slug)] = Project(
            event=event,
            slug=slug,
            name=f"Project {i}",
            autotext_url=f"https://github.com/{OWNER}/repo-{i:04d}",
            pitch=f"The pitch of project {i}.",
        )
    archive.save(content, site, read=archive.snapshot(content))


def snapshot(root: Path) -> Snapshot:
    out: Snapshot = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != archive.STATE_DIR]
        for name in files:
            st = os.stat(os.path.join(folder, name))
            out[os.path.join(folder, name)] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return out


def written(before: Snapshot, after: Snapshot) -> tuple[int, int]:
    """Files written (new inode, mtime or size) and their bytes."""
    paths = [p for p in after if before.get(p) != after[p]]
    return len(paths), sum(after[p][2] for p in paths)


def measure(name: str, content: Path, note: str = "") -> Row:
    before = snapshot(content)
    start = time.perf_counter()
    report: SyncReport = asyncio.run(sync_content(content, SyncOptions()))
    seconds = time.perf_counter() - start
    files, size = written(before, snapshot(content))
    return Row(
        name,
        seconds,
        report.requests,
        report.not_modified_answers,
        report.count("updated"),
        report.count("unchanged"),
        report.count("not-modified"),
        report.count("failed"),
        files,
        size,
        note,
    )


def baseline(api: str, projects: int, sample: int) -> Row:
    """One request at a time, no cache, no conditional requests: repo, README, commits."""
    count = projects if sample <= 0 else min(sample, projects)
    start = time.perf_counter()
    requests = 0
    with httpx.Client(timeout=30) as client:
        for i in range(count):
            base = f"{api}/repos/{OWNER}/repo-{i:04d}"
            for url in (base, f"{base}/readme", f"{base}/commits"):
                client.get(url).raise_for_status()
                requests += 1
    seconds = (time.perf_counter() - start) * projects / count
    note = "" if count == projects else f"timed on {count}, scaled to {projects}"
    return Row(
        "sequential, uncached", seconds, requests * projects // count, 0, 0, 0, 0, 0, 0, 0, note
    )


def table(rows: list[Row], projects: int, latency: float) -> str:
    head = (
        f"N={projects} projects, {latency * 1000:.0f} ms per request\n"
        "| run | seconds | requests | 304s | updated | unchanged | not-modified | failed "
        "| files written | bytes written | note |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    )
    lines = [head]
    for r in rows:
        lines.append(
            f"| {r.run} | {r.seconds:.2f} | {r.requests} | {r.not_modified} | {r.updated} "
            f"| {r.unchanged} | {r.not_modified_projects} | {r.failed} | {r.files} "
            f"| {r.bytes_written} | {r.note} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=SyncConfig().concurrency)
    parser.add_argument("--changed", type=int, default=10)
    parser.add_argument(
        "--baseline-sample", type=int, default=100, help="projects timed (0: all of them)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "sync")
    args = parser.parse_args()

    forge = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "bench" / "fake_forge.py"),
            "--repos",
            str(args.projects),
            "--latency",
            str(args.latency),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert forge.stdout is not None
        line = forge.stdout.readline()
        if not line.startswith("PORT "):
            raise SystemExit(f"the fake forge did not start: {line!r}")
        api = f"http://127.0.0.1:{int(line.split()[1])}"
        content = args.out / "content"
        make_archive(content, args.projects, api, args.concurrency)
        rows = [measure("first sync", content)]
        rows.append(measure("re-sync, nothing changed", content))
        httpx.get(f"{api}/__bump", params={"count": args.changed}).raise_for_status()
        rows.append(measure(f"re-sync, {args.changed} changed", content))
        rows.append(baseline(api, args.projects, args.baseline_sample))
        print(table(rows, args.projects, args.latency))
        print(f"(concurrency {args.concurrency}; content in {content})")
    finally:
        forge.terminate()
        forge.wait()


if __name__ == "__main__":
    main()
