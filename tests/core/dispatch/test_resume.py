"""A restart with a backlog stays quick: ``start`` launches one background job whatever
the backlog; orders due too long ago are flagged for the cashier in bulk; the rest are
dispatched oldest first by a bounded number of workers. Behaviour and counters only."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from app.core.dispatch.engine import DispatchEngine
from app.core.dispatch.resume import WORKERS
from app.core.domain import Attention, AttentionReason, DispatchMode, OrderState
from app.core.events import AlertKind, AlertRaised
from app.core.storage import tables as t
from app.core.storage.convert import order_to_row
from tests.fakes.dispatch import World, dispatch_world
from tests.helpers import sample_order

pytestmark = pytest.mark.asyncio
OLD, RECENT = 19_950, 50


def backlog(w: World, n: int, received: datetime, mode: DispatchMode, prefix: str) -> None:
    """``n`` waiting orders in one executemany (the intake path would take minutes)."""
    rows = []
    for i in range(n):
        row = order_to_row(sample_order(f"{prefix}{i:06d}", dispatch_mode=mode))
        rows.append(
            row
            | {
                "payload_hash": "h",
                "received_at": received + timedelta(seconds=i % 600),
                "updated_at": received,
                "business_date": "2026-11-24",
                "attention": "",
                "source": "pos",
            }
        )
    with w.db.engine.begin() as c:
        c.execute(insert(t.orders), rows)


def count(w: World, *where) -> int:
    with w.db.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(t.orders).where(*where)).scalar_one())


async def started(w: World) -> tuple[DispatchEngine, int]:
    """The engine started, and how many tasks its start left running."""
    engine = DispatchEngine(w.ctx)
    await engine.start()
    return engine, len(w.ctx.sup)


@pytest.mark.allow_warnings  # "N waiting orders too old to dispatch" is a WARNING
async def test_a_restart_with_20000_waiting_orders_stays_bounded(tmp_path):
    empty = dispatch_world(tmp_path / "empty", mode="auto")
    engine, tasks_when_empty = await started(empty)
    await engine.stop()

    w = dispatch_world(tmp_path / "full", mode="auto", resume_max_age_min=120)
    now = w.clock.now()
    backlog(w, OLD, now - timedelta(hours=3), DispatchMode.MANUAL, "OLD")
    backlog(w, RECENT, now - timedelta(minutes=30), DispatchMode.MANUAL, "NEW")
    engine, tasks = await started(w)
    assert tasks == tasks_when_empty  # one job for the backlog, not one task per order
    assert engine.backlog.task is not None
    await engine.backlog.task
    stats = engine.backlog.stats
    assert (stats.flagged, stats.queued, stats.done) == (OLD, RECENT, RECENT)
    assert 1 <= stats.max_running <= WORKERS
    o = t.orders.c
    assert count(w, o.state == OrderState.ATTENTION.value) == OLD
    assert count(w, o.state == OrderState.DISPATCHING.value) == RECENT
    with w.db.engine.connect() as c:
        attention = c.execute(select(o.attention).where(o.pos_order_id == "OLD000000")).scalar()
        too_old = c.execute(
            select(func.count())
            .select_from(t.order_events)
            .where(t.order_events.c.kind == "too_old")
        ).scalar()
    why = Attention.decode(attention)
    assert why is not None and why.reason is AttentionReason.TOO_OLD and "120" in why.detail
    assert too_old == OLD
    (alert,) = [a for a in w.of(AlertRaised) if a.kind is AlertKind.ATTENTION]
    assert alert.order_id is None and alert.reason is AttentionReason.TOO_OLD  # one chime
    created = sum(len(c.created) for c in w.carriers.values())
    assert created == RECENT  # each resumed order dispatched once, none of the old ones
    await engine.stop()


async def test_resume_goes_oldest_first_and_leaves_manual_orders_alone(tmp_path):
    w = dispatch_world(tmp_path, mode="manual", resume_max_age_min=60)
    now = w.clock.now()
    backlog(w, 3, now - timedelta(minutes=10), DispatchMode.AUTO, "B")
    backlog(w, 3, now - timedelta(minutes=20), DispatchMode.AUTO, "A")
    backlog(w, 5, now - timedelta(minutes=90), DispatchMode.MANUAL, "M")  # the cashier's
    order: list[int] = []
    engine = DispatchEngine(w.ctx)
    engine.backlog.workers = 1
    engine.backlog.dispatch_one = _recorder(order)
    await engine.start()
    assert engine.backlog.task is not None
    await engine.backlog.task
    with w.db.engine.connect() as c:
        ids = dict(c.execute(select(t.orders.c.id, t.orders.c.pos_order_id)).all())
    assert [ids[i] for i in order] == [
        "A000000",
        "A000001",
        "A000002",
        "B000000",
        "B000001",
        "B000002",
    ]
    assert engine.backlog.stats.flagged == 0
    assert count(w, t.orders.c.state == OrderState.NEW.value) == 11
    await engine.stop()


def _recorder(into: list[int]):
    async def dispatch_one(order_id: int) -> None:
        into.append(order_id)

    return dispatch_one


@pytest.mark.allow_warnings  # "N waiting orders too old to dispatch" is a WARNING
async def test_platform_delivered_and_pickup_orders_are_neither_flagged_nor_resumed(tmp_path):
    """In auto mode a restart looks at every waiting order; a 美团专送 or pickup order
    (``extra["dispatch"]`` False) is the platform's or the customer's, never too old."""
    w = dispatch_world(tmp_path, mode="auto", resume_max_age_min=60)
    now = w.clock.now()
    backlog(w, 2, now - timedelta(minutes=90), DispatchMode.AUTO, "OLD")  # ours: flagged
    backlog(w, 2, now - timedelta(minutes=10), DispatchMode.AUTO, "NEW")  # ours: resumed
    for prefix, age, fulfilment in (
        ("PLAT", 90, "platform_delivery"),
        ("PICK", 90, "pickup"),
        ("PLATNEW", 10, "platform_delivery"),
    ):
        backlog(w, 2, now - timedelta(minutes=age), DispatchMode.MANUAL, prefix)
        with w.db.engine.begin() as c:
            c.execute(
                t.orders.update()
                .where(t.orders.c.pos_order_id.startswith(prefix + "0"))
                .values(extra={"dispatch": False, "fulfilment": fulfilment})
            )
    with w.db.engine.begin() as c:  # an older build wrote no flag at all: ours
        c.execute(t.orders.update().where(t.orders.c.pos_order_id == "OLD000001").values(extra={}))
    order: list[int] = []
    engine = DispatchEngine(w.ctx)
    engine.backlog.dispatch_one = _recorder(order)
    await engine.start()
    assert engine.backlog.task is not None
    await engine.backlog.task
    o = t.orders.c
    with w.db.engine.connect() as c:
        ids = dict(c.execute(select(o.id, o.pos_order_id)).all())
        flagged = c.execute(select(o.pos_order_id).where(o.state == "attention")).scalars().all()
        logged = c.execute(select(func.count()).select_from(t.order_events)).scalar_one()
    assert sorted(flagged) == ["OLD000000", "OLD000001"]
    assert logged == 2  # a too_old timeline row for each flagged order, none for the others
    assert sorted(ids[i] for i in order) == ["NEW000000", "NEW000001"]
    assert count(w, o.state == OrderState.NEW.value) == 8
    await engine.stop()
