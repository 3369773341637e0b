"""Replay recorded forge answers through httpx.MockTransport, like a server would.

Recordings come from `tests/fixtures/forges/` (see its SOURCES.txt). A reply with an
ETag answers `304` to a request that sends it back, as real forges do. Every request is
kept, so tests can check what was sent (conditional headers, tokens) and how often.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from site_builder.sync.limits import Clock

FORGES = Path(__file__).parent / "fixtures" / "forges"
_DROP = {"content-length", "content-encoding", "transfer-encoding", "status", "connection"}


@dataclass
class Reply:
    """One recorded (or made-up) answer."""

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: Iterable[tuple[str, str]] = ()) -> Reply:
        return cls(
            status,
            [("Content-Type", "application/json; charset=utf-8"), *headers],
            json.dumps(data).encode(),
        )

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name.lower()), "")


Answer = Reply | Exception | Callable[[httpx.Request], httpx.Response]


class Forge:
    """A scripted server: URL (without query) -> answers, the last one repeating."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Answer]] = {}
        self.requests: list[httpx.Request] = []

    def add(self, url: str, *answers: Answer) -> Forge:
        self.routes.setdefault(url.split("?", 1)[0], []).extend(answers)
        return self

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = str(request.url.copy_with(query=None))
        answers = self.routes.get(key)
        if not answers:
            return httpx.Response(404, json={"message": "Not Found"})
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        etag = answer.header("etag")
        if answer.status == 200 and etag and request.headers.get("if-none-match") == etag:
            return httpx.Response(
                304, headers=[(k, v) for k, v in answer.headers if k.lower() not in _DROP]
            )
        headers = [(k, v) for k, v in answer.headers if k.lower() not in _DROP]
        return httpx.Response(answer.status, headers=headers, content=answer.body)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def sent(self, url_start: str = "") -> list[httpx.Request]:
        return [r for r in self.requests if str(r.url).startswith(url_start)]


class FakeClock(Clock):
    """Time that only moves when someone sleeps: tests never wait."""

    def __init__(self, now: float = 1_736_236_800.0) -> None:  # 2025-01-07T08:00:00Z
        self.time = now
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.time += seconds


# ---------------------------------------------------------------- recordings


def _headers(pairs: Iterable[Any]) -> list[tuple[str, str]]:
    return [(str(k), str(v)) for k, v in pairs]


def github(name: str) -> Reply:
    """A PyGithub recording (`repo`, `readme`, `commits`, `contributors`) with its headers."""
    meta = json.loads((FORGES / "github" / "response_headers.json").read_text())[f"{name}.json"]
    body = (FORGES / "github" / f"{name}.json").read_bytes()
    return Reply(meta["status"], _headers(meta["response_headers"]), body)


def github_edge(source: str, index: int) -> Reply:
    """One record of `edge_cases.json` (redirects, 304, rate limits)."""
    for record in json.loads((FORGES / "github" / "edge_cases.json").read_text()):
        if record["source_file"].startswith(source) and record["record_index"] == index:
            body = b"" if record["body"] is None else json.dumps(record["body"]).encode()
            return Reply(record["status"], _headers(record["response_headers"]), body)
    raise KeyError((source, index))


def github_edge_request(source: str, index: int) -> dict[str, str]:
    """The request headers a recorded client sent (a Python dict literal in the file)."""
    import ast

    for record in json.loads((FORGES / "github" / "edge_cases.json").read_text()):
        if record["source_file"].startswith(source) and record["record_index"] == index:
            parsed: dict[str, str] = ast.literal_eval(record["request_headers"])
            return parsed
    raise KeyError((source, index))


def http_file(path: str) -> Reply:
    """A recording saved as header lines, a blank line and the body (GitLab)."""
    text = (FORGES / path).read_text(encoding="utf-8")
    head, _, body = text.partition("\n\n")
    headers = [
        tuple(line.split(": ", 1)) if ": " in line else (line.rstrip(":"), "")
        for line in head.splitlines()
        if line.strip()
    ]
    return Reply(200, _headers(headers), body.encode())


def huggingface_redirect() -> tuple[Reply, Reply]:
    """The 307 of a renamed model and the 200 it leads to (body from its own file)."""
    folder = FORGES / "huggingface"
    records = json.loads((folder / "model_redirect_307_and_headers.json").read_text())
    replies = []
    for record in records:
        headers = [(k, v) for k, values in record["headers"].items() for v in values]
        if record["status"]["code"] == 200:
            body = (folder / "model_google-bert_bert-base-uncased.json").read_bytes()
        else:
            body = record["body"].encode()
        replies.append(Reply(record["status"]["code"], headers, body))
    return replies[0], replies[1]


def forgejo_repo() -> dict[str, Any]:
    """A Forgejo repository object (same schema as GET /api/v1/repos/{owner}/{repo})."""
    data = json.loads((FORGES / "gitea_forgejo" / "forgejo_repos_search_page1.json").read_text())
    repo: dict[str, Any] = data["data"][0]
    return repo


def text(path: str) -> str:
    return (FORGES / path).read_text(encoding="utf-8")
