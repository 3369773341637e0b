"""The edit API's ASGI app factory, e.g. `uvicorn --factory api.app:create_app`."""

from __future__ import annotations

from litestar import Litestar, get


@get("/health", sync_to_thread=False)
def health() -> dict[str, str]:
    """Liveness probe for load balancers and uptime checks."""
    return {"status": "ok"}


def create_app() -> Litestar:
    """A fresh application instance (one per process or test)."""
    return Litestar(route_handlers=[health])
