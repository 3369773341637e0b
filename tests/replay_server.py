"""A loopback HTTP server (127.0.0.1, stdlib, one thread per request) that answers recorded
responses by path, for tests of code that talks to Dribdat servers and image hosts."""

from __future__ import annotations

import threading
import time
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


NOT_FOUND = Answer(b"<!doctype html><title>404 Not Found</title>", "text/html", 404)


class Replay:
    """`with Replay({"/api/events.json": Answer(...)}) as server:` then `server.url`.
    Paths are matched without their query; `requests` lists what was asked, in order,
    and `most_at_once` the highest number of requests in flight together."""

    def __init__(self, routes: dict[str, Answer], delay: float = 0.0) -> None:
        self.routes = routes
        self.delay = delay
        self.requests: list[str] = []
        self.most_at_once = 0
        self._now = 0
        self._lock = threading.Lock()
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
                    answer = replay.routes.get(urlsplit(self.path).path, NOT_FOUND)
                    self.send_response(answer.status)
                    self.send_header("Content-Type", answer.content_type)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                finally:
                    with replay._lock:
                        replay._now -= 1

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: tests read `requests` instead."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

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
