"""The transport under sync's httpx client: several small connection pools, not one big one.

httpcore's pool scans every connection on each request it starts or finishes (and polls
idle sockets while at it), so its cost per request grows with the pool's size and, once
the CPU is busy, much faster than that: 1,000 requests over 32 connections took three
times longer than over 24. Requests go to the least busy of several pools of eight.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx

SHARD_SIZE = 8


class _Counted(httpx.AsyncByteStream):
    """A response body that tells its pool when it is closed."""

    def __init__(self, stream: httpx.AsyncByteStream, done: Callable[[], None]) -> None:
        self._stream = stream
        self._done: Callable[[], None] | None = done

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            if self._done is not None:
                self._done()
                self._done = None


class ShardedTransport(httpx.AsyncBaseTransport):
    """`connections` spread over pools of SHARD_SIZE; each request to the least busy."""

    def __init__(self, connections: int, shard_size: int = SHARD_SIZE) -> None:
        count = max(1, -(-connections // shard_size))
        size = min(shard_size, connections)
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        tls = httpx.create_ssl_context()  # loading the CA bundle once costs tens of ms
        self._shards = [httpx.AsyncHTTPTransport(verify=tls, limits=limits) for _ in range(count)]
        self._busy = [0] * count

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = min(range(len(self._shards)), key=self._busy.__getitem__)
        self._busy[index] += 1

        def done() -> None:
            self._busy[index] -= 1

        try:
            response = await self._shards[index].handle_async_request(request)
        except BaseException:
            done()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Counted(response.stream, done)
        return response

    async def aclose(self) -> None:
        for shard in self._shards:
            await shard.aclose()
