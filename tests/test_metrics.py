"""`/metrics`: Prometheus text that counts requests by route template, edits, builds
and syncs; readable with the metrics token or an organiser's token, nobody else's."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from api_helpers import ApiEnv, etag_of, make_env, project_url
from litestar import Litestar
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families
from webhook_receiver import Receiver

from site_builder.render.build import build_site

TOKEN = "scrape-me-0123456789"


def _samples(client: TestClient[Litestar]) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def _value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def _wait_build(client: TestClient[Litestar]) -> dict[str, object]:
    for _ in range(500):
        latest: dict[str, object] = client.get("/api/v1/builds/latest").json()
        if latest["status"] in ("succeeded", "failed") and not latest["pending"]:
            return latest
        time.sleep(0.02)
    raise AssertionError("no build finished")


def test_requests_edits_and_builds_are_counted(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    build_site(env.content, env.out)
    with env.client(build=True, metrics_token=TOKEN) as client:
        before = _samples(client)
        for _ in range(3):
            assert client.get(project_url()).status_code == 200
        assert client.get("/no/such/page/abc").status_code == 404
        url = project_url()
        ok = client.patch(
            url,
            json={"summary": "Counted"},
            headers={**env.auth("member"), "If-Match": etag_of(client, url)},
        )
        assert ok.status_code == 200
        stale = client.patch(
            url, json={"summary": "Stale"}, headers={**env.auth("member"), "If-Match": '"stale"'}
        )
        assert stale.status_code == 412
        assert _wait_build(client)["status"] == "succeeded"
        after = _samples(client)
    route = "/api/v1/events/{event}/projects/{slug}"
    reads = _value(after, "jamdat_http_requests_total", method="GET", route=route, status="2xx")
    assert (
        reads
        - _value(before, "jamdat_http_requests_total", method="GET", route=route, status="2xx")
        >= 4
    )  # three reads and the ETag's
    assert (
        _value(after, "jamdat_http_requests_total", method="PATCH", route=route, status="4xx") == 1
    )
    assert (
        _value(after, "jamdat_http_requests_total", method="GET", route="unmatched", status="4xx")
        == 1
    )
    assert not any("abc" in dict(labels).get("route", "") for _, labels in after)
    assert (
        _value(after, "jamdat_http_request_duration_seconds_count", method="PATCH", route=route)
        == 2
    )
    assert _value(after, "jamdat_edits_total", kind="update_project", outcome="saved") == 1
    assert _value(after, "jamdat_edits_total", kind="update_project", outcome="refused") == 1
    assert _value(after, "jamdat_builds_total", outcome="succeeded") >= 1
    assert _value(after, "jamdat_build_duration_seconds_count", outcome="succeeded") >= 1
    assert _value(after, "jamdat_builds_total", outcome="failed") == 0


def test_a_recorded_sync_shows_up(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    with env.client(metrics_token=TOKEN) as client:
        client.app.state["jamdat"].metrics.sync("failed", 2.5)
        samples = _samples(client)
    assert _value(samples, "jamdat_syncs_total", outcome="failed") == 1
    assert _value(samples, "jamdat_sync_duration_seconds_sum", outcome="failed") == 2.5


def test_two_apps_count_apart(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    with env.client(metrics_token=TOKEN) as one, env.client(metrics_token=TOKEN) as two:
        one.get("/health")
        one.get("/health")
        two.get("/health")
        a, b = _samples(one), _samples(two)
    health = {"method": "GET", "route": "/health", "status": "2xx"}
    assert _value(a, "jamdat_http_requests_total", **health) == 2
    assert _value(b, "jamdat_http_requests_total", **health) == 1


def _status(env: ApiEnv, headers: dict[str, str], **settings: str) -> tuple[int, str]:
    with env.client(**settings) as client:
        response = client.get("/metrics", headers=headers)
        return response.status_code, response.text


def test_who_may_read_metrics(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    assert _status(env, {})[0] == 401
    assert _status(env, {}, metrics_token=TOKEN)[0] == 401
    assert _status(env, {"Authorization": "Bearer wrong"}, metrics_token=TOKEN)[0] == 401
    status, text = _status(env, env.auth("member"))
    assert status == 403 and "only organisers" in text
    assert _status(env, env.auth("organiser"))[0] == 200
    assert _status(env, {"Authorization": f"Bearer {TOKEN}"}, metrics_token=TOKEN)[0] == 200
    # Without a configured token, an empty or guessed one never matches.
    assert _status(env, {"Authorization": "Bearer "})[0] == 401


def test_a_failed_build_is_counted_and_announced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = make_env(tmp_path)
    build_site(env.content, env.out)
    broken = env.root / "templates" / "project.html"
    broken.parent.mkdir()
    broken.write_text("{% if %}broken{% endif %}\n", encoding="utf-8")
    site_yaml = env.content / "site.yaml"
    with site_yaml.open("a", encoding="utf-8") as f:
        f.write("notify:\n  - {kind: json, url_env: JAMDAT_TEST_HOOK, events: [build_failed]}\n")
    with Receiver() as receiver:
        monkeypatch.setenv("JAMDAT_TEST_HOOK", receiver.url())
        with env.client(build=True, metrics_token=TOKEN) as client:
            url = project_url()
            response = client.patch(
                url,
                json={"summary": "Never shown"},
                headers={**env.auth("member"), "If-Match": etag_of(client, url)},
            )
            assert response.status_code == 200
            assert _wait_build(client)["status"] == "failed"
            samples = _samples(client)
            (got,) = receiver.wait_for(1)
    assert _value(samples, "jamdat_builds_total", outcome="failed") == 1
    body = json.loads(got.body)
    assert body["event"] == "build_failed"
    assert body["title"].startswith("Build failed:") and "project.html" in body["text"]
