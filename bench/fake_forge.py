"""A fake GitHub API on 127.0.0.1 for the sync benchmark: N repositories, ETags, 304s and
an injected latency per request.

Run: python bench/fake_forge.py --repos 1000 --latency 0.05   (prints `PORT <n>`)
`GET /__bump?count=10` changes the first ten repositories (a new commit, a new README);
`GET /__stats` returns the requests served so far and how many were answered 304.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

OWNER = "jam"
EVENT_DAY = datetime(2024, 3, 2, 10, 0, tzinfo=UTC)
README = """# Repository {i}

![screenshot](docs/screenshot-{i}.png)

This is version {version} of project {i}. See [the guide](docs/GUIDE.md) and the
[licence](LICENSE); badges stay as they are:
[![CI](https://img.shields.io/badge/build-passing-green.svg)](https://ci.example.org/{i})

## Usage

```sh
make run   # [not a link](inside/code.md)
```

{filler}
"""
FILLER = "A paragraph of text about what the team built and why. " * 40


def repo_name(i: int) -> str:
    return f"repo-{i:04d}"


@dataclass
class Forge:
    """The repositories' versions and the answers they give."""

    repos: int
    latency: float
    versions: list[int] = field(default_factory=list)
    served: int = 0
    not_modified: int = 0

    def __post_init__(self) -> None:
        self.versions = [1] * self.repos

    def answer(self, path: str, query: str) -> tuple[int, str, bytes]:
        """(status, etag, JSON body) for a request path."""
        parts = path.strip("/").split("/")
        if path == "/__bump":
            count = int(parse_qs(query).get("count", ["10"])[0])
            for i in range(min(count, self.repos)):
                self.versions[i] += 1
            return 200, "", b"{}"
        if path == "/__stats":
            stats = {"served": self.served, "not_modified": self.not_modified}
            return 200, "", json.dumps(stats).encode()
        if len(parts) < 3 or parts[0] != "repos" or parts[1] != OWNER:
            return 404, "", b'{"message": "Not Found"}'
        try:
            i = int(parts[2].removeprefix("repo-"))
        except ValueError:
            return 404, "", b'{"message": "Not Found"}'
        if not 0 <= i < self.repos:
            return 404, "", b'{"message": "Not Found"}'
        version = self.versions[i]
        rest = parts[3] if len(parts) > 3 else ""
        etag = f'W/"{rest or "repo"}-{i}-{version}"'
        web = f"https://github.com/{OWNER}/{repo_name(i)}"
        body: object
        if rest == "":
            body = {
                "id": 1000 + i,
                "name": repo_name(i),
                "full_name": f"{OWNER}/{repo_name(i)}",
                "html_url": web,
                "description": f"Hackathon project number {i}",
                "homepage": f"https://demo.example.org/{i}",
                "has_issues": True,
                "default_branch": "main",
                "pushed_at": (EVENT_DAY + timedelta(minutes=version)).isoformat(),
                "owner": {"login": OWNER, "avatar_url": "https://avatars.example.org/jam.png"},
                "license": {"spdx_id": "MIT"},
                "topics": ["hackathon"],
            }
        elif rest == "readme":
            text = README.format(i=i, version=version, filler=FILLER)
            body = {
                "name": "README.md",
                "path": "README.md",
                "encoding": "base64",
                "content": base64.b64encode(text.encode()).decode(),
                "html_url": f"{web}/blob/main/README.md",
                "download_url": f"https://raw.githubusercontent.com/{OWNER}/{repo_name(i)}/main/README.md",
            }
        elif rest == "commits":
            body = [
                {
                    "sha": f"{i:08x}{n:032x}",
                    "html_url": f"{web}/commit/{i:08x}{n:032x}",
                    "commit": {
                        "message": f"Commit {n} of project {i}",
                        "author": {
                            "name": "Team",
                            "date": (EVENT_DAY + timedelta(minutes=n)).isoformat(),
                        },
                    },
                    "author": {"login": f"member{n % 4}"},
                }
                for n in range(version + 2)
            ]
        elif rest == "releases":
            body = []
        else:
            return 404, "", b'{"message": "Not Found"}'
        return 200, etag, json.dumps(body).encode()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one keep-alive connection."""
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                target = lines[0].split(" ")[1]
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                await asyncio.sleep(self.latency)
                url = urlsplit(target)
                status, etag, body = self.answer(url.path, url.query)
                self.served += 1
                out = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Other'}"]
                if etag and headers.get("if-none-match") == etag:
                    self.not_modified += 1
                    out[0] = "HTTP/1.1 304 Not Modified"
                    body = b""
                out += [
                    "Content-Type: application/json; charset=utf-8",
                    f"Content-Length: {len(body)}",
                    "X-RateLimit-Limit: 1000000",
                    "X-RateLimit-Remaining: 999999",
                    "X-RateLimit-Reset: 4102444800",
                ]
                if etag:
                    out.append(f"ETag: {etag}")
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode() + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return  # the client closed its connection: nothing left to serve
        finally:
            writer.close()


async def serve(repos: int, latency: float, port: int) -> None:
    forge = Forge(repos, latency)
    server = await asyncio.start_server(forge.handle, "127.0.0.1", port, backlog=1024)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.repos, args.latency, args.port))


if __name__ == "__main__":
    main()
