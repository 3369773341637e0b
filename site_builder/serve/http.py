"""The HTTP side of `jamdat serve`: the built site as a static host serves it (pretty URLs,
the site's 404 page, `_redirects`), plus live reload over server-sent events.

Standard library only (`ThreadingHTTPServer`): one thread per connection is plenty on
127.0.0.1, and each open page's event stream holds one.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import posixpath
import shutil
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from ..archive import contentfs
from ..errors import JamdatError
from ..render import redirects
from . import livereload

KEEPALIVE = 15.0
"""Seconds between comments on an idle event stream, so proxies and browsers keep it."""

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".ics": "text/calendar; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".pdf": "application/pdf",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".zip": "application/zip",
    ".webmanifest": "application/manifest+json",
}

MAX_TARGET = 8192
"""Longest request target answered (414 beyond): no page of a site has an address near it."""

NOT_FOUND = b"<!doctype html>\n<title>Not found</title>\n<h1>Not found</h1>\n</body>\n"
"""Served for misses before the site has a 404 page (a first build that failed)."""


class RuleBook:
    """The site's `_redirects`, read again when the file changes: path rules by source,
    `/*` rules by prefix. As on Netlify, a rule applies where no file exists unless forced
    (`301!`); an exact rule wins over a splat, a longer prefix over a shorter one."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._file = root / redirects.PATH
        self._stat: tuple[int, int, int] | None = None
        self._exact: dict[str, redirects.Rule] = {}
        self._prefix: dict[str, redirects.Rule] = {}
        self._lock = threading.Lock()

    def _load(self) -> None:
        try:
            st = os.lstat(self._file)
            key: tuple[int, int, int] | None = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            key = None
        if key == self._stat:
            return
        exact: dict[str, redirects.Rule] = {}
        prefix: dict[str, redirects.Rule] = {}
        try:  # as every file served: never through a link (the build writes none)
            data = contentfs.read_optional(self._root, redirects.PATH) or b""
        except JamdatError:
            data = b""
        text = data.decode("utf-8", "replace")
        for rule in redirects.parse(text):
            if not rule.source.startswith("/") or not 300 <= rule.status < 400:
                continue  # other hosts' rules, rewrites and errors are for the real host
            if rule.source.endswith("/*"):
                prefix.setdefault(rule.source[:-1], rule)
            else:
                exact.setdefault(rule.source.rstrip("/") or "/", rule)
        self._exact, self._prefix, self._stat = exact, prefix, key

    def find(self, full: str) -> redirects.Rule | None:
        """The rule for the request path `full` (`/x/y/`), `:splat` filled in."""
        with self._lock:
            self._load()
            exact, prefix = self._exact, self._prefix
        if not exact and not prefix:
            return None
        rule = exact.get(full.rstrip("/") or "/")
        if rule is not None:
            return rule
        cut = len(full)
        while cut > 0:
            cut = full.rfind("/", 0, cut)
            if cut < 0:
                break
            found = prefix.get(full[: cut + 1])
            if found is not None:
                splat = full[cut + 1 :]
                return dataclasses.replace(found, target=found.target.replace(":splat", splat))
        return None


@dataclass(slots=True)
class SiteMount:
    """What the server serves: the output folder at the site's base path, the live-reload
    hub when reloading, and extra response headers (a CSP, say)."""

    root: Path
    base_path: Callable[[], str] = lambda: "/"
    hub: livereload.Hub | None = None
    headers: dict[str, str] = field(default_factory=dict)
    rules: RuleBook = field(init=False)

    def __post_init__(self) -> None:
        self.rules = RuleBook(self.root)


def content_type(path: str) -> str:
    return TYPES.get(posixpath.splitext(path)[1].lower(), "application/octet-stream")


