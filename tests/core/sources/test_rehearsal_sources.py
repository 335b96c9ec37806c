"""Rehearsal's source simulators: ``SourceSimServer`` (bound before start, pushes pointed
at a listener afterwards, unacknowledged pushes re-sent), the ``SourceFeed`` asking the
simulators for platform orders through their control API, which sources rehearsal
simulates, and ``python -m app sandbox`` serving the simulators."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from aiohttp import web

from app.core.config import Settings, StoreSettings
from app.core.domain.source_order import FulfilmentMode, PhoneKind, SourceOrderState
from app.core.rehearsal import SOURCE_SCENARIOS, SourceFeed, rehearsal_sources
from app.core.sandbox.sources.common import LoopbackServer
from app.core.sandbox.sources.server import SIMS, SourceSimServer
from app.core.sources import eleme, meituan
from app.core.sources.base import SourceContext
from app.core.sources.http import SourceHttp
from tests.core.sources.conftest import NOON_LOCAL, PushReceiver
from tests.fakes.clock import FakeClock
from tests.helpers import wait_until
from tests.reliability.procs import ROOT, clean_env, free_port, wait_http

pytestmark = [pytest.mark.integration]


@dataclass
class Sims:
    server: SourceSimServer
    mt: PushReceiver
    el: PushReceiver
    listener_url: str


@pytest_asyncio.fixture
async def sims() -> AsyncIterator[Sims]:
    """The simulators on a port taken before start, pushing to a stand-in listener whose
    connectors use the simulators' rehearsal credentials (as ``setup.context_for`` does)."""
    clock = FakeClock(NOON_LOCAL)
    server = SourceSimServer(clock=clock, retry_every_s=0.05)
    base = server.bind()
    mt_recv, el_recv = PushReceiver(), PushReceiver()
    app = web.Application()
    app.router.add_post("/api/v1/sources/meituan/{kind}", mt_recv.handle)
    app.router.add_post("/api/v1/sources/{source}/{kind}", el_recv.handle)
    http = SourceHttp()
    async with LoopbackServer(app) as listener:

        def ctx(sid: str, rules) -> SourceContext:
            return SourceContext(
                sid,
                server.api_url(sid),
                dict(rules.rehearsal_credentials),
                http,
                clock,
                f"{listener.url}/api/v1/sources/{sid}",
            )

        mt_recv.connector = meituan.Connector(ctx("meituan", meituan.RULES))
        el_recv.connector = eleme.Connector(ctx("eleme", eleme.RULES))
        assert server.api_url("meituan") == f"{base}/meituan/api/v1/"
        server.push_to(listener.url)
        await server.start()
        try:
            yield Sims(server, mt_recv, el_recv, listener.url)
        finally:
            await server.stop()
            await http.aclose()


@pytest.mark.asyncio
async def test_bound_server_pushes_signed_orders_and_resends_what_failed(sims: Sims):
    mt_id = sims.server.meituan.new_order()
    assert await sims.server.meituan.push_order(mt_id)  # 美团 signed over the listener URL
    assert sims.mt.by_id[mt_id].display_label() == "美团 #1"
    assert len(mt_id) == 17 and mt_id != "27061900338318741"  # ids from the clock
    el_id = sims.server.eleme.new_order()
    assert await sims.server.eleme.push_new_order(el_id)
    assert len(el_id) == 19 and el_id in sims.el.by_id

    sims.mt.down = True  # the listener answers 503: the platform keeps the push
    late = sims.server.meituan.new_order()
    assert not await sims.server.meituan.push_order(late)
    assert late not in sims.mt.by_id
    sims.mt.down = False
    await wait_until(lambda: late in sims.mt.by_id)  # re-sent by the retry loop
    assert sims.server.meituan.pusher.failed == []
    assert sims.mt.rejected == 0 and sims.el.rejected == 0


@pytest.mark.asyncio
async def test_targets_control_op_repoints_pushes(sims: Sims):
    async with httpx.AsyncClient(trust_env=False) as ctl:
        r = await ctl.post(
            sims.server.base_url + "/__sources/targets", json={"jupei": "http://127.0.0.1:1"}
        )
        assert r.json() == {
            "meituan_push_base": "http://127.0.0.1:1/api/v1/sources/meituan",
            "eleme_push_url": "http://127.0.0.1:1/api/v1/sources/eleme/push",
            # the later simulators push to <listener>/api/v1/sources/<id>/<kind>
            **{f"{sid}_push_base": f"http://127.0.0.1:1/api/v1/sources/{sid}" for sid in SIMS},
        }
        r = await ctl.post(
            sims.server.base_url + "/__sources/targets", json={"jupei": sims.listener_url}
        )
        assert r.json()["eleme_push_url"] == sims.listener_url + "/api/v1/sources/eleme/push"
    assert sims.server.meituan.push_base_url == sims.listener_url + "/api/v1/sources/meituan"


