"""Delivering notifications in the background, so that no edit ever waits for a webhook.

`Notifier.send` only puts the event on a bounded queue (dropping it with a warning when
the queue is full); one worker thread posts it to every target that wants it, retrying
timeouts, connection errors, 5xx and 429 answers with exponential backoff and jitter
(a Retry-After, or Discord's `retry_after`, is honoured), at most `attempts` times, then
logs that it gave up. Logs name a target by kind and variable, never by its URL, which
is a secret; a filter keeps the URLs out of httpx's own request log too.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import queue
import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from .. import __version__
from .event import Event
from .payloads import payload
from .settings import NotifyTarget

log = logging.getLogger("jamdat.notify")

SIGNATURE_HEADER = "X-Jamdat-Signature"
_STOP = object()


@dataclass(frozen=True, slots=True)
class Webhook:
    """A target with its secrets, read from the environment (kept out of reprs)."""

    target: NotifyTarget
    url: str = field(repr=False)
    secret: bytes | None = field(default=None, repr=False)


def signature(secret: bytes, body: bytes) -> str:
    """The `X-Jamdat-Signature` header value: `sha256=` and the body's HMAC in hex."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def resolve(targets: Iterable[NotifyTarget], env: Mapping[str, str] | None = None) -> list[Webhook]:
    """The targets whose variables are set; a warning for each one that is not (its
    notifications are off, the server runs on)."""
    env = os.environ if env is None else env
    hooks = []
    for t in targets:
        url = env.get(t.url_env, "").strip()
        if not url:
            log.warning("site.yaml notify: %s is not set, so the %s is off", t.url_env, t.kind)
            continue
        if not url.startswith(("https://", "http://")):
            log.warning(
                "site.yaml notify: %s must hold an http(s) URL, so the %s is off",
                t.url_env,
                t.kind,
            )
            continue
        secret = None
        if t.secret_env:
            key = env.get(t.secret_env, "")
            if not key:
                log.warning(
                    "site.yaml notify: %s is not set, so the %s (which should be signed) is off",
                    t.secret_env,
                    t.kind,
                )
                continue
            secret = key.encode("utf-8")
        hooks.append(Webhook(t, url, secret))
    return hooks


class _Redact(logging.Filter):
    """Replaces webhook URLs in log records (httpx logs every request's URL at INFO)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "[webhook URL]")
            record.msg, record.args = message, None
        return True


class Notifier:
    """Sends events to webhooks from a worker thread (see the module docstring)."""

    def __init__(
        self,
        hooks: Iterable[Webhook] = (),
        *,
        attempts: int = 5,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        max_wait: float = 300.0,
        timeout: float = 10.0,
        queue_size: int = 1000,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.hooks = list(hooks)
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_wait = max_wait
        self.timeout = timeout
        self.transport = transport
        self.delivered = 0
        self.failed = 0
        self._queue: queue.Queue[tuple[Webhook, Event] | object] = queue.Queue(queue_size)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        urls = [h.url for h in self.hooks]
        self._redact = _Redact([*urls, *(str(httpx.URL(u)) for u in urls)])

    def send(self, event: Event) -> None:
        """Queue `event` for every target that wants its kind; returns at once."""
        for hook in self.hooks:
            if event.kind not in hook.target.events:
                continue
            try:
                self._queue.put_nowait((hook, event))
            except queue.Full:
                log.warning(
                    "notification queue full: %s not sent to the %s", event.kind, hook.target.label
                )

    def start(self) -> None:
        if self._thread is None and self.hooks:
            for name in ("httpx", "httpcore"):
                logging.getLogger(name).addFilter(self._redact)
            self._thread = threading.Thread(target=self._run, name="jamdat-notify", daemon=True)
            self._thread.start()

    def close(self, timeout: float = 5.0) -> None:
        """Send what is queued within `timeout` seconds (no more retries), then stop."""
        thread = self._thread
        if thread is None:
            return
        with contextlib.suppress(queue.Full):
            self._queue.put(_STOP, timeout=timeout)
        thread.join(timeout)
        self._stopping.set()
        thread.join(self.timeout)
        self._thread = None
        for name in ("httpx", "httpcore"):
            logging.getLogger(name).removeFilter(self._redact)

    def _run(self) -> None:
        with httpx.Client(
            timeout=self.timeout,
            transport=self.transport,
            follow_redirects=False,
            headers={"User-Agent": f"jamdat/{__version__}"},
        ) as client:
            while True:
                job = self._queue.get()
                if not isinstance(job, tuple):
                    return
                hook, event = job
                try:
                    self._deliver(client, hook, event)
                except Exception as exc:  # never let one bad delivery stop the worker
                    log.error(
                        "%s to the %s failed: %s", event.kind, hook.target.label, type(exc).__name__
                    )
                    self.failed += 1

    def _deliver(self, client: httpx.Client, hook: Webhook, event: Event) -> None:
        body = json.dumps(payload(hook.target.kind, event), ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if hook.target.kind == "json":
            headers["X-Jamdat-Event"] = event.kind
            headers["X-Jamdat-Delivery"] = event.id
            if hook.secret is not None:
                headers[SIGNATURE_HEADER] = signature(hook.secret, body)
        what = f"{event.kind} to the {hook.target.label}"
        reason = ""
        for attempt in range(1, self.attempts + 1):
            wait: float | None = None
            try:
                response = client.post(hook.url, content=body, headers=headers)
            except httpx.TimeoutException:
                reason = "timed out"
            except httpx.TransportError as exc:
                reason = f"could not connect ({type(exc).__name__})"
            else:
                status = response.status_code
                if status < 300:
                    self.delivered += 1
                    if attempt > 1:
                        log.info("%s delivered at attempt %d", what, attempt)
                    return
                reason = f"answered {status}"
                if status not in (408, 429) and status < 500:
                    log.error("%s refused (%s): not retried", what, reason)
                    self.failed += 1
                    return
                wait = _retry_after(response)
            if attempt == self.attempts:
                break
            if wait is None:
                ceiling = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
                wait = ceiling / 2 + random.uniform(0, ceiling / 2)
            if wait > self.max_wait:
                log.error(
                    "%s: asked to wait %.0f s, more than %.0f s: given up",
                    what,
                    wait,
                    self.max_wait,
                )
                self.failed += 1
                return
            log.warning(
                "%s %s (attempt %d of %d): retrying in %.1f s",
                what,
                reason,
                attempt,
                self.attempts,
                wait,
            )
            if self._stopping.wait(wait):
                reason += ", and the server is stopping"
                break
        log.error("%s given up after %d attempt(s): %s", what, attempt, reason)
        self.failed += 1


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait from a 429/503 answer: Discord's JSON `retry_after`, else the
    Retry-After header (seconds or an HTTP date); None when it says nothing."""
    if response.headers.get("content-type", "").startswith("application/json"):
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("retry_after"), (int, float)):
            return max(0.0, float(data["retry_after"]))
    header = response.headers.get("retry-after", "").strip()
    if not header:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
