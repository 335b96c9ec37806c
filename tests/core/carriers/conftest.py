"""Fixtures shared by the carrier tests: a loopback sandbox world per carrier."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass

import pytest_asyncio

from app.core.carriers.base import CarrierAdapter
from app.core.carriers.http import CarrierHttp
from app.core.clock import Clock
from app.core.sandbox.engine import SandboxEngine
from app.core.sandbox.server import SandboxServer
from tests.core.carriers.kit import EngineClock, adapter


@dataclass
class World:
    engine: SandboxEngine
    server: SandboxServer
    adapter: CarrierAdapter
    http: CarrierHttp


WorldFactory = Callable[..., Awaitable[World]]


@pytest_asyncio.fixture
async def sandbox_world() -> AsyncIterator[WorldFactory]:
    """``await sandbox_world(carrier, timeout_s=2, clock=None, **adapter_kw)``: a sandbox for that
    carrier on a loopback port and its adapter pointed at it; all closed afterwards."""
    async with AsyncExitStack() as stack:

        async def make(
            carrier_id: str, timeout_s: float = 2.0, *, clock: Clock | None = None, **kw: object
        ) -> World:
            engine = SandboxEngine(seed=1, speed=0)
            server = SandboxServer(engine, carriers=(carrier_id,), push_callbacks=False)
            await server.start()
            stack.push_async_callback(server.stop)
            http = CarrierHttp(timeout_s=timeout_s)
            stack.push_async_callback(http.aclose)
            base = server.carrier_url(carrier_id)
            a = adapter(
                carrier_id,
                http,
                base_url=base,
                clock=clock or EngineClock(engine),
                **kw,  # type: ignore[arg-type]
            )
            return World(engine, server, a, http)

        yield make
