"""The API answers its health probe."""

from __future__ import annotations

from pathlib import Path

from api_helpers import make_env


def test_health_reports_ok(tmp_path: Path) -> None:
    env = make_env(tmp_path)  # a copy of the demo: the app builds, never into the repository
    with env.client(build=True) as client:
        response = client.get("/health")
        missing = client.get("/nope")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert missing.status_code == 404
