"""The HTTP layer of sync against recorded forge answers: caching, redirects, rate limits,
retries, the circuit breaker and every way an answer can be broken."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from forge_replay import FakeClock, Forge, Reply, github, github_edge, github_edge_request

from site_builder.sync.cache import CachedResponse, HttpCache
from site_builder.sync.http import Fetched, FetchError, HostAccess, Http, HttpOptions, RateLimited

T = TypeVar("T")
API = "https://api.github.com"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def client(
    forge: Forge,
    clock: FakeClock | None = None,
    cache: HttpCache | None = None,
    access: dict[str, HostAccess] | None = None,
    **options: Any,
) -> Http:
    return Http(
        HttpOptions(**options),
        cache=cache,
        access=access,
        transport=forge.transport,
        clock=clock or FakeClock(),
        rng=random.Random(7),
    )


async def get(http: Http, url: str) -> Fetched:
    async with http:
        return await http.get(url)


async def get_all(http: Http, *urls: str) -> list[Fetched | FetchError]:
    out: list[Fetched | FetchError] = []
    async with http:
        for url in urls:
            try:
                out.append(await http.get(url))
            except FetchError as exc:
                out.append(exc)
    return out


def test_second_request_is_conditional_and_304_comes_from_the_cache(tmp_path: Path) -> None:
    forge = Forge().add(f"{API}/repos/PyGithub/PyGithub", github("repo"))
    cache = HttpCache(tmp_path / "cache.sqlite")
    first = run(get(client(forge, cache=cache), f"{API}/repos/PyGithub/PyGithub"))
    cache.close()
    second = run(
        get(
            client(forge, cache=HttpCache(tmp_path / "cache.sqlite")),
            f"{API}/repos/PyGithub/PyGithub",
        )
    )

    assert not first.not_modified and first.json()["full_name"] == "PyGithub/PyGithub"
    request = forge.requests[-1]
    assert request.headers["if-none-match"] == github("repo").header("etag")
    assert request.headers["if-modified-since"] == "Mon, 06 Jan 2025 21:35:40 GMT"
    assert second.not_modified and second.body == first.body


def test_conditional_request_matches_the_recorded_304(tmp_path: Path) -> None:
    recorded = github_edge("ConditionalRequestUpdate", 0)
    sent = github_edge_request("ConditionalRequestUpdate", 0)
    url = f"{API}/repos/akfish/PyGithub"
    cache = HttpCache(tmp_path / "cache.sqlite")
    cache.put(
        CachedResponse(
            url,
            recorded.header("etag"),
            recorded.header("last-modified"),
            "application/json",
            url,
            b'{"name": "PyGithub"}',
        )
    )
    forge = Forge().add(url, recorded)

    fetched = run(get(client(forge, cache=cache), url))

    assert forge.requests[0].headers["if-none-match"] == sent["If-None-Match"]
    assert forge.requests[0].headers["if-modified-since"] == sent["If-Modified-Since"]
    assert fetched.not_modified and fetched.json() == {"name": "PyGithub"}


def test_301_is_followed_and_the_new_url_recorded() -> None:
    forge = Forge()
    forge.add(
        f"{API}/repos/protoncoin/protoncoin",
        github_edge("Repository.testGetRepositoryWith301Redirect", 0),
    )
    forge.add(
        f"{API}/repositories/112116543",
        github_edge("Repository.testGetRepositoryWith301Redirect", 1),
    )

    fetched = run(get(client(forge), f"{API}/repos/protoncoin/protoncoin"))

    assert fetched.redirected
    assert fetched.final_url == f"{API}/repositories/112116543"
    assert fetched.json()["full_name"] == "padima2/protoncoin"


def test_redirect_loop_is_a_failure_naming_the_loop() -> None:
    forge = Forge()
    forge.add("https://a.example/x", Reply(302, [("Location", "https://a.example/y")]))
    forge.add("https://a.example/y", Reply(301, [("Location", "/x")]))

    with pytest.raises(FetchError, match=r"redirect loop: https://a.example/x -> "):
        run(get(client(forge), "https://a.example/x"))
    assert len(forge.requests) == 2


@pytest.mark.parametrize("location", ["http://xn--/new", "http://[oops/new", "ftp://a.example/"])
def test_unusable_redirect_is_a_failure_with_a_reason_not_retried(location: str) -> None:
    forge = Forge().add("https://a.example/x", Reply(301, [("Location", location)]))

    with pytest.raises(FetchError, match=r"redirect to a .*URL|unusable answer") as info:
        run(get(client(forge), "https://a.example/x"))
    assert "https://a.example/x" in info.value.reason
    assert len(forge.requests) == 1


def test_404_names_the_likely_causes() -> None:
    forge = Forge()
    with pytest.raises(FetchError, match=r"404 Not Found.*private") as info:
        run(get(client(forge), f"{API}/repos/someone/gone"))
    assert info.value.status == 404


def test_used_up_budget_stops_the_host_without_another_request() -> None:
    # A 200 announcing `x-ratelimit-remaining: 0`, then the 403 GitHub would send.
    forge = Forge().add(
        f"{API}/users/jacquev6",
        github_edge("SpecificExceptions.testRateLimitExceeded", 0),
        github_edge("SpecificExceptions.testRateLimitExceeded", 1),
    )
    access = {"api.github.com": HostAccess({}, "GITHUB_TOKEN")}
    results = run(
        get_all(client(forge, access=access), f"{API}/users/jacquev6", f"{API}/repos/a/b")
    )

    assert isinstance(results[0], Fetched)
    assert isinstance(results[1], RateLimited)
    assert "rate limit of api.github.com used up" in results[1].reason
    assert "set GITHUB_TOKEN" in results[1].reason
    assert len(forge.requests) == 1


def test_recorded_403_rate_limit_is_reported_not_retried() -> None:
    forge = Forge().add(
        f"{API}/users/jacquev6", github_edge("SpecificExceptions.testRateLimitExceeded", 1)
    )
    with pytest.raises(RateLimited, match="rate limit"):
        run(get(client(forge), f"{API}/users/jacquev6"))
    assert len(forge.requests) == 1


def test_rate_limit_with_a_far_reset_stops_cleanly_with_the_reset_time() -> None:
    clock = FakeClock()
    reset = int(clock.now()) + 3600
    limited = Reply.json(
        {"message": "API rate limit exceeded"},
        403,
        [("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", str(reset))],
    )
    forge = Forge().add(f"{API}/repos/a/b", limited).add(f"{API}/repos/c/d", Reply.json({}))

    results = run(get_all(client(forge, clock), f"{API}/repos/a/b", f"{API}/repos/c/d"))

    assert all(isinstance(r, RateLimited) for r in results)
    assert "resets at 09:00 UTC" in str(results[0])
    assert len(forge.requests) == 1
    assert clock.sleeps == []


def test_429_retry_after_is_waited_out_then_retried() -> None:
    clock = FakeClock()
    forge = Forge().add(
        f"{API}/repos/a/b",
        Reply.json({"message": "slow down"}, 429, [("Retry-After", "7")]),
        Reply.json({"ok": True}),
    )
    fetched = run(get(client(forge, clock), f"{API}/repos/a/b"))
    assert fetched.json() == {"ok": True}
    assert clock.sleeps == [7.0]


def test_gitlab_ratelimit_reset_is_waited_for_when_near() -> None:
    clock = FakeClock()
    url = "https://gitlab.com/api/v4/projects/1"
    headers = [("RateLimit-Remaining", "0"), ("RateLimit-Reset", str(int(clock.now()) + 20))]
    forge = Forge().add(url, Reply.json({}, 429, headers), Reply.json({"id": 1}))
    assert run(get(client(forge, clock), url)).json() == {"id": 1}
    assert clock.sleeps == [20.0]


def test_huggingface_ratelimit_header_paces_the_next_request() -> None:
    clock = FakeClock()
    base = "https://huggingface.co/api/models"
    forge = Forge()
    forge.add(f"{base}/a", Reply.json({"id": "a"}, headers=[("RateLimit", '"api";r=0;t=40')]))
    forge.add(f"{base}/b", Reply.json({"id": "b"}))
    results = run(get_all(client(forge, clock), f"{base}/a", f"{base}/b"))
    assert [r.json()["id"] for r in results if isinstance(r, Fetched)] == ["a", "b"]
    assert clock.sleeps == [40.0]


def test_5xx_is_retried_with_growing_backoff_then_succeeds() -> None:
    clock = FakeClock()
    forge = Forge().add(f"{API}/repos/a/b", Reply(502), Reply(503), Reply.json({"name": "b"}))
    fetched = run(get(client(forge, clock, attempts=3, backoff=1.0), f"{API}/repos/a/b"))
    assert fetched.json() == {"name": "b"}
    assert len(forge.requests) == 3
    assert len(clock.sleeps) == 2
    assert 0.5 <= clock.sleeps[0] <= 1.0 and 1.0 <= clock.sleeps[1] <= 2.0


def test_persistent_500_fails_after_the_attempts() -> None:
    forge = Forge().add(f"{API}/repos/a/b", Reply(500))
    with pytest.raises(FetchError, match=r"HTTP 500 .* after 3 attempts"):
        run(get(client(forge, attempts=3), f"{API}/repos/a/b"))
    assert len(forge.requests) == 3


def test_timeouts_open_the_circuit_so_the_host_is_not_hammered() -> None:
    """Timeouts of several repositories in a row are the host's: one slow one is not."""
    forge = Forge()
    for name in ("a", "b", "c"):
        forge.add(f"{API}/repos/{name}/x", httpx.ReadTimeout("no answer"))
    forge.add(f"{API}/repos/d/x", Reply.json({}))
    urls = [f"{API}/repos/{name}/x" for name in "abcd"]
    results = run(get_all(client(forge, attempts=3, breaker_threshold=3), *urls))
    assert isinstance(results[0], FetchError) and "timed out" in results[0].reason
    assert isinstance(results[3], FetchError) and "not answering" in results[3].reason
    assert len(forge.requests) == 7


