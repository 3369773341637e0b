"""An OpenAPI-driven fuzz run (schemathesis) against the app: no input makes it fail with
a server error, and the archive still validates and builds afterwards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hypothesis
import schemathesis
from api_helpers import make_env
from litestar import Litestar
from schemathesis import Case
from schemathesis.python.asgi import shutdown_lifespans

from site_builder.archive.validate import validate_archive
from site_builder.render.build import build_site


def test_no_generated_request_causes_a_server_error(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    app = env.app()
    try:  # schemathesis starts the app's lifespan on its first request
        failures, calls = _fuzz(app, env.auth("organiser"))
    finally:
        shutdown_lifespans()  # and this stops it: every accepted edit is on disk
    assert calls > 100
    assert failures == [], "\n".join(failures)
    assert not validate_archive(env.content, frictionless=False).errors
    build_site(env.content, env.out)  # and what the API accepted still builds


def _fuzz(app: Litestar, headers: dict[str, str]) -> tuple[list[str], int]:
    """Up to 7 generated requests per operation (Schemathesis' own phases, in
    test_api_schemathesis.py, try many more); returns the server errors and the count."""
    schema = schemathesis.openapi.from_asgi("/api/v1/schema/openapi.json", app)
    failures: list[str] = []
    calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an invalid schema fails here
        if operation.path.endswith("/events"):  # the endless event stream
            continue
        strategy = operation.as_strategy()

        @hypothesis.given(case=strategy)
        @hypothesis.settings(
            max_examples=7,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        def run(case: Case[Any]) -> None:
            nonlocal calls
            calls += 1
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")

        run()
    return failures, calls
