"""Start-up catch-up and the sync-back outbox, against the simulators over loopback and
as pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.core.domain.source_order import SourceOrderState
from app.core.domain.status import DeliveryStatus
from app.core.sources import outbox
from app.core.sources.base import SyncBack
from app.core.sources.catchup import catch_up

T0 = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def change(status: DeliveryStatus, oid: str = "1", attempt: str = "a1", **kw: object) -> SyncBack:
    base: dict[str, object] = dict(
        source_order_id=oid,
        attempt_id=attempt,
        status=status,
        carrier="dada",
        carrier_order_id="DD1",
        rider_name="李四",
        rider_phone="13900000000",
        lat=39.9,
        lng=116.4,
    )
    base.update(kw)
    return SyncBack(**base)  # type: ignore[arg-type]


# ------------------------------------------------------------------ catch-up
@pytest.mark.integration
@pytest.mark.asyncio
async def test_meituan_catch_up_backfills_quietly_and_catches_missed_cancels(mt_rig):
    sim, store, clock = mt_rig.sim, mt_rig.receiver, mt_rig.clock
    stored = sim.new_order()
    await sim.push_order(stored)  # we had this one before going down
    old = sim.new_order()  # arrived while we were down, long ago
    clock.advance(3600)
    sim.user_cancel(stored)  # cancelled while we were down: no push reached us
    young = sim.new_order()
    report = await catch_up(mt_rig.connector, store, clock.now())
    assert report.healthy
    assert [o.source_order_id for o in report.new] == [old, young]
    assert [o.source_order_id for o in report.ring] == [young]  # no sound storm
    assert store.by_id[stored].state is SourceOrderState.CANCELLED
    assert report.refreshed == 3


@pytest.mark.integration
@pytest.mark.asyncio
async def test_eleme_catch_up_refreshes_an_expired_token(eleme_rig):
    sim, store = eleme_rig.sim, eleme_rig.receiver
    oid = sim.new_order()
    sim.token_expired = True
    report = await catch_up(eleme_rig.connector, store, eleme_rig.clock.now())
    assert report.healthy and report.token_refreshed
    assert [o.source_order_id for o in report.new] == [oid]


@pytest.mark.integration
@pytest.mark.asyncio
async def test_catch_up_reports_unhealthy_when_the_platform_is_down(mt_rig):
    mt_rig.sim.faults.server_errors = 10
    report = await catch_up(mt_rig.connector, mt_rig.receiver, mt_rig.clock.now())
    assert not report.healthy and "502" in report.error


# ------------------------------------------------------------------ outbox rules
def test_enqueue_dedupes_and_keeps_order_where_required():
    items = outbox.enqueue([], change(DeliveryStatus.AT_PICKUP), ordered=True)
    items = outbox.enqueue(items, change(DeliveryStatus.AT_PICKUP), ordered=True)
    items = outbox.enqueue(items, change(DeliveryStatus.PICKED_UP), ordered=True)
    assert [i.change.status for i in items] == [DeliveryStatus.AT_PICKUP, DeliveryStatus.PICKED_UP]


def test_unordered_platforms_get_only_the_newest_unsent_state():
    items = outbox.enqueue([], change(DeliveryStatus.ACCEPTED), ordered=False)
    items = outbox.enqueue(items, change(DeliveryStatus.ACCEPTED, attempt="a0"), ordered=False)
    items = outbox.enqueue(items, change(DeliveryStatus.PICKED_UP), ordered=False)
    assert [(i.change.attempt_id, i.change.status) for i in items] == [
        ("a0", DeliveryStatus.ACCEPTED),  # another attempt is never superseded
        ("a1", DeliveryStatus.PICKED_UP),
    ]


def test_due_sends_one_per_order_and_waits_for_backoff():
    items = [
        outbox.OutboxItem(
            change(DeliveryStatus.ACCEPTED), tries=1, next_at=T0 + timedelta(seconds=5)
        ),
        outbox.OutboxItem(change(DeliveryStatus.PICKED_UP)),
        outbox.OutboxItem(change(DeliveryStatus.ACCEPTED, oid="2")),
    ]
    assert [i.change.source_order_id for i in outbox.due(items, T0)] == ["2"]
    assert [i.change.status for i in outbox.due(items, T0 + timedelta(seconds=5))] == [
        DeliveryStatus.ACCEPTED,
        DeliveryStatus.ACCEPTED,
    ]


def test_backoff_grows_and_is_capped():
    assert outbox.backoff(1) == timedelta(seconds=5)
    assert outbox.backoff(3) == timedelta(seconds=20)
    assert outbox.backoff(30) == timedelta(seconds=600)


@pytest.mark.integration
@pytest.mark.asyncio
async def test_outbox_against_the_simulator_retries_in_order(mt_rig):
    sim, conn, clock = mt_rig.sim, mt_rig.connector, mt_rig.clock
    oid = sim.new_order()
    items: list[outbox.OutboxItem] = []
    for status in (
        DeliveryStatus.ACCEPTED,
        DeliveryStatus.AT_PICKUP,
        DeliveryStatus.PICKED_UP,
        DeliveryStatus.DELIVERED,
    ):
        items = outbox.enqueue(items, change(status, oid=oid), ordered=True)
    sim.faults.sync_server_errors = 2
    rounds = 0
    while any(i.pending for i in items):
        items = await outbox.flush(conn, items, clock.now())
        clock.advance(outbox.backoff(rounds + 1).total_seconds())
        rounds += 1
        assert rounds < 20
    assert sim.orders[oid].syncs == [10, 15, 20, 40]
    assert items[0].tries == 3 and all(i.done for i in items)


@pytest.mark.integration
@pytest.mark.asyncio
async def test_outbox_parks_a_refusal_instead_of_retrying_forever(mt_rig):
    oid = mt_rig.sim.new_order()
    bad = outbox.enqueue([], change(DeliveryStatus.ACCEPTED, oid=oid, lat=None), ordered=True)
    (item,) = await outbox.flush(mt_rig.connector, bad, mt_rig.clock.now())
    assert item.parked and not item.pending