def test_malformed_json_is_a_failure_with_a_reason() -> None:
    body = github("repo").body[:500]
    forge = Forge().add(
        f"{API}/repos/a/b", Reply(200, [("Content-Type", "application/json")], body)
    )
    fetched = run(get(client(forge), f"{API}/repos/a/b"))
    with pytest.raises(FetchError, match="malformed JSON"):
        fetched.json()


def test_html_where_json_was_expected_is_a_failure() -> None:
    page = (Path(__file__).parent / "fixtures/forges/web/astier.html").read_bytes()
    forge = Forge().add(f"{API}/repos/a/b", Reply(200, [("Content-Type", "text/html")], page))
    fetched = run(get(client(forge), f"{API}/repos/a/b"))
    with pytest.raises(FetchError, match=r"expected JSON .* HTML page"):
        fetched.json()


def test_truncated_body_is_retried_then_reported() -> None:
    body = github("repo").body
    cut = Reply(
        200, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))], body[:100]
    )

    def truncated(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=cut.headers, content=cut.body)

    forge = Forge().add(f"{API}/repos/a/b", truncated)
    with pytest.raises(FetchError, match=f"truncated answer \\(100 of {len(body)} bytes\\)"):
        run(get(client(forge, attempts=2), f"{API}/repos/a/b"))
    assert len(forge.requests) == 2


