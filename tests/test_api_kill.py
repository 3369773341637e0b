"""`jamdat api` killed (`kill -9`) at random moments under concurrent creates, edits, posts
and hard deletes, again and again: after every kill the archive loads and validates, the
server starts again, every change answered 2xx is on disk, and a change in flight is
either all there or not at all."""

from __future__ import annotations

import random
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from api_helpers import EVENT, ApiEnv, make_env

from site_builder import archive
from site_builder.archive import txn
from site_builder.render.build import build_site

KILLS = 10
WORKERS = 3
STEPS = ("absent", "created", "edited", "posted", "deleted")
"""What each worker does to each of its projects, in order (see `_disk_step`)."""


@dataclass
class Track:
    """One worker's projects: the last step answered 2xx, and the one in flight."""

    answered: dict[str, int] = field(default_factory=dict)
    in_flight: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(env: ApiEnv, port: int, build: bool) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "site_builder.cli", "api", "--content", str(env.content)]
    args += ["--out", str(env.out), "--port", str(port), "--debounce", "0.05"]
    args += ["--rate-limit", "0", "--token-rate-limit", "0"]
    if not build:
        args.append("--no-build")
    server = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.05)
        assert server.poll() is None, server.stderr.read() if server.stderr else ""
    raise AssertionError("the API did not start")


def _descendants(pid: int) -> set[int]:
    """Every live process below `pid` (Linux /proc)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            todo += [int(c) for c in children if int(c) not in found]
            found.update(int(c) for c in children)
    return found


def _alive(pids: set[int]) -> set[int]:
    """Those of `pids` still running (zombies count as gone)."""
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _worker(base: str, env: ApiEnv, prefix: str, track: Track, stop: threading.Event) -> None:
    """Create, edit, post to and hard-delete projects, one after another, until the
    server goes away; notes what was answered and what was in flight."""
    projects = f"{base}/api/v1/events/{EVENT}/projects"
    with httpx.Client(headers=env.auth("organiser"), timeout=10) as http:
        n = 0
        while not stop.is_set():
            slug = f"{prefix}-{n}"
            n += 1
            url = f"{projects}/{slug}"
            try:
                for step in range(1, len(STEPS)):
                    track.in_flight[slug] = step
                    if step == 1:
                        body = {"slug": slug, "name": slug, "summary": "v0", "pitch": "Pitch 0"}
                        response = http.post(projects, json=body)
                    elif step == 2:
                        etag = http.get(url).headers["etag"]
                        body = {"summary": "v1", "pitch": "Pitch 1"}
                        response = http.patch(url, json=body, headers={"If-Match": etag})
                    elif step == 3:
                        response = http.post(f"{url}/activities", json={"content": f"On {slug}"})
                    else:
                        etag = http.get(url).headers["etag"]
                        response = http.delete(
                            url, params={"hard": "true"}, headers={"If-Match": etag}
                        )
                    if response.status_code // 100 != 2:
                        track.errors.append(f"{slug} step {step}: {response.status_code}")
                        return
                    track.answered[slug] = step
                    del track.in_flight[slug]
            except (httpx.TransportError, KeyError):
                return  # killed: the step in flight may or may not have landed


def _disk_step(site: archive.Checkout | None, content: Path, slug: str) -> str:
    """Which step a project's files show; "torn" when they match none."""
    assert site is not None
    project = site.site.projects.get((EVENT, slug))
    pitch = content / "projects" / EVENT / f"{slug}.md"
    posts = [
        a
        for a in site.site.activities.values()
        if (a.event, a.project) == (EVENT, slug) and a.content == f"On {slug}"
    ]
    if project is None:
        return "absent" if not pitch.exists() and not posts else "torn"
    shown = (project.summary, pitch.read_text(encoding="utf-8") if pitch.exists() else None)
    if shown == ("v0", "Pitch 0\n") and not posts:
        return "created"
    if shown == ("v1", "Pitch 1\n"):
        return "posted" if posts else "edited"
    return "torn"


def test_kill_9_under_concurrent_edits_loses_and_tears_nothing(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    build_site(env.content, env.out)
    rng = random.Random(15)
    seen_steps: set[str] = set()
    orphans_checked = 0
    for round_ in range(KILLS):
        port = _free_port()
        server = _start(env, port, build=round_ % 4 == 0)
        tracks = [Track() for _ in range(WORKERS)]
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=_worker,
                args=(f"http://127.0.0.1:{port}", env, f"k{round_}-w{i}", track, stop),
            )
            for i, track in enumerate(tracks)
        ]
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(0.2, 0.9))
        workers = _descendants(server.pid)
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        # The build worker (and its own workers) must not outlive a killed server.
        deadline = time.monotonic() + 5
        while _alive(workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(workers), f"round {round_}: left running: {_alive(workers)}"
        orphans_checked += len(workers)
        stop.set()
        for thread in threads:
            thread.join(20)
        work = archive.checkout(env.content)  # loads, recovers, checks every reference
        assert not (txn.state(env.content) / txn.JOURNAL).exists()
        for track in tracks:
            assert not track.errors, track.errors
            for slug in track.answered.keys() | track.in_flight.keys():
                answered = track.answered.get(slug, 0)
                allowed = {STEPS[answered]}
                if slug in track.in_flight:
                    allowed.add(STEPS[track.in_flight[slug]])
                allowed = {"absent" if s == "deleted" else s for s in allowed}
                found = _disk_step(work, env.content, slug)
                assert found in allowed, (round_, slug, found, allowed)
                seen_steps.add(found)
    # The kills met every kind of change, and the archive still builds.
    assert {"absent", "created", "edited", "posted"} <= seen_steps
    assert orphans_checked > 0, "no round had a build worker to check"
    build_site(env.content, env.out)
