"""bench/live_load.py in small: five participants join with an invite and edit and post
against a real `jamdat api` for a few seconds; nothing is lost and no answer is a 5xx.
Its check of the archive on disk notices a lost edit or post."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from api_helpers import EVENT, PROJECT, make_env

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import live_load  # noqa: E402


def test_five_participants_lose_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    figures = tmp_path / "figures.json"
    status = live_load.main(
        ["--participants", "5", "--seconds", "4", "--think", "0.3", "--post-every", "2",
         "--settle", "5", "--json", str(figures)]
    )  # fmt: skip
    found = json.loads(figures.read_text())
    assert status == 0
    assert found["lost_edits"] == 0 and found["lost_posts"] == 0
    assert found["server_errors"] == 0
    assert set(found["statuses"]) <= {"200", "201"}
    assert found["edits_accepted"] >= 5 and found["posts_accepted"] >= 5
    assert found["never_live"] == 0


def test_the_check_notices_what_is_not_on_disk(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    monkey = live_load.Participant(0, "127.0.0.2", slug=PROJECT, last_summary="never saved")
    monkey.posts["20990101T000000-00000000"] = "never posted"
    assert live_load.EVENT == EVENT
    edits, posts = live_load.lost(env.content, [monkey])
    assert len(edits) == 1 and "never saved" in edits[0]
    assert len(posts) == 1 and "never posted" in posts[0]
