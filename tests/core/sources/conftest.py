"""Loopback harness for the source connectors: a simulator on 127.0.0.1, a connector
pointed at it, and a push receiver standing in for the listener route (verify with the
connector, upsert with the domain rule, dedupe by the push key, then reply)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest_asyncio
from aiohttp import web

from app.core.domain.source_order import SourceOrder, merge
from app.core.sandbox.sources.common import LoopbackServer
from app.core.sources.base import PushRequest, SourceConnector, SourceContext
from app.core.sources.http import SourceHttp
from app.core.sources.inbox import receive_push
from app.core.sources.store import MemorySourceStore
from tests.fakes.clock import FakeClock

NOON_LOCAL = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 12:00 in Asia/Shanghai


class PushReceiver(MemorySourceStore):
    """The listener route in miniature: ``inbox.receive_push`` on an in-memory store."""

    def __init__(self) -> None:
        super().__init__()
        self.connector: SourceConnector | None = None
        self.duplicates = 0
        self.rejected = 0
        self.down = False  # answer 503, as a listener whose disk is full would

    @property
    def by_id(self) -> dict[str, SourceOrder]:
        return {oid: o for (_src, oid), o in self.orders.items()}

    @property
    def seen(self) -> set[str]:
        return {key for (_src, key) in self.pushes}

    def put(self, order: SourceOrder) -> None:
        old = self.orders.get(order.key)
        self.orders[order.key] = merge(old, order) if old else order

    async def handle(self, request: web.Request) -> web.Response:
        assert self.connector is not None
        if self.down:
            return web.Response(status=503)
        req = PushRequest(
            request.method,
            request.path,
            dict(request.query),
            dict(request.headers),
            await request.read(),
        )
        reply = await receive_push(self.connector, self, request.match_info["kind"], req)
        self.duplicates += reply.duplicates
        self.rejected += bool(reply.rejected)
        return web.Response(status=reply.status, body=reply.body, content_type=reply.content_type)


@dataclass
class Rig:
    sim: object
    connector: SourceConnector
    receiver: PushReceiver
    clock: FakeClock
    http: SourceHttp
    api_url: str
    push_url: str


async def start_rig(
    sim_factory, connector_cls, creds, *, push_path: str, options=None, timeout_s: float = 5.0
) -> AsyncIterator[Rig]:
    clock = FakeClock(NOON_LOCAL)
    receiver = PushReceiver()
    recv_app = web.Application()
    recv_app.router.add_post("/api/v1/sources/{source}/{kind}", receiver.handle)
    async with LoopbackServer(recv_app) as recv:
        sim = sim_factory(clock)
        async with LoopbackServer(sim.make_app()) as api:
            http = SourceHttp(timeout_s=timeout_s, connect_timeout_s=timeout_s)
            ctx = SourceContext(
                source=connector_cls.id,
                base_url=api.url + "/api/v1/",
                credentials=creds,
                http=http,
                clock=clock,
                push_base_url=recv.url + push_path,
                options=options or {},
            )
            connector = connector_cls(ctx)
            receiver.connector = connector
            try:
                yield Rig(sim, connector, receiver, clock, http, api.url, recv.url + push_path)
            finally:
                await http.aclose()


@pytest_asyncio.fixture
async def mt_rig() -> AsyncIterator[Rig]:
    from app.core.sandbox.sources.meituan import MeituanSim
    from app.core.sources.meituan import RULES, Connector

    creds = {**RULES.rehearsal_credentials, "store_phone": "01065550000"}

    def factory(clock: FakeClock) -> MeituanSim:
        return MeituanSim(clock=clock)

    async for rig in start_rig(factory, Connector, creds, push_path="/api/v1/sources/meituan"):
        rig.sim.push_base_url = rig.push_url  # type: ignore[attr-defined]
        yield rig


@pytest_asyncio.fixture
async def eleme_rig() -> AsyncIterator[Rig]:
    from app.core.sandbox.sources.eleme import ElemeSim
    from app.core.sources.eleme import RULES, Connector

    def factory(clock: FakeClock) -> ElemeSim:
        return ElemeSim(clock=clock)

    async for rig in start_rig(
        factory, Connector, dict(RULES.rehearsal_credentials), push_path="/api/v1/sources/eleme"
    ):
        rig.sim.push_url = rig.push_url + "/push"  # type: ignore[attr-defined]
        yield rig


@pytest_asyncio.fixture
async def keruyun_rig() -> AsyncIterator[Rig]:
    from app.core.sandbox.sources.keruyun import KeruyunSim
    from app.core.sources.keruyun import RULES, Connector

    def factory(clock: FakeClock) -> KeruyunSim:
        return KeruyunSim(clock=clock)

    async for rig in start_rig(
        factory, Connector, dict(RULES.rehearsal_credentials), push_path="/api/v1/sources/keruyun"
    ):
        rig.sim.push_base_url = rig.push_url  # type: ignore[attr-defined]
        yield rig


@pytest_asyncio.fixture
async def hualala_rig() -> AsyncIterator[Rig]:
    from app.core.sandbox.sources.hualala import HualalaSim
    from app.core.sources.hualala import RULES, Connector

    def factory(clock: FakeClock) -> HualalaSim:
        return HualalaSim(clock=clock)

    async for rig in start_rig(
        factory, Connector, dict(RULES.rehearsal_credentials), push_path="/api/v1/sources/hualala"
    ):
        yield rig
