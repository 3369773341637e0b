"""Live reload for `jamdat serve`: build news for server-sent event streams, and the small
script the dev server adds to every HTML page it serves (never to the files in `public/`).

The script is an external file under the server's own origin, so it runs under the same
strict Content-Security-Policy as the site; it styles its error overlay through the CSSOM,
which `style-src` does not restrict.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

PREFIX = "/__jamdat/"
"""URL prefix of the dev server's own endpoints; never a path of the site."""
SCRIPT_URL = PREFIX + "live.js"
EVENTS_URL = PREFIX + "events"


@dataclass(frozen=True, slots=True)
class Notice:
    """One piece of build news: `reload` after a good build, `failed` after a bad one."""

    seq: int
    kind: str
    generation: int
    error: str | None = None
    written: tuple[str, ...] = ()

    def event(self) -> bytes:
        """The notice as one server-sent event."""
        data = {"generation": self.generation, "error": self.error, "written": self.written[:50]}
        return sse(self.kind, data)


def sse(kind: str, data: object) -> bytes:
    """A server-sent event with a JSON payload (JSON has no raw newlines to split)."""
    return f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The build state a new page or stream starts from."""

    seq: int
    generation: int
    error: str | None


class Hub:
    """Build news for any number of waiting streams: each build's outcome replaces the last,
    so a stream that was busy gets the newest state, never a backlog."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._latest: Notice | None = None
        self._generation = 0
        self._error: str | None = None
        self._closed = False

    def snapshot(self) -> Snapshot:
        with self._cond:
            seq = self._latest.seq if self._latest else 0
            return Snapshot(seq, self._generation, self._error)

    @property
    def closed(self) -> bool:
        return self._closed

    def built(self, written: list[str]) -> Notice | None:
        """A good build: pages reload when it changed files or cleared an error."""
        with self._cond:
            if not written and self._error is None and self._generation > 0:
                return None
            self._generation += 1
            self._error = None
            return self._post("reload", tuple(written))

    def failed(self, message: str) -> Notice:
        """A failed build: pages show `message` over the last good site."""
        with self._cond:
            self._error = message
            return self._post("failed", ())

    def _post(self, kind: str, written: tuple[str, ...]) -> Notice:
        seq = self._latest.seq + 1 if self._latest else 1
        self._latest = Notice(seq, kind, self._generation, self._error, written)
        self._cond.notify_all()
        return self._latest

    def wait(self, seq: int, timeout: float) -> Notice | None:
        """The newest notice after `seq`, or None when `timeout` passed or the hub closed."""
        with self._cond:
            self._cond.wait_for(
                lambda: self._closed or (self._latest is not None and self._latest.seq > seq),
                timeout,
            )
            if self._closed or self._latest is None or self._latest.seq <= seq:
                return None
            return self._latest

    def close(self) -> None:
        """End every stream (the server is stopping)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()


def script_tag(generation: int) -> bytes:
    """The tag added before `</body>` of served pages; it knows the build it came from."""
    return (
        f'<script src="{SCRIPT_URL}" data-events="{EVENTS_URL}" '
        f'data-generation="{generation}" defer></script>\n'
    ).encode()


def inject(html: bytes, generation: int) -> bytes:
    """`html` with the live-reload script before its last `</body>` (or at the end)."""
    tag = script_tag(generation)
    at = html.lower().rfind(b"</body>")
    if at < 0:
        return html + tag
    return html[:at] + tag + html[at:]


SCRIPT = """\
/* jamdat serve: reload on rebuild, show build errors over the page. */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || !window.EventSource) return;
  var generation = me.getAttribute("data-generation");
  var box = null;

  function hide() {
    if (box) { box.remove(); box = null; }
  }

  function show(message) {
    hide();
    box = document.createElement("div");
    box.id = "jamdat-build-error";
    box.setAttribute("role", "alert");
    var s = box.style;
    s.position = "fixed"; s.left = "0"; s.right = "0"; s.top = "0"; s.bottom = "0";
    s.zIndex = "2147483647"; s.overflow = "auto"; s.padding = "2rem";
    s.background = "rgba(24, 24, 27, 0.94)"; s.color = "#fafafa";
    s.font = "14px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";
    var title = document.createElement("strong");
    title.textContent = "Build failed. This page is the last good build; fix the error and save.";
    title.style.display = "block";
    title.style.color = "#fca5a5";
    var pre = document.createElement("pre");
    pre.textContent = message;
    pre.style.whiteSpace = "pre-wrap";
    pre.style.margin = "1rem 0";
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "Dismiss";
    close.addEventListener("click", hide);
    box.append(title, pre, close);
    document.body.appendChild(box);
  }

  function payload(event) {
    return JSON.parse(event.data);
  }

  var source = new EventSource(me.getAttribute("data-events"));
  source.addEventListener("hello", function (event) {
    var d = payload(event);
    if (String(d.generation) !== generation) location.reload();
    else if (d.error) show(d.error);
    else hide();
  });
  source.addEventListener("reload", function (event) {
    if (String(payload(event).generation) !== generation) location.reload();
  });
  source.addEventListener("failed", function (event) {
    show(payload(event).error);
  });
})();
"""
