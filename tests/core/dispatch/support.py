"""Helpers for the dispatch tests: orders in, a fast tracker, sandbox shortcuts."""

from __future__ import annotations

import itertools

from app.bootstrap import Core
from app.core.dispatch.engine import DispatchEngine
from app.core.domain import DeliveryAttempt
from app.core.sandbox.engine import SandboxEngine
from tests.helpers import sample_order

_seq = itertools.count(1)


def eng(core: Core) -> DispatchEngine:
    d = core.service.dispatcher
    assert isinstance(d, DispatchEngine)
    d.tracker.scale = 0.02  # polls every few tens of ms instead of seconds
    return d


def sandbox(core: Core) -> SandboxEngine:
    assert core.sandbox is not None
    return core.sandbox.engine


async def add_order(core: Core, **kw) -> int:
    order = sample_order(f"T{next(_seq):05d}", **kw)
    out = await core.service.receive_order(order, f"h{order.pos_order_id}", "pos")
    assert out.order.id is not None
    return out.order.id


async def attempts(core: Core, oid: int) -> list[DeliveryAttempt]:
    db = core.service.db
    return await db.run(db.attempts_for_order, oid)


async def events(core: Core, oid: int):
    db = core.service.db
    return await db.run(db.events_for_order, oid)


async def order_state(core: Core, oid: int) -> str:
    db = core.service.db
    o = await db.run(db.get_order, oid)
    assert o is not None
    return o.state.value


async def cheapest(core: Core, oid: int, exclude=()) -> list[str]:
    """Carriers by quoted fee (the sandbox prices are stable per seed)."""
    qs = await eng(core).collect_quotes(oid)
    return [q.carrier for q in sorted(qs, key=lambda q: q.fee_fen) if q.carrier not in exclude]
