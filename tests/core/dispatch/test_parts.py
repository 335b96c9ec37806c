"""Each dispatch part on its own, over fake carriers (``tests/fakes/dispatch.py``): the
context, the fan-out's explicit key, the submitter, the tracker (which only publishes),
the reactions (which only follow events), the operator actions, and engine state kept in
typed attempt fields through storage."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.core.carriers.base import InsufficientBalanceError, RejectedError
from app.core.dispatch.accept import AcceptTimers
from app.core.dispatch.cancel import Canceller
from app.core.dispatch.context import DispatchError, FailoverNeeded
from app.core.dispatch.engine import DispatchEngine
from app.core.dispatch.reactions import Reactions
from app.core.dispatch.tracking import Tracker
from app.core.domain import (
    Attention,
    AttentionReason,
    DeliveryAttempt,
    DeliveryStatus,
    DispatchMode,
    OrderState,
)
from app.core.events import AttemptStatusChanged, OrderChanged
from app.core.pos.schema import payload_hash
from tests.fakes.dispatch import World, dispatch_world
from tests.helpers import sample_order

pytestmark = pytest.mark.asyncio
S = DeliveryStatus


async def new_order(w: World, pos_id: str = "P1", **kw: object) -> int:
    order = sample_order(pos_id, **kw)
    (out,) = await w.db.run(
        w.db.insert_orders, [(order, payload_hash({"id": pos_id}), "pos")], w.clock.now()
    )
    assert out.order.id is not None
    return out.order.id


async def live_attempt(w: World, oid: int, carrier: str = "dada", **kw: object) -> DeliveryAttempt:
    att = DeliveryAttempt(
        oid, 1, carrier, w.ctx.key_for(oid, 1), S.PENDING_ACCEPT, created_at=w.clock.now(), **kw
    )
    att = await w.db.run(w.db.insert_attempt, att)
    w.carriers[carrier].status[att.idempotency_key] = S.PENDING_ACCEPT
    return att


async def order_of(w: World, oid: int):
    order = await w.db.run(w.db.get_order, oid)
    assert order is not None
    return order


def reactions_of(w: World) -> Reactions:
    tracker = Tracker(w.ctx)
    canceller = Canceller(w.ctx, tracker)
    reactions = Reactions(w.ctx, AcceptTimers(w.ctx, tracker, canceller), canceller)
    reactions.start()
    return reactions


# ---------------------------------------------------------------------- context
async def test_set_state_encodes_the_reason_and_never_leaves_a_final_state(tmp_path):
    w = dispatch_world(tmp_path)
    oid = await new_order(w)
    why = Attention(AttentionReason.DISPATCH_FAILED, "every eligible carrier failed")
    await w.ctx.set_state(oid, OrderState.ATTENTION, why)
    assert Attention.decode((await order_of(w, oid)).extra["attention"]) == why
    await w.ctx.set_state(oid, OrderState.DELIVERED)
    assert (await order_of(w, oid)).extra["attention"] == ""  # cleared with the state
    await w.ctx.set_state(oid, OrderState.DISPATCHING)
    assert (await order_of(w, oid)).state is OrderState.DELIVERED
    assert [e.state for e in w.of(OrderChanged)] == ["attention", "delivered"]


# ---------------------------------------------------------------------- fan-out
async def test_the_idempotency_key_reaches_quote_explicitly(tmp_path):
    w = dispatch_world(tmp_path)
    engine = DispatchEngine(w.ctx)
    await w.ctx.ensure_install_id()
    oid = await new_order(w)
    quotes = await engine.collect_quotes(oid)
    assert {q.carrier for q in quotes} == {"dada", "sf"}
    key = w.ctx.key_for(oid, 1)
    assert key.isalnum() and all(c.quote_keys == [key] for c in w.carriers.values())
    att = await engine.dispatch(oid)
    assert att.idempotency_key == key and att.carrier == "dada"  # the cheaper fake
    assert "idempotency_key" not in w.carriers["dada"].created[key].extra


# ---------------------------------------------------------------------- submitter
async def test_submitter_commits_creates_and_publishes(tmp_path):
    w = dispatch_world(tmp_path)
    engine = DispatchEngine(w.ctx)
    oid = await new_order(w)
    att = await engine.dispatch(oid, "sf")
    assert att.status is S.PENDING_ACCEPT and att.carrier_order_id == f"sf-{att.idempotency_key}"
    (ev,) = w.of(AttemptStatusChanged)
    assert (ev.status, ev.previous) == ("pending_accept", "submitting")
    assert (await order_of(w, oid)).state is OrderState.DISPATCHING
    await engine.stop()


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (RejectedError("x", "out of range"), AttentionReason.DISPATCH_FAILED),
        (InsufficientBalanceError("x", "balance"), AttentionReason.INSUFFICIENT_BALANCE),
    ],
)
async def test_every_carrier_refusing_needs_attention_with_a_reason(tmp_path, error, reason):
    w = dispatch_world(tmp_path)
    engine = DispatchEngine(w.ctx)
    for c in w.carriers.values():
        c.fail_create = error
    oid = await new_order(w)
    with pytest.raises(DispatchError, match="every eligible carrier failed"):
        await engine.dispatch(oid)
    order = await order_of(w, oid)
    assert order.state is OrderState.ATTENTION
    assert Attention.decode(order.extra["attention"]).reason is reason  # type: ignore[union-attr]


# ---------------------------------------------------------------------- tracker
async def test_tracker_applies_and_publishes_but_does_not_react(tmp_path):
    w = dispatch_world(tmp_path)
    tracker = Tracker(w.ctx)
    oid = await new_order(w)
    att = await live_attempt(w, oid)
    w.carriers["dada"].status[att.idempotency_key] = S.DELIVERED
    got = await tracker.poll_now(att)
    assert got.status is S.DELIVERED and got.finished_at is not None
    (ev,) = w.of(AttemptStatusChanged)
    assert (ev.status, ev.previous) == ("delivered", "pending_accept")
    assert (await order_of(w, oid)).state is OrderState.NEW  # that is the reactions' job


# ---------------------------------------------------------------------- reactions
async def test_reactions_follow_the_status_events(tmp_path):
    w = dispatch_world(tmp_path)
    reactions = reactions_of(w)
    o1, o2 = await new_order(w, "P1"), await new_order(w, "P2")
    a1 = await live_attempt(w, o1)
    a2 = await live_attempt(w, o2, "sf")
    await w.ctx.save(a1.with_(status=S.RETURNING))
    w.ctx.published(a1.with_(status=S.RETURNING), S.PICKED_UP)
    await w.ctx.save(a2.with_(status=S.DELIVERED))
    w.ctx.published(a2.with_(status=S.DELIVERED), S.AT_DROPOFF)
    await reactions.settled(o1)
    await reactions.settled(o2)
    returning = Attention.decode((await order_of(w, o1)).extra["attention"])
    assert returning is not None and returning.reason is AttentionReason.GOODS_RETURNING
    assert (await order_of(w, o2)).state is OrderState.DELIVERED
    reactions.stop()


@pytest.mark.parametrize("mode", [DispatchMode.MANUAL, DispatchMode.AUTO])
async def test_a_rider_cancel_fails_over_or_asks_the_cashier(tmp_path, mode):
    w = dispatch_world(tmp_path)
    reactions = reactions_of(w)
    failovers: list[FailoverNeeded] = []
    w.ctx.signals.subscribe(FailoverNeeded, failovers.append)
    oid = await new_order(w, dispatch_mode=mode)
    att = (await live_attempt(w, oid)).with_(status=S.CANCELLED)
    await w.ctx.save(att)
    w.ctx.published(att, S.ACCEPTED)
    await reactions.settled(oid)
    order = await order_of(w, oid)
    if mode is DispatchMode.AUTO:
        assert [f.order_id for f in failovers] == [oid] and order.state is OrderState.NEW
    else:
        why = Attention.decode(order.extra["attention"])
        assert not failovers and why is not None
        assert why.reason is AttentionReason.RIDER_CANCELLED and "dada" in why.detail


async def test_a_reassignment_restarts_the_accept_wait(tmp_path):
    w = dispatch_world(tmp_path)
    reactions = reactions_of(w)
    oid = await new_order(w)
    att = await live_attempt(w, oid)
    w.ctx.published(att, S.ACCEPTED)  # the rider withdrew: back to waiting
    await reactions.settled(oid)
    got = await w.db.run(w.db.get_attempt, att.id)
    assert got is not None and got.accept_deadline == w.clock.now() + timedelta(seconds=60)
    await w.ctx.sup.drain(timeout=0)


# ---------------------------------------------------------------------- actions
async def test_operator_tip_counts_in_a_typed_field_and_cancel_is_confirmed(tmp_path):
    w = dispatch_world(tmp_path)
    engine = DispatchEngine(w.ctx)
    oid = await new_order(w)
    att = await live_attempt(w, oid)
    assert await engine.add_tip(oid, 200) == 200
    got = await w.db.run(w.db.get_attempt, att.id)
    assert got is not None and got.tip_count == 1 and got.tip_fen == 200
    assert await engine.cancel(oid, "customer changed mind") == 0
    got = await w.db.run(w.db.get_attempt, att.id)
    assert got is not None and got.status is S.CANCELLED and got.cancel_requested_at
    assert (await order_of(w, oid)).state is OrderState.CANCELLED


# ---------------------------------------------------------------------- storage
async def test_engine_state_round_trips_through_storage(tmp_path):
    w = dispatch_world(tmp_path)
    oid = await new_order(w)
    now = w.clock.now()
    att = await live_attempt(
        w,
        oid,
        race_group="race1",
        accept_deadline=now,
        ladder_step=2,
        tip_count=3,
        recreates=1,
        failover_pending=True,
        cancel_requested_at=now,
        extra={"delivery_id": "D1"},
    )
    got = await w.db.run(w.db.get_attempt, att.id)
    assert got == att and got.extra == {"delivery_id": "D1"}
