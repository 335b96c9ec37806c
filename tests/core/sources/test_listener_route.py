"""The push route on the real POS listener: a correctly signed 美团 push to
``/api/v1/sources/meituan/order`` is stored and answered ``{"data":"ok"}``; a badly
signed one is refused and changes nothing; a source that is off answers 404."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from app.core.pos.listener import PosListener
from app.core.sources.meituan import Connector
from app.core.sources.routes import SourcePushes
from app.core.sources.runner import SourceRunner
from app.core.sources.store import MemorySourceStore
from app.core.storage.outbox_repo import OutboxRepo
from tests.helpers import started_core

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


async def test_meituan_push_through_the_listener(tmp_path, mt_rig):
    store = MemorySourceStore()
    confirmed: list[str] = []  # what reached the board

    async def on_new(order, ring):
        confirmed.append(order.source_order_id)

    async with started_core(tmp_path) as core:
        svc = core.service
        listener = PosListener(
            svc, settings=lambda: svc.settings, outbox=OutboxRepo(svc.db.engine), clock=mt_rig.clock
        )
        pushes = SourcePushes({}, store)
        listener.source_pushes = pushes
        await listener.start()
        try:
            push_base = listener.base_url + "/api/v1/sources/meituan"
            conn = Connector(replace(mt_rig.connector.ctx, push_base_url=push_base))
            runner = SourceRunner(conn, store, mt_rig.clock, on_new=on_new)
            pushes.connectors, pushes.runners = {"meituan": conn}, {"meituan": runner}
            sim = mt_rig.sim
            sim.push_base_url = push_base
            oid = sim.new_order()
            assert await sim.push_order(oid)
            await pushes.drain()
            await runner.settled()  # 接单 runs behind the board
            assert await store.known_ids("meituan") == {oid}
            assert confirmed == [oid] and sim.orders[oid].fields["status"] == 4  # auto-confirm

            sim.secret = "not-the-app-secret"
            other = sim.new_order()
            assert not await sim.push_order(other)
            assert sim.log.deliveries[-1].status == 400
            assert await store.known_ids("meituan") == {oid}

            async with httpx.AsyncClient(trust_env=False) as c:
                off = await c.post(listener.base_url + "/api/v1/sources/eleme/push", content=b"{}")
            assert off.status_code == 404
        finally:
            await listener.stop()
