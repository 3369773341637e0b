"""Load test of a live event: participants join with an invite and work against a running
`jamdat api` on 127.0.0.1.

Run from the repository root:
    TMPDIR=/dev/shm python bench/live_load.py --participants 50 --seconds 60

The demo archive is copied to a temporary folder, built, and served by `jamdat api` in a
child process with its default limits. An invite for --participants is created with
`jamdat invite create`. Each participant connects from its own loopback address
(127.0.0.N, as people in a room behind different addresses), joins through the invite
(the real JSON join POST, which sets the session cookie; participants arrive evenly over
--ramp seconds), starts a project in the event,
then loops until the time is up: edits its project's summary (PATCH with If-Match and the
session's CSRF token; on 412 it reads the project again and retries), posts an update
every few rounds, and now and then reads the project and the event's updates. A watcher
polls the project pages in `public/` and notes when each edit first shows there.

At the end the archive on disk is checked: every participant's last accepted summary is
in projects.csv and every accepted post is in activities.csv with its text. Reported:
requests, statuses, lost edits and posts, the latency of joining and starting, the latency
of every edit and post ("write") and edit-to-live.
The exit status is 1 when an edit or post was lost or any answer was a 5xx.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from api_bench import Connection, free_port, percentile  # noqa: E402

from site_builder import archive  # noqa: E402

EVENT = "glamhack-2023"
MARKER = re.compile(rb"live p(\d+) s(\d+)\b")


@dataclass(slots=True)
class Participant:
    """One simulated participant: who they are, their project and what they saw."""

    n: int
    address: str
    arrives: float = 0.0
    """Seconds after the start when this participant opens the invite link."""
    user: str = ""
    slug: str = ""
    cookie: str = ""
    csrf: str = ""
    statuses: dict[int, int] = field(default_factory=dict)
    writes: list[float] = field(default_factory=list)
    """Latency of every edit and post, in seconds."""
    setup: list[float] = field(default_factory=list)
    """Latency of joining and starting the project."""
    accepted: list[float] = field(default_factory=list)
    """Monotonic time of each accepted edit, by sequence number."""
    last_summary: str = ""
    posts: dict[str, str] = field(default_factory=dict)
    """Activity id -> text of every accepted post."""
    retries: int = 0
    live: dict[int, float] = field(default_factory=dict)
    """Sequence number -> when its project page first showed it (or a later one)."""


class Client(Connection):
    """A keep-alive connection from a given loopback address that sends the session."""

    IDLE = 4.0
    """Seconds after which the connection is opened anew: uvicorn closes keep-alive
    connections idle for 5 s, and a request sent as it does so would be lost."""

    def __init__(self, port: int, me: Participant) -> None:
        super().__init__("127.0.0.1", port)
        self.me = me
        self.used = 0.0

    async def call(
        self, method: str, path: str, body: object = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is not None and time.monotonic() - self.used > self.IDLE:
            self.close()
            self.writer = None
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                self.host, self.port, local_addr=(self.me.address, 0)
            )
        sent: dict[str, str] = dict(headers or {})
        if self.me.cookie:
            sent["Cookie"] = f"jamdat_session={self.me.cookie}"
        if method != "GET":
            sent["X-CSRF-Token"] = self.me.csrf
        data = b""
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        began = time.monotonic()
        status, found, answer = await self.request(method, path, sent, data)
        self.used = time.monotonic()
        if method != "GET":
            (self.me.writes if self.me.slug else self.me.setup).append(time.monotonic() - began)
        self.me.statuses[status] = self.me.statuses.get(status, 0) + 1
        return status, found, answer


def _session_cookie(headers: dict[str, str]) -> str:
    """The session cookie's value from a Set-Cookie header (the client keeps one line
    per header name, and the join answer sets only this cookie)."""
    match = re.search(r"jamdat_session=([^;]+)", headers.get("set-cookie", ""))
    if match is None:
        raise RuntimeError(f"the join answer set no session cookie: {headers}")
    return match.group(1)


async def _retry_after(status: int, headers: dict[str, str]) -> bool:
    """Wait as a 429 asks; True when the request should be sent again."""
    if status != 429:
        return False
    await asyncio.sleep(float(headers.get("retry-after", "1")))
    return True


async def participant(
    me: Participant, port: int, code: str, until: float, think: float, post_every: int
) -> None:
    await asyncio.sleep(me.arrives)
    conn = Client(port, me)
    rng = random.Random(me.n)
    while True:
        status, headers, body = await conn.call(
            "POST",
            f"/join/{code}",
            {"username": f"load-{me.n}", "fullname": f"Load Participant {me.n}"},
        )
        if not await _retry_after(status, headers):
            break
    if status != 201:
        raise RuntimeError(f"participant {me.n} could not join: {status} {body[:300]!r}")
    joined = json.loads(body)
    me.user, me.csrf, me.cookie = joined["user"], joined["csrf"], _session_cookie(headers)
    status, headers, body = await conn.call(
        "POST", f"/api/v1/events/{EVENT}/start", {"name": f"Load project {me.n}"}
    )
    if status != 201:
        raise RuntimeError(f"participant {me.n} could not start a project: {status} {body!r}")
    me.slug = json.loads(body)["slug"]
    path = f"/api/v1/events/{EVENT}/projects/{me.slug}"
    etag = headers["etag"]
    seq = 0
    while time.monotonic() < until:
        summary = f"live p{me.n} s{seq}"
        status, headers, body = await conn.call(
            "PATCH", path, {"summary": summary}, {"If-Match": etag}
        )
        if status == 200:
            etag = headers["etag"]
            me.accepted.append(time.monotonic())
            me.last_summary = summary
            seq += 1
        elif status == 412 or await _retry_after(status, headers):
            me.retries += 1
            _, headers, _ = await conn.call("GET", path)
            etag = headers["etag"]
            continue
        if seq % post_every == 0:
            text = f"Update {seq} from participant {me.n}."
            status, headers, body = await conn.call("POST", path + "/activities", {"content": text})
            if status == 201:
                me.posts[json.loads(body)["id"]] = text
        if rng.random() < 0.2:
            _, headers, _ = await conn.call("GET", path)
            etag = headers.get("etag", etag)
            await conn.call("GET", path + "/activities")
        await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
    conn.close()


async def watch(people: list[Participant], out: Path, stop: asyncio.Event) -> None:
    """Poll the project pages on a thread; note when each edit first shows."""
    seen: dict[int, tuple[int, int, int]] = {}
    shown: dict[int, int] = {}

    def poll() -> None:
        now = time.monotonic()
        for me in people:
            if not me.slug:
                continue
            page = out / EVENT / me.slug / "index.html"
            try:
                st = os.stat(page)
                key = (st.st_ino, st.st_mtime_ns, st.st_size)
                if seen.get(me.n) == key:
                    continue
                seen[me.n] = key
                match = MARKER.search(page.read_bytes())
            except FileNotFoundError:
                continue
            if match is None or int(match.group(1)) != me.n:
                continue
            seq = int(match.group(2))
            for s in range(shown.get(me.n, -1) + 1, seq + 1):
                me.live.setdefault(s, now)
            shown[me.n] = max(shown.get(me.n, -1), seq)

    while not stop.is_set():
        await asyncio.to_thread(poll)
        await asyncio.sleep(0.01)


async def run(
    people: list[Participant], port: int, code: str, args: argparse.Namespace, out: Path
) -> float:
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch(people, out, stop))
    began = time.monotonic()
    until = began + args.seconds
    await asyncio.gather(
        *(participant(p, port, code, until, args.think, args.post_every) for p in people)
    )
    ended = time.monotonic()
    deadline = ended + args.settle
    while time.monotonic() < deadline:  # the last edits reach the site
        if all(len(p.live) >= len(p.accepted) for p in people):
            break
        await asyncio.sleep(0.05)
    stop.set()
    await watcher
    return ended - began


def lost(content: Path, people: list[Participant]) -> tuple[list[str], list[str]]:
    """Edits and posts answered 2xx that are not on disk with their value."""
    site = archive.load(content)
    edits: list[str] = []
    posts: list[str] = []
    for p in people:
        project = site.projects.get((EVENT, p.slug)) if p.slug else None
        if p.last_summary and (project is None or project.summary != p.last_summary):
            found = project.summary if project else "no project"
            edits.append(f"{p.slug}: {found!r} instead of {p.last_summary!r}")
        for key, text in p.posts.items():
            activity = next((a for a in site.activities.values() if a.id == key), None)
            if activity is None or activity.content != text or activity.project != p.slug:
                posts.append(f"{key} ({text!r})")
    return edits, posts


def _wait_healthy(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    async def health() -> int:
        conn = Connection("127.0.0.1", port)
        status, _, _ = await conn.request("GET", "/health", {})
        conn.close()
        return status

    for _ in range(600):
        if server.poll() is not None:
            raise SystemExit(f"jamdat api stopped:\n{log.read_text()[-3000:]}")
        try:
            if asyncio.run(health()) == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit("jamdat api did not answer /health within 30 s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    parser.add_argument(
        "--think", type=float, default=1.0, help="Seconds between rounds, on average."
    )
    parser.add_argument("--post-every", type=int, default=5, help="Post every N edits.")
    parser.add_argument(
        "--ramp",
        type=float,
        default=10.0,
        help="Participants arrive evenly over this many seconds (0: all at once).",
    )
    parser.add_argument("--settle", type=float, default=10.0, help="Wait for the last edits.")
    parser.add_argument("--json", type=Path, help="Also write the figures as JSON here.")
    parser.add_argument("--keep", action="store_true", help="Keep the working copy.")
    args = parser.parse_args(argv)
    if not 1 <= args.participants <= 250:
        parser.error("--participants must be between 1 and 250 (one loopback address each)")

    work = Path(tempfile.mkdtemp(prefix="jamdat-live-load-"))
    content, out = work / "content", work / "public"
    shutil.copytree(args.content, content, ignore=shutil.ignore_patterns(".jamdat"))
    env = {**os.environ, "JAMDAT_TOKENS": str(work / "state.sqlite")}
    jamdat = [sys.executable, "-m", "site_builder.cli"]
    subprocess.run(
        [*jamdat, "build", "--content", str(content), "--out", str(out)],
        check=True, capture_output=True, env=env,
    )  # fmt: skip
    link = subprocess.run(
        [*jamdat, "invite", "create", "--content", str(content), "--event", EVENT,
         "--uses", str(args.participants), "--api-url", "http://127.0.0.1/"],
        check=True, capture_output=True, text=True, env=env,
    ).stdout  # fmt: skip
    code = re.search(r"/join/(\S+)", link)
    if code is None:
        raise SystemExit(f"no join link in: {link}")
    port = free_port()
    log_path = work / "api.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [*jamdat, "api", "--content", str(content), "--out", str(out), "--port", str(port),
             "--log-level", "warning"],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    people = [
        Participant(n, f"127.0.0.{n + 2}", args.ramp * n / args.participants)
        for n in range(args.participants)
    ]
    try:
        _wait_healthy(port, server, log_path)
        print(f"{args.participants} participants for {args.seconds:g} s ...", flush=True)
        seconds = asyncio.run(run(people, port, code.group(1), args, out))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)

    lost_edits, lost_posts = lost(content, people)
    statuses: dict[int, int] = {}
    for p in people:
        for status, count in p.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    writes = [x for p in people for x in p.writes]
    setup = [x for p in people for x in p.setup]
    live = [p.live[s] - t for p in people for s, t in enumerate(p.accepted) if s in p.live]
    edits = sum(len(p.accepted) for p in people)
    server_errors = sum(n for s, n in statuses.items() if s >= 500)
    figures: dict[str, object] = {
        "participants": args.participants,
        "seconds": round(seconds, 1),
        "requests": sum(statuses.values()),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "edits_accepted": edits,
        "posts_accepted": sum(len(p.posts) for p in people),
        "retries_412_429": sum(p.retries for p in people),
        "lost_edits": len(lost_edits),
        "lost_posts": len(lost_posts),
        "server_errors": server_errors,
        "ramp_seconds": args.ramp,
        "join_start_p50_ms": round(percentile(setup, 50) * 1000, 1),
        "join_start_p99_ms": round(percentile(setup, 99) * 1000, 1),
        "writes": len(writes),
        "write_p50_ms": round(percentile(writes, 50) * 1000, 1),
        "write_p95_ms": round(percentile(writes, 95) * 1000, 1),
        "write_p99_ms": round(percentile(writes, 99) * 1000, 1),
        "write_max_ms": round(max(writes, default=0) * 1000, 1),
        "live_p50_ms": round(percentile(live, 50) * 1000) if live else None,
        "live_p95_ms": round(percentile(live, 95) * 1000) if live else None,
        "live_max_ms": round(max(live) * 1000) if live else None,
        "never_live": edits - len(live),
    }
    print("\n| measure | value |\n|---|---|")
    for name, value in figures.items():
        print(f"| {name} | {value} |")
    for line in (lost_edits + lost_posts)[:20]:
        print("lost:", line)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    if args.keep:
        print(f"\nworking copy kept in {work} (server log: {log_path})")
    else:
        shutil.rmtree(work)
    return 1 if lost_edits or lost_posts or server_errors else 0


if __name__ == "__main__":
    sys.exit(main())
