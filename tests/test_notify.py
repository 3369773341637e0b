"""Chat notifications: each webhook's payload, retries, Retry-After, giving up without
leaking the URL, signatures, and edits that never wait for a webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from api_helpers import EVENT, make_env
from webhook_receiver import Receiver

from api.report import record_sync
from site_builder.config import load_config
from site_builder.errors import ContentError
from site_builder.metrics import Metrics
from site_builder.notify import Event, Notifier, NotifyTarget, Webhook
from site_builder.notify.settings import Kind
from site_builder.sync.engine import Outcome as SyncOutcome

FAIL = Event(
    "build_failed",
    "Build failed: Demo",
    "templates/project.html, line 1: unexpected end of template",
    url="https://example.org/api/v1/builds/latest",
    facts=(("Build", "7"), ("Edits", "2")),
)


def _hook(kind: Kind, url: str, secret: bytes | None = None) -> Webhook:
    return Webhook(NotifyTarget(kind, "JAMDAT_TEST_URL"), url, secret)


def _deliver(hooks: list[Webhook], event: Event = FAIL, **options: float) -> Notifier:
    notifier = Notifier(hooks, **options)  # type: ignore[arg-type]
    notifier.start()
    notifier.send(event)
    notifier.close(timeout=10)
    return notifier


def test_each_kind_gets_its_own_payload() -> None:
    kinds: list[Kind] = ["slack", "mattermost", "teams", "discord", "json"]
    with Receiver() as receiver:
        _deliver([_hook(k, receiver.url(f"/{k}")) for k in kinds])
        bodies = {r.path.strip("/"): json.loads(r.body) for r in receiver.received}
        headers = {r.path.strip("/"): r.headers for r in receiver.received}
    assert sorted(bodies) == sorted(kinds)
    slack = bodies["slack"]
    assert "Build failed: Demo" in slack["text"]
    assert slack["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Build failed: Demo"},
    }
    assert "line 1" in slack["blocks"][1]["text"]["text"]
    mattermost = bodies["mattermost"]["text"]
    assert mattermost.startswith("#### Build failed: Demo\n") and "Edits: 2" in mattermost
    teams = bodies["teams"]
    assert teams["type"] == "message"
    attachment = teams["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["body"][0]["text"] == "Build failed: Demo"
    assert card["actions"][0]["url"] == FAIL.url
    assert {"title": "Build", "value": "7"} in card["body"][2]["facts"]
    discord = bodies["discord"]
    assert discord["content"] == "Build failed: Demo"
    assert discord["embeds"][0]["title"] == "Build failed: Demo"
    assert discord["embeds"][0]["fields"][0] == {"name": "Build", "value": "7", "inline": True}
    assert discord["allowed_mentions"] == {"parse": []}
    generic = bodies["json"]
    assert generic["event"] == "build_failed" and generic["id"] == FAIL.id
    assert generic["facts"] == {"Build": "7", "Edits": "2"}
    assert headers["json"]["x-jamdat-event"] == "build_failed"
    assert headers["json"]["content-type"] == "application/json"
    assert "x-jamdat-signature" not in headers["json"]


def test_a_target_gets_only_the_events_it_asked_for() -> None:
    with Receiver() as receiver:
        hook = Webhook(NotifyTarget("json", "X", ("project_created",)), receiver.url())
        _deliver([hook])
        assert receiver.received == []


def test_a_5xx_is_retried_until_it_succeeds() -> None:
    with Receiver([(500, {}, b""), (502, {}, b"")]) as receiver:
        notifier = _deliver([_hook("slack", receiver.url())], attempts=5, backoff=0.01)
        assert len(receiver.received) == 3
    assert (notifier.delivered, notifier.failed) == (1, 0)


def test_a_429_waits_as_long_as_retry_after_says() -> None:
    with Receiver([(429, {"Retry-After": "1"}, b"")]) as receiver:
        # Without the header the backoff would wait 20 s or more.
        _deliver([_hook("slack", receiver.url())], backoff=40, max_backoff=40)
        first, second = receiver.received
    assert 0.9 <= second.at - first.at < 3


def test_discord_429_retry_after_in_its_json_body() -> None:
    limited = (429, {"Content-Type": "application/json"}, b'{"retry_after": 0.3, "global": false}')
    with Receiver([limited]) as receiver:
        notifier = _deliver([_hook("discord", receiver.url())], backoff=40, max_backoff=40)
        first, second = receiver.received
    assert 0.25 <= second.at - first.at < 2
    assert notifier.delivered == 1


def test_giving_up_is_logged_without_the_secret_url(caplog: pytest.LogCaptureFixture) -> None:
    secret = "T0001/B0002/S3CRETxyz"
    caplog.set_level(logging.DEBUG)
    with Receiver([(503, {}, b"")] * 10) as receiver:
        notifier = _deliver(
            [_hook("slack", receiver.url(f"/services/{secret}"))], attempts=3, backoff=0.01
        )
        assert len(receiver.received) == 3
    assert notifier.failed == 1 and notifier.delivered == 0
    gave_up = [r for r in caplog.records if "given up after 3 attempt(s)" in r.getMessage()]
    assert len(gave_up) == 1 and gave_up[0].levelno == logging.ERROR
    assert "slack webhook ($JAMDAT_TEST_URL)" in gave_up[0].getMessage()
    assert "answered 503" in gave_up[0].getMessage()
    assert any(r.name == "httpx" for r in caplog.records)  # httpx did log its requests
    assert all(secret not in r.getMessage() for r in caplog.records)
    assert secret not in caplog.text


def test_a_client_error_is_not_retried() -> None:
    with Receiver([(404, {}, b"no such hook")]) as receiver:
        notifier = _deliver([_hook("mattermost", receiver.url())], backoff=0.01)
        assert len(receiver.received) == 1
    assert notifier.failed == 1


def test_a_signed_json_webhook_can_be_verified() -> None:
    key = b"shared-signing-key"
    with Receiver() as receiver:
        _deliver([_hook("json", receiver.url(), key)])
        (got,) = receiver.received
    expected = "sha256=" + hmac.new(key, got.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(got.headers["x-jamdat-signature"], expected)
    assert json.loads(got.body)["title"] == "Build failed: Demo"


def test_site_yaml_names_variables_and_events(tmp_path: Path) -> None:
    (tmp_path / "site.yaml").write_text(
        "notify:\n"
        "  - {kind: slack, url_env: JAMDAT_SLACK_URL}\n"
        "  - {kind: json, url_env: HOOK_URL, secret_env: HOOK_KEY, events: [project_created]}\n",
        encoding="utf-8",
    )
    config = load_config(tmp_path)
    assert config.notify == (
        NotifyTarget("slack", "JAMDAT_SLACK_URL"),
        NotifyTarget("json", "HOOK_URL", ("project_created",), "HOOK_KEY"),
    )
    (tmp_path / "site.yaml").write_text(
        "notify:\n  - {kind: irc, url_env: 'https://hooks.slack.com/x', events: [deploy]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as caught:
        load_config(tmp_path)
    fields = {p.field for p in caught.value.problems}
    assert fields == {"notify[0].kind", "notify[0].url_env", "notify[0].events"}
    assert "site.yaml" in str(caught.value)


def _configure(content: Path, targets: list[dict[str, object]]) -> None:
    path = content / "site.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    data["notify"] = targets
    path.write_text(yaml.safe_dump(data), encoding="utf-8")


def _new_project(slug: str) -> dict[str, str]:
    return {"slug": slug, "name": f"Project {slug}", "summary": "Made in a test"}


def test_an_unset_variable_is_a_warning_not_a_crash(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JAMDAT_TEST_MISSING", raising=False)
    env = make_env(tmp_path)
    _configure(env.content, [{"kind": "discord", "url_env": "JAMDAT_TEST_MISSING"}])
    caplog.set_level(logging.WARNING, "jamdat.notify")
    with env.client() as client:
        assert client.get("/health").status_code == 200
    assert "JAMDAT_TEST_MISSING is not set, so the discord is off" in caplog.text


def test_a_new_project_is_announced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = make_env(tmp_path)
    _configure(env.content, [{"kind": "json", "url_env": "JAMDAT_TEST_HOOK"}])
    with Receiver() as receiver:
        monkeypatch.setenv("JAMDAT_TEST_HOOK", receiver.url())
        with env.client() as client:
            response = client.post(
                f"/api/v1/events/{EVENT}/projects",
                json=_new_project("river-watch"),
                headers=env.auth("organiser"),
            )
            assert response.status_code == 201, response.text
            (got,) = receiver.wait_for(1)
    body = json.loads(got.body)
    assert body["event"] == "project_created"
    assert body["title"] == "New project: Project river-watch"
    assert body["text"] == "Made in a test"
    assert body["facts"]["By"] == "orga"


def test_an_announcement_reaches_the_webhooks_that_ask_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = make_env(tmp_path)
    _configure(
        env.content, [{"kind": "json", "url_env": "JAMDAT_TEST_HOOK", "events": ["announcement"]}]
    )
    with Receiver() as receiver:
        monkeypatch.setenv("JAMDAT_TEST_HOOK", receiver.url())
        with env.client() as client:
            response = client.post(
                f"/api/v1/events/{EVENT}/announcements",
                json={"content": "Pitches start at **16:00** in the main hall."},
                headers=env.auth("organiser"),
            )
            assert response.status_code == 201, response.text
            (got,) = receiver.wait_for(1)
    body = json.loads(got.body)
    assert body["event"] == "announcement"
    assert body["text"] == "Pitches start at **16:00** in the main hall."
    assert body["facts"]["By"] == "orga"


def test_no_webhook_configured_sends_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = make_env(tmp_path)
    with Receiver() as receiver:
        monkeypatch.setenv("JAMDAT_TEST_HOOK", receiver.url())  # set, but not in site.yaml
        with env.client() as client:
            response = client.post(
                f"/api/v1/events/{EVENT}/projects",
                json=_new_project("quiet"),
                headers=env.auth("organiser"),
            )
            assert response.status_code == 201
            assert client.app.state["jamdat"].notifier.hooks == []
        time.sleep(0.2)
        assert receiver.received == []


def test_a_hanging_webhook_never_slows_an_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = make_env(tmp_path)
    _configure(env.content, [{"kind": "slack", "url_env": "JAMDAT_TEST_HOOK"}])
    with Receiver() as receiver:
        receiver.hang.set()
        monkeypatch.setenv("JAMDAT_TEST_HOOK", receiver.url())
        with env.client(notify_options={"timeout": 30.0}) as client:

            def create(slug: str) -> float:
                start = time.perf_counter()
                response = client.post(
                    f"/api/v1/events/{EVENT}/projects",
                    json=_new_project(slug),
                    headers=env.auth("organiser"),
                )
                assert response.status_code == 201
                return time.perf_counter() - start

            create("hang-first")
            assert len(receiver.wait_for(1)) == 1  # its notification now hangs
            times = [create(f"hang-{i}") for i in range(5)]
            assert len(receiver.received) == 1 and not receiver.release.is_set()
            receiver.release.set()
    assert max(times) < 1.0, times


def test_a_failed_sync_is_counted_and_announced() -> None:
    ok = SyncOutcome("ev", "a", "https://github.com/o/a", "updated", changes=("summary",))
    bad = SyncOutcome("ev", "b", "https://github.com/o/b", "failed", reason="404 from GitHub")
    metrics = Metrics()
    with Receiver() as receiver:
        notifier = Notifier([_hook("json", receiver.url())])
        notifier.start()
        record_sync([ok], 1.0, "ev", metrics, notifier)
        record_sync([ok, bad], 2.0, "ev", metrics, notifier)
        notifier.close(timeout=10)
        (got,) = receiver.received
    body = json.loads(got.body)
    assert body["event"] == "sync_failed" and body["title"] == "Sync failed: ev"
    assert body["text"] == "ev/b: 404 from GitHub"
    assert body["facts"] == {"Failed": "1", "Projects": "2"}
    assert metrics.registry.get_sample_value("jamdat_syncs_total", {"outcome": "succeeded"}) == 1
    assert metrics.registry.get_sample_value("jamdat_syncs_total", {"outcome": "failed"}) == 1


def test_a_build_does_not_import_the_sender() -> None:
    """Every `jamdat build` reads the `notify:` settings; importing httpx for them cost a
    sixth of a second of every no-op build's startup."""
    code = "import sys, site_builder.cli.main; print('httpx' in sys.modules)"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "False"
