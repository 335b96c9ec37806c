"""The outbound status webhook: signed like POS requests, retried with backoff from the
durable outbox until the POS answers 2xx, and a repeat (not a loss) after a restart."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from aiohttp import web

from app.core.events import OrderChanged
from app.core.pos import signature as sig
from app.core.pos.webhook import KIND, WebhookSender, backoff_s
from app.core.storage.outbox_repo import OutboxRepo
from tests.fakes.pos import PosClient, payload
from tests.helpers import POS_SECRET, started_core, wait_until

pytestmark = [pytest.mark.integration]


class FakePos:
    """A POS webhook endpoint on loopback that fails the first ``fail`` deliveries."""

    def __init__(self, fail: int = 0) -> None:
        self.fail, self.received, self.calls = fail, [], 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        h = request.headers
        assert sig.verify(
            POS_SECRET, h[sig.TIMESTAMP_HEADER], h[sig.NONCE_HEADER], body, h[sig.SIGNATURE_HEADER]
        )
        self.calls += 1
        if self.calls <= self.fail:
            return web.Response(status=503)
        self.received.append(json.loads(body))
        return web.json_response({"ok": True})

    async def __aenter__(self):
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/hook"
        return self

    async def __aexit__(self, *exc):
        await self.runner.cleanup()


def test_backoff_grows_and_is_capped():
    assert 0.8 <= backoff_s(0, 1.0, 60) <= 1.2
    assert 6.4 <= backoff_s(3, 1.0, 60) <= 9.6
    assert backoff_s(40, 1.0, 60) <= 72


@pytest.mark.asyncio
async def test_listener_starts_the_sender_when_configured(tmp_path):
    async with FakePos() as hook, started_core(tmp_path) as core:
        core.service.settings.pos.webhook_url = hook.url
        lis = core.pos_listener
        await lis.start()
        try:
            assert isinstance(lis.webhook, WebhookSender)
            assert lis.webhook_running
        finally:
            await lis.stop()
        assert not lis.webhook_running


@pytest.mark.asyncio
async def test_webhook_outbox_roundtrip(tmp_path):
    async with FakePos(fail=2) as hook, started_core(tmp_path, pos=True) as core:
        svc = core.service
        svc.settings.pos.webhook_url = hook.url
        sender = WebhookSender(svc, base_delay_s=0.02, poll_s=0.05)
        await sender.start()
        try:
            async with httpx.AsyncClient() as http:
                c = PosClient(core, http)
                oid = (await c.post("/orders", payload())).json()["order_id"]
                await c.post("/orders/P1001/cancel", {"confirm": True, "reason": "test"})
            await wait_until(lambda: hook.received, timeout=5)
            first = hook.received[0]
            assert first["event"] == "order.status_changed"
            assert (first["order_id"], first["pos_order_id"], first["status"]) == (
                oid,
                "P1001",
                "cancelled",
            )
            assert hook.calls == 3  # two 503s, then delivered
            repo = OutboxRepo(svc.db.engine)

            async def delivered():
                return all(m.done_at for m in await svc.db.run(repo.all, KIND))

            await wait_until(delivered, timeout=5)
            msgs = await svc.db.run(repo.all, KIND)
            assert len(msgs) == 1 and msgs[0].done_at is not None and msgs[0].tries == 3
            # the same status again is not news
            svc.bus.publish(OrderChanged(oid))
            await asyncio.sleep(0.2)
            assert len(await svc.db.run(repo.all, KIND)) == 1
        finally:
            await sender.stop()


@pytest.mark.asyncio
async def test_undelivered_message_survives_restart(tmp_path):
    async with FakePos(fail=10**6) as dead, started_core(tmp_path, pos=True) as core:
        svc = core.service
        svc.settings.pos.webhook_url = dead.url
        sender = WebhookSender(svc, base_delay_s=0.01, max_delay_s=0.02, poll_s=0.05)
        await sender.start()
        async with httpx.AsyncClient() as http:
            await PosClient(core, http).post("/orders", payload())
        oid = (await svc.order_detail_by_pos_id("P1001")).order.id
        svc.bus.publish(OrderChanged(oid))
        await wait_until(lambda: dead.calls >= 2, timeout=5)
        await sender.stop()
    async with FakePos() as hook, started_core(tmp_path, pos=True) as core:
        core.service.settings.pos.webhook_url = hook.url
        sender = WebhookSender(core.service, base_delay_s=0.01, poll_s=0.05)
        await sender.start()
        try:
            await wait_until(lambda: hook.received, timeout=5)
            assert hook.received[0]["pos_order_id"] == "P1001"
        finally:
            await sender.stop()
