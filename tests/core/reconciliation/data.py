"""Test data for reconciliation: a temp database seeded directly through storage (the
dispatcher is not needed), a small hand-made set and a fast bulk generator."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from app.core.clock import local
from app.core.domain import CancelledBy, DeliveryAttempt, DeliveryStatus, Rider
from app.core.storage import tables as t
from app.core.storage.convert import attempt_to_row, order_to_row
from app.core.storage.db import make_engine, migrate
from app.core.storage.repos import Database
from tests.helpers import sample_order

DAY1 = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # 12:00 Beijing, business date 11-23
DAY2 = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
LATE = datetime(2026, 11, 24, 17, 30, tzinfo=UTC)  # 01:30 Beijing on 11-25


def make_db(tmp_path: Path) -> Database:
    engine = make_engine(f"sqlite:///{tmp_path / 'recon.db'}")
    migrate(engine)
    return Database(engine)


def add_order(db: Database, pos_id: str, now: datetime, fee_fen: int = 500, phone: str = ""):
    o = sample_order(pos_id, created_at=now, delivery_fee_fen=fee_fen)
    if phone:
        from dataclasses import replace

        o = replace(o, customer=replace(o.customer, phone=phone))
    return db.insert_orders([(o, pos_id, "pos")], now)[0].order


def add_attempt(db: Database, order_id: int, no: int, carrier: str, status: DeliveryStatus,
                start: datetime, *, accept_s: int | None = 120, deliver_s: int | None = 1800,
                quoted: int = 800, actual: int | None = None, tip: int = 0,
                cancel_fee: int = 0, refund: int = 0, insurance: int = 0,
                cancelled_by: CancelledBy | None = None, reason: str = "",
                rider_phone: str = "13700001111") -> DeliveryAttempt:  # fmt: skip
    a = DeliveryAttempt(order_id, no, carrier, f"JP{order_id}-{no}", created_at=start)
    a = db.insert_attempt(a)
    delivered = status is DeliveryStatus.DELIVERED
    a = a.with_(
        status=status,
        carrier_order_id=f"{carrier.upper()}{order_id:05d}{no}",
        rider=Rider("王师傅", rider_phone),
        quoted_fee_fen=quoted,
        actual_fee_fen=actual if actual is not None else (quoted if delivered else None),
        tip_fen=tip,
        cancel_fee_fen=cancel_fee,
        refund_fen=refund,
        insurance_fee_fen=insurance,
        distance_m=2300,
        dispatched_at=start,
        accepted_at=None if accept_s is None else start + timedelta(seconds=accept_s),
        picked_up_at=start + timedelta(seconds=600) if delivered else None,
        finished_at=(start + timedelta(seconds=deliver_s)) if (delivered and deliver_s)
        else (start + timedelta(seconds=300) if status.terminal else None),
        cancelled_by=cancelled_by,
        cancel_reason=reason,
    )  # fmt: skip
    db.save_attempt(a, start)
    return a


def seed_small(db: Database) -> dict[str, int]:
    """Six orders over three business dates, a failover, cancels, a phone in free text."""
    o1 = add_order(db, "P1", DAY1, 600, phone="13812345678")
    add_attempt(db, o1.id, 1, "dada", DeliveryStatus.DELIVERED, DAY1, quoted=850, tip=200)
    o2 = add_order(db, "P2", DAY1, 500)
    add_attempt(db, o2.id, 1, "sf", DeliveryStatus.CANCELLED, DAY1, accept_s=None,
                cancelled_by=CancelledBy.CARRIER_SYSTEM, reason="无人接单 联系13912345678")  # fmt: skip
    add_attempt(db, o2.id, 2, "dada", DeliveryStatus.DELIVERED, DAY1 + timedelta(minutes=5),
                quoted=900, actual=950, accept_s=240, deliver_s=2400)  # fmt: skip
    o3 = add_order(db, "P3", DAY2, 0)
    add_attempt(db, o3.id, 1, "shansong", DeliveryStatus.CANCELLED, DAY2, cancel_fee=300,
                cancelled_by=CancelledBy.MERCHANT, reason="顾客不要了")  # fmt: skip
    o4 = add_order(db, "P4", DAY2, 800)
    add_attempt(db, o4.id, 1, "dada", DeliveryStatus.DELIVERED, DAY2, quoted=700,
                insurance=100, refund=50, accept_s=60, deliver_s=1200)  # fmt: skip
    o5 = add_order(db, "P5", DAY2, 500)
    add_attempt(db, o5.id, 1, "sf", DeliveryStatus.PENDING_ACCEPT, DAY2, accept_s=None)
    o6 = add_order(db, "P6", LATE, 700)
    add_attempt(db, o6.id, 1, "dada", DeliveryStatus.DELIVERED, LATE, quoted=1000)
    return {"orders": 6, "attempts": 7}


CARRIERS = ("dada", "shansong", "sf", "meituan", "fengniao", "uupt")


def bulk_seed(db: Database, n: int, *, days: int = 10, seed: int = 7) -> None:
    """``n`` attempts over ~n/1.2 orders in one transaction per 5,000 (fast)."""
    rnd = random.Random(seed)
    base = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
    made, oid = 0, 0
    with db.engine.begin() as c:
        c.exec_driver_sql("PRAGMA synchronous=OFF")
    while made < n:
        orders, attempts = [], []
        while made < n and len(attempts) < 5000:
            oid += 1
            now = base + timedelta(days=rnd.randrange(days), minutes=rnd.randrange(600))
            o = sample_order(f"B{oid}", created_at=now, delivery_fee_fen=rnd.choice((0, 500, 800)))
            row = order_to_row(o) | {"id": oid, "payload_hash": "x", "received_at": now,
                                     "updated_at": now, "source": "pos", "attention": "",
                                     "business_date": local(now).date().isoformat()}  # fmt: skip
            orders.append(row)
            tries = min(n - made, 2 if rnd.random() < 0.2 else 1)
            for no in range(1, tries + 1):
                attempts.append(_bulk_attempt(rnd, oid, no, no == tries, now))
            made += tries
        with db.engine.begin() as c:
            c.execute(insert(t.orders), orders)
            c.execute(insert(t.attempts), attempts)


def _bulk_attempt(rnd: random.Random, oid: int, no: int, last: bool, now: datetime) -> dict:
    status = rnd.choice((DeliveryStatus.DELIVERED,) * 8 + (DeliveryStatus.CANCELLED,) * 2)
    if not last:
        status = DeliveryStatus.CANCELLED
    fee = rnd.randrange(500, 2000)
    a = DeliveryAttempt(
        oid, no, rnd.choice(CARRIERS), f"JPB{oid}-{no}", status=status,
        carrier_order_id=f"C{oid}-{no}", rider=Rider("李师傅", "13600002222"),
        quoted_fee_fen=fee, actual_fee_fen=fee if status is DeliveryStatus.DELIVERED else None,
        tip_fen=rnd.choice((0, 0, 200)), cancel_fee_fen=0 if last else rnd.choice((0, 200)),
        distance_m=rnd.randrange(500, 6000), created_at=now, dispatched_at=now,
        accepted_at=now + timedelta(seconds=rnd.randrange(30, 900)),
        finished_at=now + timedelta(seconds=rnd.randrange(900, 3600)),
        cancelled_by=None if status is DeliveryStatus.DELIVERED else CancelledBy.RIDER,
    )  # fmt: skip
    return attempt_to_row(a) | {"updated_at": now, "tip_count": 0}
