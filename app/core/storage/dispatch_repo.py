"""Queries only the dispatch engine needs: per-carrier reliability from this store's own
attempt history, and the orders to pick up again after a restart. Synchronous, called
through ``Database.run``; rows never leave this module (plain values out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select

from app.core.domain import DeliveryStatus, OrderState
from app.core.storage import tables as t
from app.core.storage.repos import Database

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


def orders_waiting(db: Database, since: datetime) -> list[int]:
    """Orders NEW or QUEUED since ``since`` with no live attempt: auto-dispatch
    candidates after a restart (the engine checks each order's mode)."""
    o, a = t.orders.c, t.attempts.c
    done = [s.value for s in DeliveryStatus if s.terminal]
    live = select(a.order_id).where(a.status.not_in(done))
    q = (
        select(o.id)
        .where(
            o.state.in_([OrderState.NEW.value, OrderState.QUEUED.value]),
            o.received_at >= since,
            o.id.not_in(live),
        )
        .order_by(o.id)
    )
    with db.engine.connect() as c:
        return [int(r[0]) for r in c.execute(q)]
