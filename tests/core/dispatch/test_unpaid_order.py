"""UU跑腿 answers a create with a payment link when the balance is short (issue 18 item 3):
the dispatcher must not wait for a rider; the manager sees the link (alert + timeline)."""

from __future__ import annotations

import pytest

from app.core.dispatch.context import DispatchError
from app.core.domain import DeliveryStatus
from app.core.events import AlertRaised
from app.core.sandbox.engine import Faults
from tests.core.dispatch.support import add_order, attempts, eng, events, order_state, sandbox
from tests.helpers import started_core

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]
OTHERS = ("dada", "shansong", "sf", "meituan", "fengniao")


async def test_payment_link_flags_the_manager_and_no_rider_is_awaited(tmp_path):
    async with started_core(tmp_path, carriers={c: {"enabled": False} for c in OTHERS}) as core:
        e, sb = eng(core), sandbox(core)
        alerts: list[AlertRaised] = []
        core.service.bus.subscribe(AlertRaised, alerts.append)
        oid = await add_order(core)
        sb.set_faults("uupt", Faults(insufficient_balance=True))
        with pytest.raises(DispatchError):
            await e.dispatch(oid)
        assert await order_state(core, oid) == "attention"
        atts = await attempts(core, oid)
        assert all(a.status is not DeliveryStatus.PENDING_ACCEPT for a in atts)
        assert not any(a.carrier_order_id for a in atts)  # never recorded as placed
        sim = next(iter(sb.orders["uupt"].values()))
        assert sim.extra["unpaid"] and sim.cancelled is not None  # no rider can come later
        link = f"https://pay.sandbox.uupt.invalid/{sim.carrier_order_id}"
        skip = [x for x in await events(core, oid) if x.kind == "dispatch_skip"]
        assert skip and link in skip[0].data["error"]
        assert any(a.order_id == oid and link in a.message for a in alerts)
