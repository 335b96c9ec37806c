"""美团 MTOp variant against its simulator over loopback: chosen by option, SHA-1 signed
forms, confirm/cancel, the businessId-16 riderPosition sync, verified pushes and
heartbeats, and honest refusals where the notes stop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import pytest
import pytest_asyncio
from aiohttp import web

from app.core.domain.status import DeliveryStatus
from app.core.sandbox.sources.common import LoopbackServer
from app.core.sandbox.sources.meituan_mtop import MtopSim
from app.core.sources import registry
from app.core.sources.base import (
    SourceAuthError,
    SourceContext,
    SourceRejectedError,
    SyncBack,
)
from app.core.sources.http import SourceHttp
from app.core.sources.meituan import RULES, MtopConnector
from tests.core.sources.conftest import NOON_LOCAL, PushReceiver
from tests.fakes.clock import FakeClock

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


@dataclass
class MtopRig:
    sim: MtopSim
    connector: MtopConnector
    receiver: PushReceiver


@pytest_asyncio.fixture
async def rig() -> AsyncIterator[MtopRig]:
    clock = FakeClock(NOON_LOCAL)
    receiver = PushReceiver()
    app = web.Application()
    app.router.add_post("/api/v1/sources/{source}/{kind}", receiver.handle)
    async with LoopbackServer(app) as recv:
        sim = MtopSim(clock=clock, push_url=recv.url + "/api/v1/sources/meituan/order")
        async with LoopbackServer(sim.make_app()) as api:
            http = SourceHttp()
            ctx = SourceContext(
                "meituan",
                api.url + "/",
                dict(RULES.rehearsal_credentials),
                http,
                clock,
                options={"variant": "mtop", "mtop_business_id": 16},
            )
            conn = registry.build_connector(ctx)
            assert isinstance(conn, MtopConnector)
            receiver.connector = conn
            yield MtopRig(sim, conn, receiver)
            await http.aclose()


async def test_confirm_cancel_and_rider_position(rig):
    await rig.connector.confirm("27061900338318741")
    assert rig.sim.confirmed == {27061900338318741}
    await rig.connector.reject("27061900338318742", "店铺太忙")
    change = SyncBack(
        "27061900338318741",
        "jp-1-1",
        DeliveryStatus.PICKED_UP,
        "sf",
        "SF1",
        "李四",
        "13900000000_12",
        39.9,
        116.4,
    )
    await rig.connector.sync_back(change)
    (pos,) = rig.sim.positions
    assert pos["orderId"] == 27061900338318741
    assert (pos["logisticsStatus"], pos["thirdLogisticsId"], pos["courierPhoneType"]) == (
        20,
        10001,
        1,
    )
    assert rig.sim.log.paths()[-1] == "wmoper/ng/order/riderPosition"


async def test_wrong_sign_key_is_an_auth_error(rig):
    ctx = rig.connector.ctx
    bad = MtopConnector(replace(ctx, credentials={**ctx.credentials, "sign_key": "nope"}))
    with pytest.raises(SourceAuthError):
        await bad.confirm("1")


async def test_pushes_are_verified_and_heartbeats_answered(rig):
    assert await rig.sim.push(None)
    assert await rig.sim.push({"orderId": 27061900338318741, "daySeq": 3})
    assert rig.receiver.rejected == 0
    assert rig.receiver.seen == {"27061900338318741:order:1796097600"}  # heartbeat has no key
    rig.sim.sign_key = "not-ours"
    assert not await rig.sim.push({"orderId": 1})
    assert rig.receiver.rejected == 1
    assert [d.accepted for d in rig.sim.log.deliveries] == [True, True, False]


async def test_reads_are_refused_until_the_fields_are_known(rig):
    with pytest.raises(SourceRejectedError):
        await rig.connector.pull()
    with pytest.raises(SourceRejectedError):
        await rig.connector.get_order("1")
