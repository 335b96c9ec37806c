"""Both simulators behind one rehearsal port with a control API: orders created there
reach the connectors by push (under a path prefix, so the signed URL includes it) and
by pull, and the call log is readable."""

from __future__ import annotations

import httpx
import pytest
from aiohttp import web

from app.core.sandbox.sources.common import LoopbackServer
from app.core.sandbox.sources.server import build_app
from app.core.sources import eleme, meituan
from app.core.sources.base import SourceContext
from app.core.sources.http import SourceHttp
from tests.core.sources.conftest import NOON_LOCAL, PushReceiver
from tests.fakes.clock import FakeClock

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


async def test_rehearsal_server_feeds_both_connectors():
    clock = FakeClock(NOON_LOCAL)
    mt_recv, el_recv = PushReceiver(), PushReceiver()
    recv_app = web.Application()
    recv_app.router.add_post("/mt/api/v1/sources/{source}/{kind}", mt_recv.handle)
    recv_app.router.add_post("/el/api/v1/sources/{source}/{kind}", el_recv.handle)
    http = SourceHttp()
    async with LoopbackServer(recv_app) as recv:
        mt_push = recv.url + "/mt/api/v1/sources/meituan"
        el_push = recv.url + "/el/api/v1/sources/eleme/push"
        app = build_app(clock=clock, meituan_push_base=mt_push, eleme_push_url=el_push)
        async with LoopbackServer(app) as sims, httpx.AsyncClient(trust_env=False) as ctl:

            def ctx(source: str, rules, base: str, push_base: str) -> SourceContext:
                return SourceContext(
                    source,
                    sims.url + base,
                    dict(rules.rehearsal_credentials),
                    http,
                    clock,
                    push_base,
                )

            mt = meituan.Connector(ctx("meituan", meituan.RULES, "/meituan/api/v1/", mt_push))
            el = eleme.Connector(ctx("eleme", eleme.RULES, "/eleme/api/v1/", ""))
            mt_recv.connector, el_recv.connector = mt, el

            r = (
                await ctl.post(sims.url + "/__sources/meituan/new_order", json={"privacy": True})
            ).json()
            assert r["pushed"] and list(mt_recv.by_id) == [r["order_id"]]
            e = (await ctl.post(sims.url + "/__sources/eleme/new_order", json={})).json()
            assert e["pushed"] and list(el_recv.by_id) == [e["order_id"]]

            await ctl.post(sims.url + "/__sources/meituan/faults", json={"drop_pushes": 1})
            dropped = (await ctl.post(sims.url + "/__sources/meituan/new_order", json={})).json()
            assert not dropped["pushed"]
            pulled = await mt.pull(known=set(mt_recv.by_id))
            assert [o.source_order_id for o in pulled] == [dropped["order_id"]]
            assert pulled[0].display_label() == "美团 #2"

            c = (
                await ctl.post(
                    sims.url + "/__sources/eleme/cancel", json={"order_id": e["order_id"]}
                )
            ).json()
            assert c["pushed"]
            assert el_recv.by_id[e["order_id"]].state.value == "cancelled"

            retried = (await ctl.post(sims.url + "/__sources/meituan/retry", json={})).json()
            assert retried == {"accepted": 1}  # the dropped push, delivered late
            assert mt_recv.duplicates == 0 and len(mt_recv.by_id) == 2

            log = (await ctl.get(sims.url + "/__sources/meituan/log")).json()
            assert [d["accepted"] for d in log["deliveries"]] == [True, True]
            assert "order/getOrderDaySeq" in [c["path"] for c in log["calls"]]
            missing = await ctl.post(sims.url + "/__sources/eleme/refund", json={"order_id": "1"})
            assert missing.status_code == 404
    await http.aclose()