@pytest.mark.asyncio
async def test_feed_alternates_sources_and_plays_each_scenario(sims: Sims):
    store = StoreSettings()
    feed = SourceFeed(sims.server.base_url, every_s=1, max_orders=10, seed=3, store=store)
    by_name = {s.name: s for s in SOURCE_SCENARIOS}
    mt_self = await feed.order_one(by_name["self_delivery"])
    el_private = await feed.order_one(by_name["privacy_number"])
    mt_platform = await feed.order_one(by_name["platform_delivery"])
    el_booked = await feed.order_one(by_name["reservation"])
    mt_cancel = await feed.order_one(by_name["user_cancel"])
    assert [m[0] for m in feed.made] == ["meituan", "eleme"] * 2 + ["meituan"]
    mt, el = sims.mt.by_id, sims.el.by_id
    assert mt[mt_self].fulfilment is FulfilmentMode.SELF_DELIVERY
    for so in (mt[mt_self], el[el_private]):  # customers near the store, not in Beijing
        r = so.recipient
        assert r.lat and r.lng and abs(r.lat - store.lat) < 0.05 and abs(r.lng - store.lng) < 0.05
        assert r.address.startswith("上海市") and r.name != "陆(先生)"
    assert mt[mt_platform].fulfilment is FulfilmentMode.PLATFORM_DELIVERY
    assert el[el_private].recipient.phones[0].kind is PhoneKind.VIRTUAL
    assert el[el_booked].is_reservation
    assert mt[mt_cancel].state is SourceOrderState.NEW
    el_next = await feed.order_one(by_name["self_delivery"])  # the cancel goes first
    assert sims.mt.by_id[mt_cancel].state is SourceOrderState.CANCELLED
    assert [d.kind for d in sims.server.meituan.log.deliveries][-2:] == ["order", "cancel"]
    assert el_next in sims.el.by_id
    assert feed.asked == 6


def test_feed_draws_only_what_the_simulator_can_play():
    feed = SourceFeed("http://127.0.0.1:1", ("eleme",), every_s=1, max_orders=1, seed=5)
    names = {feed.pick()[1].name for _ in range(200)}
    assert "platform_delivery" not in names  # 饿了么's simulator has no 蜂鸟 orders
    assert {"self_delivery", "privacy_number", "reservation", "user_cancel"} <= names


@pytest.mark.asyncio
async def test_which_sources_rehearsal_simulates():
    clock = FakeClock(NOON_LOCAL)
    assert rehearsal_sources(Settings(), False, clock) is None  # real accounts
    off = Settings(rehearsal={"sources": False})
    assert rehearsal_sources(off, True, clock) is None
    real_mt = Settings(sources={"meituan": {"mode": "pull"}})
    rs = rehearsal_sources(real_mt, True, clock)
    others = tuple(SIMS)  # the simulators added after 美团/饿了么
    assert rs is not None and rs.sources == ("eleme", *others)  # a configured one stays real
    assert rs.server is not None and rs.control_url == rs.server.base_url
    assert rs.simulator_base_urls == {
        sid: f"{rs.server.base_url}/{sid}/api/v1/" for sid in ("eleme", *others)
    }
    await rs.stop()  # built, never started: releases the bound port
    ext = Settings(rehearsal={"sources_url": "http://127.0.0.1:8741/", "source_orders_every_s": 0})
    rs2 = rehearsal_sources(ext, True, clock)
    assert rs2 is not None and rs2.server is None and rs2.feed is None
    assert rs2.simulator_base_urls["meituan"] == "http://127.0.0.1:8741/meituan/api/v1/"


def test_cli_sandbox_serves_the_source_simulators():
    port, sources_port = free_port(), free_port()
    cmd = [sys.executable, "-m", "app", "sandbox", "--port", str(port)]
    cmd += ["--sources-port", str(sources_port), "--push-to", "http://127.0.0.1:1"]
    with subprocess.Popen(
        cmd, cwd=ROOT, env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    ) as proc:
        try:
            wait_http(f"http://127.0.0.1:{sources_port}/__sources/meituan/log", proc)
            base = f"http://127.0.0.1:{sources_port}"
            made = httpx.post(
                base + "/__sources/eleme/new_order", json={"push": False}, trust_env=False
            ).json()
            assert len(made["order_id"]) == 19 and made["pushed"] is False
            unsigned = httpx.get(base + "/meituan/api/v1/order/getOrderDaySeq", trust_env=False)
            assert unsigned.json()["data"] == "ng"  # served, and it checks signatures
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=10)
        assert proc.returncode == 0
        printed = err.decode("utf-8", "replace")
        assert f"{base}/meituan/api/v1/" in printed and f"{base}/eleme/api/v1/" in printed
        assert "http://127.0.0.1:1/api/v1/sources/meituan" in printed
