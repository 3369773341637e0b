"""The API answers its health probe."""

from __future__ import annotations

from litestar.testing import TestClient

from api.app import create_app


def test_health_reports_ok() -> None:
    with TestClient(app=create_app()) as client:
        response = client.get("/health")
        missing = client.get("/nope")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert missing.status_code == 404