def test_tokens_go_only_to_their_own_host_even_across_redirects() -> None:
    forge = Forge()
    forge.add(f"{API}/repos/a/b", Reply(302, [("Location", "https://elsewhere.example/b")]))
    forge.add("https://elsewhere.example/b", Reply.json({"ok": True}))
    forge.add("https://gitlab.com/api/v4/projects/1", Reply.json({"id": 1}))
    access = {
        "api.github.com": HostAccess({"Authorization": "Bearer ghp_secret"}, "GITHUB_TOKEN"),
        "gitlab.com": HostAccess({"PRIVATE-TOKEN": "glpat_secret"}, "GITLAB_TOKEN"),
    }
    run(
        get_all(
            client(forge, access=access), f"{API}/repos/a/b", "https://gitlab.com/api/v4/projects/1"
        )
    )

    by_host = {r.url.host: r.headers for r in forge.requests}
    assert by_host["api.github.com"]["authorization"] == "Bearer ghp_secret"
    assert "authorization" not in by_host["elsewhere.example"]
    assert "private-token" not in by_host["elsewhere.example"]
    assert by_host["gitlab.com"]["private-token"] == "glpat_secret"
    assert "authorization" not in by_host["gitlab.com"]


def test_not_an_http_url_fails_before_any_request() -> None:
    forge = Forge()
    with pytest.raises(FetchError, match="not an http"):
        run(get(client(forge), "ftp://example.org/x"))
    assert forge.requests == []
