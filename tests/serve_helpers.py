"""Clients for `jamdat serve` in tests: plain HTTP requests and a server-sent events reader."""

from __future__ import annotations

import http.client
import json
import queue
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: str


def get(url: str, path: str) -> Reply:
    """GET `path` from the server at `url`, without following redirects."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read().decode("utf-8", "replace")
        headers = {k.lower(): v for k, v in response.getheaders()}
        return Reply(response.status, headers, body)
    finally:
        conn.close()


class EventStream:
    """Reads `/__jamdat/events` in a thread; `next()` returns (event, data) pairs in order."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self._conn = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port, timeout=30
        )
        self._conn.request("GET", "/__jamdat/events")
        self._response = self._conn.getresponse()
        assert self._response.status == 200
        assert self._response.getheader("Content-Type", "").startswith("text/event-stream")
        self._events: queue.Queue[tuple[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        kind, data = "message", ""
        try:
            for raw in self._response:
                line = raw.decode("utf-8").rstrip("\n")
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    data += line[6:]
                elif line == "" and data:
                    self._events.put((kind, json.loads(data)))
                    kind, data = "message", ""
        except (OSError, ValueError):
            return  # the stream was closed: the test is over

    def next(self, timeout: float = 10.0) -> tuple[str, Any]:
        return self._events.get(timeout=timeout)

    def until(self, kind: str, timeout: float = 10.0) -> Any:
        """The data of the next event of `kind`, skipping others."""
        while True:
            got, data = self.next(timeout)
            if got == kind:
                return data

    def close(self) -> None:
        self._conn.close()
