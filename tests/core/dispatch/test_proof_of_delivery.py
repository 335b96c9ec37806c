"""Uber Direct's proof of delivery (issue 18): fetched when the attempt is delivered, kept
on the attempt, logged on the timeline (in the UI language)."""

from __future__ import annotations

import base64

import pytest

from app.core.domain import DeliveryStatus
from tests.core.dispatch.support import add_order, attempts, eng, events, order_state, sandbox
from tests.helpers import started_core, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]

US_STORE = {"country": "US", "currency": "USD", "lat": 37.7936, "lng": -122.3950}


async def _delivered(core, oid):
    return await order_state(core, oid) == "delivered"


async def test_uber_direct_delivery_keeps_its_proof_of_delivery(tmp_path):
    async with started_core(tmp_path, store=US_STORE) as core:
        e, sb = eng(core), sandbox(core)
        oid = await add_order(core)
        await e.collect_quotes(oid)
        att = await e.dispatch(oid, "uber_direct")
        assert att.carrier == "uber_direct" and att.carrier_order_id.startswith("del_")
        sb.advance(2000)
        await e.refresh(oid)
        await wait_until(lambda: _delivered(core, oid))
        (a,) = await attempts(core, oid)
        assert a.status is DeliveryStatus.DELIVERED
        proof = a.extra["proof_of_delivery"]
        assert proof["type"] == "picture" and proof["bytes"] > 0
        assert base64.b64decode(proof["document"]).startswith(b"\x89PNG")
        ev = next(x for x in await events(core, oid) if x.kind == "proof_of_delivery")
        assert ev.data["carrier"] == "uber_direct" and ev.data["type"] == "picture"


async def test_carriers_without_proof_keep_nothing(tmp_path):
    async with started_core(tmp_path) as core:
        e, sb = eng(core), sandbox(core)
        oid = await add_order(core)
        await e.collect_quotes(oid)
        await e.dispatch(oid, "dada")
        sb.advance(2000)
        await e.refresh(oid)
        await wait_until(lambda: _delivered(core, oid))
        (a,) = await attempts(core, oid)
        assert "proof_of_delivery" not in a.extra
        assert all(x.kind != "proof_of_delivery" for x in await events(core, oid))
