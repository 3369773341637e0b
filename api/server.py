"""Running the app under uvicorn with a shutdown that loses nothing.

On SIGINT/SIGTERM uvicorn stops accepting connections and lets requests in flight
finish; the app is told first so that event streams end instead of holding the shutdown
up. Then the app's shutdown saves every queued edit and finishes the running build.
Every file is written through a temporary file and renamed, so even a hard kill never
leaves half a file.
"""

from __future__ import annotations

from types import FrameType

import uvicorn

from .app import create_app
from .context import STATE_KEY, ApiContext
from .settings import ApiSettings


class GracefulServer(uvicorn.Server):
    """uvicorn's server, telling the app when a shutdown begins."""

    def __init__(self, config: uvicorn.Config, ctx: ApiContext) -> None:
        super().__init__(config)
        self.ctx = ctx

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        loop = self.ctx.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.ctx.begin_shutdown)
        super().handle_exit(sig, frame)


def serve(settings: ApiSettings, host: str, port: int, log_level: str = "info") -> bool:
    """Serve until interrupted; False when the server could not start."""
    app = create_app(settings)
    ctx = app.state[STATE_KEY]
    assert isinstance(ctx, ApiContext)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=10,
        lifespan="on",
    )
    server = GracefulServer(config, ctx)
    server.run()
    return bool(server.started)
