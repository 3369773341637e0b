"""A loopback HTTP server (127.0.0.1, stdlib, one thread per request) that answers recorded
responses by path, for tests of code that talks to Dribdat servers and image hosts."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Answer:
    """One recorded response."""

    body: bytes = b""
    content_type: str = "application/json"
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    """More response headers, e.g. `(("Retry-After", "1"),)`."""


NOT_FOUND = Answer(b"<!doctype html><title>404 Not Found</title>", "text/html", 404)


Route = Answer | list[Answer]
"""One answer, or answers given in turn (the last one repeats): a server that fails first."""


class Replay:
    """`with Replay({"/api/events.json": Answer(...)}) as server:` then `server.url`.
    Paths are matched without their query; `requests` lists what was asked, in order,
    and `most_at_once` the highest number of requests in flight together."""

    def __init__(self, routes: Mapping[str, Route], delay: float = 0.0) -> None:
        self.routes = routes
        self.delay = delay
        self.requests: list[str] = []
        self.most_at_once = 0
        self._now = 0
        self._lock = threading.Lock()
        self._served: dict[str, int] = {}
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with replay._lock:
                    replay.requests.append(self.path)
                    replay._now += 1
                    replay.most_at_once = max(replay.most_at_once, replay._now)
                try:
                    if replay.delay:
                        time.sleep(replay.delay)
                    answer = replay.answer(urlsplit(self.path).path)
                finally:
                    # Counted out before the first byte is sent: once the client has the
                    # answer it may start its next request, which must not overlap this one.
                    with replay._lock:
                        replay._now -= 1
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                for name, value in answer.headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: tests read `requests` instead."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def answer(self, path: str) -> Answer:
        """The answer for `path` now: the next of a list, its last one once all were given."""
        route = self.routes.get(path, NOT_FOUND)
        if isinstance(route, Answer):
            return route
        with self._lock:
            turn = self._served.get(path, 0)
            self._served[path] = turn + 1
        return route[min(turn, len(route) - 1)]

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Replay:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
