"""Queries only the dispatch engine needs: per-carrier reliability from this store's own
attempt history, the orders to pick up again after a restart and the ones too old for
that. Synchronous, called
through ``Database.run``; rows never leave this module (plain values out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, ColumnElement, case, func, insert, literal, or_, select, update

from app.core.domain import DeliveryStatus, DispatchMode, OrderState
from app.core.storage import tables as t
from app.core.storage.repos import Database
from app.core.storage.tables import UTCDateTime

_ACCEPTED_OR_LATER = [
    s.value
    for s in (
        DeliveryStatus.ACCEPTED,
        DeliveryStatus.AT_PICKUP,
        DeliveryStatus.PICKED_UP,
        DeliveryStatus.AT_DROPOFF,
        DeliveryStatus.DELIVERED,
        DeliveryStatus.RETURNING,
        DeliveryStatus.RETURNED,
    )
]
_NOT_DISPATCHED = [
    DeliveryStatus.QUOTED.value,
    DeliveryStatus.SUBMITTING.value,
    DeliveryStatus.CREATE_FAILED.value,
]


@dataclass(frozen=True, slots=True)
class CarrierStats:
    dispatched: int
    accepted: int
    delivered: int
    finished: int

    @property
    def reliability(self) -> float:
        """Smoothed acceptance rate x delivery rate (Laplace: a fresh carrier is 0.5-ish
        rather than 0 or 1 after one order)."""
        acc = (self.accepted + 1) / (self.dispatched + 2)
        dlv = (self.delivered + 1) / (self.finished + 2)
        return round(acc * 0.5 + dlv * 0.5, 4)


def carrier_stats(db: Database, since: datetime) -> dict[str, CarrierStats]:
    a = t.attempts.c
    accepted = func.sum(
        case((a.accepted_at.is_not(None), 1), (a.status.in_(_ACCEPTED_OR_LATER), 1), else_=0)
    )
    delivered = func.sum(case((a.status == DeliveryStatus.DELIVERED.value, 1), else_=0))
    finished = func.sum(case((a.finished_at.is_not(None), 1), else_=0))
    q = (
        select(a.carrier, func.count(), accepted, delivered, finished)
        .where(a.created_at >= since, a.status.not_in(_NOT_DISPATCHED))
        .group_by(a.carrier)
    )
    with db.engine.connect() as c:
        return {
            r[0]: CarrierStats(int(r[1]), int(r[2] or 0), int(r[3] or 0), int(r[4] or 0))
            for r in c.execute(q)
        }


def reliability(db: Database, since: datetime) -> dict[str, float]:
    return {cid: s.reliability for cid, s in carrier_stats(db, since).items()}


def _waiting(since: datetime, *, auto_only: bool) -> list[ColumnElement[bool]]:
    """Orders NEW or QUEUED received since ``since`` with no live attempt that JuPei
    dispatches at all (not a platform order the platform delivers or the customer picks
    up: ``extra["dispatch"]`` False, see ``engine.dispatchable``) and, unless the shop
    dispatches everything automatically, asking for auto-dispatch."""
    o, a = t.orders.c, t.attempts.c
    done = [s.value for s in DeliveryStatus if s.terminal]
    live = select(a.order_id).where(a.status.not_in(done))
    flag = o.extra["dispatch"].as_boolean()
    conds = [
        o.state.in_([OrderState.NEW.value, OrderState.QUEUED.value]),
        o.received_at >= since,
        o.id.not_in(live),
        or_(flag.is_(None), flag.is_(True)),
    ]
    if auto_only:
        conds.append(o.dispatch_mode == DispatchMode.AUTO.value)
    return conds


def _due() -> ColumnElement[datetime]:
    """When an order should go: its expected ready time, else when it arrived."""
    return func.coalesce(t.orders.c.expected_ready_at, t.orders.c.received_at)


def orders_waiting(
    db: Database, since: datetime, not_due_before: datetime, *, auto_only: bool
) -> list[int]:
    """Auto-dispatch candidates after a restart, oldest first: waiting orders (see
    ``_waiting``) due at or after ``not_due_before``."""
    o = t.orders.c
    q = (
        select(o.id)
        .where(*_waiting(since, auto_only=auto_only), _due() >= not_due_before)
        .order_by(o.received_at, o.id)
    )
    with db.engine.connect() as c:
        return [int(r[0]) for r in c.execute(q)]


def flag_too_old(
    db: Database,
    since: datetime,
    due_before: datetime,
    now: datetime,
    attention: str,
    *,
    auto_only: bool,
) -> list[int]:
    """Waiting orders due before ``due_before`` go to ATTENTION with ``attention``, in one
    transaction of two statements whatever their number (a timeline row each, then the
    state). Returns their ids."""
    o, ev = t.orders.c, t.order_events.c
    conds = [*_waiting(since, auto_only=auto_only), _due() < due_before]
    log_rows = select(
        o.id,
        literal(now, UTCDateTime()),
        literal("too_old"),
        literal("engine"),
        literal("too old to dispatch after a restart; left for the cashier"),
        literal({}, JSON()),
    ).where(*conds)
    cols = [ev.order_id, ev.at, ev.kind, ev.actor, ev.message, ev.data]
    flag = (
        update(t.orders)
        .where(*conds)
        .values(state=OrderState.ATTENTION.value, attention=attention[:200], updated_at=now)
        .returning(o.id)
    )
    with db.engine.begin() as c:
        c.execute(insert(t.order_events).from_select(cols, log_rows))
        return [int(r[0]) for r in c.execute(flag)]
