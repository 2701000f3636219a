"""Point discord.py at a running stand-in and run a client against it for the length of a block."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from .server import StandinDiscord


@contextlib.contextmanager
def pointed_at(standin: StandinDiscord) -> Iterator[None]:
    """Send discord.py's REST calls and its gateway connection to the stand-in, then restore.

    A plain `Client` never asks /gateway/bot; it dials DEFAULT_GATEWAY, so both are redirected.
    """
    saved = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = standin.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(standin.gateway_url)
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved


@contextlib.contextmanager
def running_standin(**options: Any) -> Iterator[StandinDiscord]:
    standin = StandinDiscord(**options).start()
    try:
        with pointed_at(standin):
            yield standin
    finally:
        standin.stop()


@contextlib.asynccontextmanager
async def connected(
    client: discord.Client, standin: StandinDiscord, *, timeout: float = 15.0
) -> AsyncIterator[discord.Client]:
    """Log the client in and connect it; leave the block with the client closed."""
    task = asyncio.create_task(client.start(standin.token))
    ready = asyncio.create_task(client.wait_until_ready())
    try:
        done, _ = await asyncio.wait(
            {task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if task in done:
            task.result()  # raises what stopped the client (bad token, disallowed intents...)
            raise RuntimeError("the client stopped before it was ready")
        if ready not in done:
            raise TimeoutError("the client did not become ready")
        yield client
    finally:
        ready.cancel()
        await client.close()
        with contextlib.suppress(asyncio.CancelledError, discord.DiscordException):
            await asyncio.wait_for(task, timeout)


class LoopLag:
    """Measures how late the running event loop wakes a sleeper; a blocked loop shows as lag."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LoopLag:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(self.interval)
            self.samples.append(max(0.0, loop.time() - before - self.interval))

    def percentile(self, p: float) -> float:
        if not self.samples:
            return 0.0
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    @property
    def worst(self) -> float:
        return max(self.samples, default=0.0)
