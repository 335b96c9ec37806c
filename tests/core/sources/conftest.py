"""Loopback harness for the source connectors: a simulator on 127.0.0.1, a connector
pointed at it, and a push receiver standing in for the listener route (verify with the
connector, upsert with the domain rule, dedupe by the push key, then reply)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import pytest_asyncio
from aiohttp import web

from app.core.clock import FakeClock
from app.core.domain.source_order import SourceOrder, merge
from app.core.sandbox.sources.common import LoopbackServer
from app.core.sources.base import (
    PushEvent,
    PushKind,
    PushRejected,
    PushRequest,
    SourceConnector,
    SourceContext,
)
from app.core.sources.http import SourceHttp

NOON_LOCAL = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 12:00 in Asia/Shanghai


@dataclass
class PushReceiver:
    """What the listener route must do, in miniature (stores in memory)."""

    connector: SourceConnector | None = None
    orders: dict[str, SourceOrder] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    duplicates: int = 0
    rejected: int = 0

    def put(self, order: SourceOrder) -> bool:
        old = self.orders.get(order.source_order_id)
        self.orders[order.source_order_id] = merge(old, order) if old else order
        return old is None

    # the SourceStore protocol (catch-up), in memory
    async def known_ids(self, source: str) -> set[str]:
        return {o.source_order_id for o in self.orders.values() if o.source == source}

    async def open_ids(self, source: str) -> list[str]:
        return [
            o.source_order_id
            for o in self.orders.values()
            if o.source == source and not o.state.terminal
        ]

    async def upsert(self, order: SourceOrder) -> bool:
        return self.put(order)

    async def handle(self, request: web.Request) -> web.Response:
        assert self.connector is not None
        req = PushRequest(
            request.method,
            request.path,
            dict(request.query),
            dict(request.headers),
            await request.read(),
        )
        try:
            result = self.connector.parse_push(request.match_info["kind"], req)
        except PushRejected as e:
            self.rejected += 1
            return web.Response(
                status=e.reply_status, body=e.reply_body, content_type="application/json"
            )
        for ev in result.events:
            if ev.dedupe_key and ev.dedupe_key in self.seen:
                self.duplicates += 1
                continue
            await self._apply(ev)
            if ev.dedupe_key:
                self.seen.add(ev.dedupe_key)
        return web.Response(
            status=result.reply_status, body=result.reply_body, content_type="application/json"
        )

    async def _apply(self, ev: PushEvent) -> None:
        assert self.connector is not None
        if ev.kind is PushKind.ORDER and ev.order is not None:
            self.put(ev.order)
        elif ev.kind is PushKind.DELIVERY and ev.fulfilment and ev.source_order_id in self.orders:
            old = self.orders[ev.source_order_id]
            self.orders[ev.source_order_id] = replace(old, fulfilment=ev.fulfilment)
        elif ev.kind is PushKind.STATE and ev.source_order_id:
            if ev.source_order_id not in self.orders:  # out of order: read the order first
                self.put(await self.connector.get_order(ev.source_order_id))
            old = self.orders[ev.source_order_id]
            patched = replace(
                old,
                state=ev.state or old.state,
                cancel_requested=old.cancel_requested
                if ev.cancel_requested is None
                else ev.cancel_requested,
                refund_state=ev.refund_state or old.refund_state,
            )
            self.orders[ev.source_order_id] = merge(old, patched)


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
