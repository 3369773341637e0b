"""Limits per editor: posts per project per hour, bytes per post, the per-token rate
limit whatever the header's spelling, and organisers removing activities."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_helpers import ApiEnv, make_env


@pytest.fixture
def env(tmp_path: Path) -> ApiEnv:
    return make_env(tmp_path)


def test_rate_limit_keys_on_the_token_not_the_header_spelling(env: ApiEnv) -> None:
    token = env.tokens["member"]
    spellings = [f"Bearer {token}", f"bearer  {token}", f"Bearer {token} ", f"BEARER {token}"]
    with env.client(rate_per_token=8) as client:
        codes = [
            client.get("/api/v1/stages", headers={"Authorization": spelling}).status_code
            for spelling in spellings
        ]
        other = client.get("/api/v1/stages", headers=env.auth("organiser"))
    # A burst of a quarter of the per-minute rate (2), then 429 for every spelling.
    assert codes == [200, 200, 429, 429]
    assert other.status_code == 200
