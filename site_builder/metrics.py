"""The API's Prometheus metrics: requests, edits, builds and syncs, with durations and
outcomes. One `Metrics` per app, each with its own registry, so that several apps in one
process (tests) keep separate counts. Free of web imports: whatever runs builds or syncs
records them here with `metrics.build(...)` / `metrics.sync(...)`."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

CONTENT_TYPE = "text/plain; version=0.0.4"
"""The Prometheus text format's media type, the one every scraper reads (the web
framework adds the charset)."""

_FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
"""Request buckets: the write goal is a p99 of 50 ms."""
_SLOW = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
"""Build and sync buckets: from an incremental build to a whole event's sync."""


def status_class(status: int) -> str:
    """`2xx`, `4xx` ...: the label for a response status."""
    return f"{status // 100}xx"


class Metrics:
    """Counters and histograms of one API app, in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "jamdat_http_requests",
            "HTTP requests answered, by method, route template and status class.",
            ("method", "route", "status"),
            registry=r,
        )
        self.request_seconds = Histogram(
            "jamdat_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ("method", "route"),
            buckets=_FAST,
            registry=r,
        )
        self.edits = Counter(
            "jamdat_edits",
            "Edits submitted, by kind (the operation) and outcome: saved, unchanged, "
            "refused (4xx) or failed.",
            ("kind", "outcome"),
            registry=r,
        )
        self.builds = Counter(
            "jamdat_builds",
            "Site builds, by outcome: succeeded or failed.",
            ("outcome",),
            registry=r,
        )
        self.build_seconds = Histogram(
            "jamdat_build_duration_seconds",
            "Time a site build took.",
            ("outcome",),
            buckets=_SLOW,
            registry=r,
        )
        self.syncs = Counter(
            "jamdat_syncs",
            "Sync runs, by outcome (e.g. succeeded, failed).",
            ("outcome",),
            registry=r,
        )
        self.sync_seconds = Histogram(
            "jamdat_sync_duration_seconds",
            "Time a sync run took.",
            ("outcome",),
            buckets=_SLOW,
            registry=r,
        )

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, status_class(status)).inc()
        self.request_seconds.labels(method, route).observe(seconds)

    def edit(self, kind: str, outcome: str) -> None:
        self.edits.labels(kind, outcome).inc()

    def build(self, outcome: str, seconds: float) -> None:
        self.builds.labels(outcome).inc()
        self.build_seconds.labels(outcome).observe(seconds)

    def sync(self, outcome: str, seconds: float) -> None:
        self.syncs.labels(outcome).inc()
        self.sync_seconds.labels(outcome).observe(seconds)

    def text(self) -> bytes:
        """Everything in the Prometheus text format."""
        return generate_latest(self.registry)