class SiteHandler(BaseHTTPRequestHandler):
    """GET and HEAD for the site; the live-reload endpoints under `/__jamdat/`."""

    protocol_version = "HTTP/1.1"
    server_version = "jamdat-serve"
    timeout = 60
    mount: SiteMount

    def log_message(self, format: str, *args: object) -> None:
        """Requests are not logged: the terminal is for build news."""

    def do_HEAD(self) -> None:
        self._handle(body=False)

    def do_GET(self) -> None:
        self._handle(body=True)

    def _handle(self, body: bool) -> None:
        try:
            self._route(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the browser went away mid-response

    def _route(self, body: bool) -> None:
        if len(self.path) > MAX_TARGET:
            data = b"address too long\n"
            self._send(HTTPStatus.REQUEST_URI_TOO_LONG, "text/plain; charset=utf-8", data, body)
            return
        target, _, query = self.path.partition("?")
        if not target.startswith("/"):  # absolute form: http://host/path
            parts = urlsplit(self.path)
            target, query = parts.path or "/", parts.query
        path = unquote(target.partition("#")[0])
        if path.startswith(livereload.PREFIX) and self.mount.hub is not None:
            self._live(path, body)
            return
        base = self.mount.base_path()
        if not path.startswith(base):
            rule = self.mount.rules.find(path)
            if path in ("/", base.rstrip("/")):
                self._redirect(base, HTTPStatus.FOUND)
            elif rule is not None:
                self._redirect(rule.target, rule.status)
            else:
                self._not_found(body)
            return
        rel = path[len(base) :]
        page = rel + "index.html" if rel == "" or rel.endswith("/") else rel
        found = self._open(page)
        try:
            if found is not None and stat.S_ISDIR(os.fstat(found).st_mode):
                if page != rel:  # a folder named index.html: nothing to serve
                    self._not_found(body)
                    return
                suffix = f"?{query}" if query else ""
                self._redirect(f"{quote(path)}/{suffix}", HTTPStatus.MOVED_PERMANENTLY)
                return
            rule = self.mount.rules.find(path)
            if rule is not None and (rule.force or found is None):
                self._redirect(rule.target, rule.status)
            elif found is not None:
                self._file(found, page, HTTPStatus.OK, body)
            else:
                self._not_found(body)
        finally:
            if found is not None:
                os.close(found)

    def _open(self, rel: str) -> int | None:
        """A descriptor of the file or folder `rel` of the site, or None when there is none.
        Only what is inside the output folder is found: `..`, empty and `\\` parts, NUL
        and symbolic links (the build writes none) are not (see `contentfs`)."""
        if "\\" in rel:
            return None
        try:
            return contentfs.open_beneath(self.mount.root, rel)
        except (JamdatError, OSError, ValueError):
            return None

    def _not_found(self, body: bool) -> None:
        found = self._open("404.html")
        try:
            if found is not None and stat.S_ISREG(os.fstat(found).st_mode):
                self._file(found, "404.html", HTTPStatus.NOT_FOUND, body)
                return
        finally:
            if found is not None:
                os.close(found)
        self._send(HTTPStatus.NOT_FOUND, "text/html; charset=utf-8", NOT_FOUND, body)

    def _file(self, fd: int, name: str, status: HTTPStatus, body: bool) -> None:
        """Send the open file `fd` (the caller closes it), HTML with the live-reload script."""
        kind = content_type(name)
        with open(fd, "rb", closefd=False) as handle:
            if kind.startswith("text/html"):
                self._send(status, kind, handle.read(), body)
                return
            size = os.fstat(handle.fileno()).st_size
            self.send_response(status)
            self._headers(kind, size)
            if body:
                shutil.copyfileobj(handle, self.wfile)

    def _send(self, status: HTTPStatus, kind: str, data: bytes, body: bool) -> None:
        hub = self.mount.hub
        if hub is not None and kind.startswith("text/html"):
            data = livereload.inject(data, hub.snapshot().generation)
        self.send_response(status)
        self._headers(kind, len(data))
        if body:
            self.wfile.write(data)

    def _headers(self, kind: str, length: int) -> None:
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in self.mount.headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _redirect(self, location: str, status: int) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _live(self, path: str, body: bool) -> None:
        """The live-reload script and the build-news stream."""
        if path == livereload.SCRIPT_URL:
            data = livereload.SCRIPT.encode()
            self.send_response(HTTPStatus.OK)
            self._headers("text/javascript; charset=utf-8", len(data))
            if body:
                self.wfile.write(data)
        elif path == livereload.EVENTS_URL and body:
            self._stream()
        else:
            self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found\n", body)

    def _stream(self) -> None:
        """Server-sent events: `hello` with the current state, then each build's news."""
        hub = self.mount.hub
        assert hub is not None
        self.close_connection = True
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        now = hub.snapshot()
        hello = {"generation": now.generation, "error": now.error}
        self.wfile.write(b"retry: 500\n\n" + livereload.sse("hello", hello))
        self.wfile.flush()
        seq = now.seq
        while not hub.closed:
            notice = hub.wait(seq, KEEPALIVE)
            if notice is None:
                self.wfile.write(b": keep-alive\n\n")
            else:
                seq = notice.seq
                self.wfile.write(notice.event())
            self.wfile.flush()


class DevServer(ThreadingHTTPServer):
    """A threading HTTP server whose handlers serve one `SiteMount`."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], mount: SiteMount) -> None:
        handler = type("MountedHandler", (SiteHandler,), {"mount": mount})
        super().__init__(address, handler)
        self.mount = mount

    @property
    def is_loopback(self) -> bool:
        """True when only this machine can connect (the address bound is a loopback one)."""
        host = self.server_address[0]
        shown = host if isinstance(host, str) else host.decode()
        try:
            return ipaddress.ip_address(shown.split("%")[0]).is_loopback
        except ValueError:
            return False

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = host if isinstance(host, str) else host.decode()
        if ":" in shown:
            shown = f"[{shown}]"
        return f"http://{shown}:{port}{self.mount.base_path()}"
