"""``inbox.receive_push``: the one code path for a push from the listener or a relay."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from app.core.domain.source_order import SourceOrderState
from app.core.sources.base import PushRequest, SourceUnavailableError
from app.core.sources.inbox import receive_push
from app.core.sources.meituan import mapping
from app.core.sources.store import MemorySourceStore

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


def signed(rig, kind: str, fields: dict) -> PushRequest:
    """A push as the relay would hand it over (same bytes the platform sent)."""
    values = {k: str(v) for k, v in fields.items()}
    values.update(app_id=rig.sim.app_id, timestamp="1")
    sig = mapping.sign(f"{rig.push_url}/{kind}", values, rig.sim.secret)
    return PushRequest("POST", f"/relay/{kind}", {}, {}, urlencode({**values, "sig": sig}).encode())


async def test_new_then_duplicate_then_state(mt_rig):
    store = MemorySourceStore()
    oid = mt_rig.sim.new_order()
    req = signed(mt_rig, "order", mt_rig.sim.order_push_fields(oid))
    first = await receive_push(mt_rig.connector, store, "order", req)
    assert (first.status, first.body) == (200, b'{"data":"ok"}')
    assert [o.source_order_id for o in first.new_orders] == [oid]
    again = await receive_push(mt_rig.connector, store, "order", req)
    assert (again.new_orders, again.duplicates) == ((), 1)
    cancel = signed(mt_rig, "cancel", mt_rig.sim.user_cancel(oid))
    done = await receive_push(mt_rig.connector, store, "cancel", cancel)
    assert done.changed == (oid,)
    assert (await store.get("meituan", oid)).state is SourceOrderState.CANCELLED
    assert await store.open_ids("meituan") == []


async def test_refused_push_changes_nothing(mt_rig):
    store = MemorySourceStore()
    oid = mt_rig.sim.new_order()
    mt_rig.sim.secret = "wrong"
    reply = await receive_push(
        mt_rig.connector, store, "order", signed(mt_rig, "order", mt_rig.sim.order_push_fields(oid))
    )
    assert reply.status == 400 and reply.rejected
    assert store.orders == {} and store.pushes == set()


async def test_state_for_an_unknown_order_reads_it_first(mt_rig):
    store = MemorySourceStore()
    oid = mt_rig.sim.new_order()
    reply = await receive_push(
        mt_rig.connector, store, "refund", signed(mt_rig, "refund", mt_rig.sim.refund(oid, "agree"))
    )
    assert [o.source_order_id for o in reply.new_orders] == [oid]
    assert (await store.get("meituan", oid)).state is SourceOrderState.CANCELLED


async def test_a_failed_read_remembers_nothing_so_the_platform_retries(mt_rig):
    store = MemorySourceStore()
    oid = mt_rig.sim.new_order()
    req = signed(mt_rig, "cancel", mt_rig.sim.user_cancel(oid))
    mt_rig.sim.faults.server_errors = 1
    with pytest.raises(SourceUnavailableError):
        await receive_push(mt_rig.connector, store, "cancel", req)
    assert store.pushes == set()
    reply = await receive_push(mt_rig.connector, store, "cancel", req)  # the retry
    assert reply.status == 200 and (await store.get("meituan", oid)) is not None
