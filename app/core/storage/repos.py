"""Repositories over the tables; they take and return domain objects only.

All methods are synchronous and are meant to be called through ``asyncio.to_thread``
by the service (``Database.run``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.core.clock import local
from app.core.domain import DeliveryAttempt, DeliveryStatus, Order, OrderState, Quote
from app.core.storage import tables as t
from app.core.storage.board_repo import search_text
from app.core.storage.convert import (
    attempt_to_row,
    order_to_row,
    quote_to_row,
    row_to_attempt,
    row_to_order,
    row_to_quote,
)
from app.core.storage.db import inserted_id
from app.core.storage.outbox_repo import claim_nonces

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class OrderEvent:
    id: int
    order_id: int
    at: datetime
    kind: str
    actor: str
    message: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class InsertOutcome:
    order: Order
    outcome: str  # "created" | "duplicate" | "conflict"


class Database:
    """The storage facade the service holds."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def run(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        return await asyncio.to_thread(fn, *args, **kw)

    # ------------------------------------------------------------------ orders
    def insert_orders(
        self,
        batch: Iterable[tuple[Order, str, str]],
        now: datetime,
        *,
        nonces: Sequence[str | None] | None = None,
        nonce_window_s: int = 300,
    ) -> list[InsertOutcome]:
        """Insert many (order, payload_hash, source) in ONE transaction (group commit), each
        with its "received" event. Existing pos_order_ids answer duplicate (same hash) or
        conflict. ``nonces`` (one per item, None for none) are the POS requests' replay
        nonces, stored in the same commit: an item whose nonce was seen before answers
        "replay" and stores nothing."""
        items = list(batch)
        with self.engine.begin() as c:
            fresh = [True] * len(items)
            if nonces is not None and any(nonces):
                claim = [n for n in nonces if n]
                seen = iter(claim_nonces(c, claim, now, nonce_window_s))
                fresh = [next(seen) if n else True for n in nonces]
            return _insert_new_orders(c, items, fresh, now)

    def get_order(self, order_id: int) -> Order | None:
        with self.engine.connect() as c:
            r = c.execute(select(t.orders).where(t.orders.c.id == order_id)).first()
        return row_to_order(r) if r else None

    def get_order_by_pos_id(self, pos_order_id: str) -> Order | None:
        with self.engine.connect() as c:
            r = c.execute(select(t.orders).where(t.orders.c.pos_order_id == pos_order_id)).first()
        return row_to_order(r) if r else None

    def set_order_state(
        self, order_id: int, state: OrderState, now: datetime, attention: str | None = None
    ) -> None:
        vals: dict[str, Any] = {"state": state.value, "updated_at": now}
        if attention is not None:
            vals["attention"] = attention[:200]
        with self.engine.begin() as c:
            c.execute(update(t.orders).where(t.orders.c.id == order_id).values(**vals))

    def list_orders(
        self,
        *,
        since: datetime | None = None,
        states: Iterable[OrderState] | None = None,
        search: str = "",
        limit: int = 5000,
        ids: Iterable[int] | None = None,
    ) -> list[Order]:
        q = select(t.orders).order_by(t.orders.c.received_at.desc()).limit(limit)
        if since is not None:
            q = q.where(t.orders.c.received_at >= since)
        if states:
            q = q.where(t.orders.c.state.in_([s.value for s in states]))
        if ids is not None:
            q = q.where(t.orders.c.id.in_(list(ids)))
        if search:
            like = f"%{search}%"
            q = q.where(
                or_(
                    t.orders.c.pos_order_id.like(like),
                    t.orders.c.pickup_no.like(like),
                    t.orders.c.customer_name.like(like),
                    t.orders.c.address.like(like),
                    t.orders.c.customer_phone.like(like),
                )
            )
        with self.engine.connect() as c:
            return [row_to_order(r) for r in c.execute(q)]

    def count_orders(self) -> int:
        with self.engine.connect() as c:
            return c.execute(select(func.count()).select_from(t.orders)).scalar_one()

    # ------------------------------------------------------------------ attempts
    def insert_attempt(self, a: DeliveryAttempt) -> DeliveryAttempt:
        """Commit the attempt (with its idempotency key) BEFORE any create call."""
        row = attempt_to_row(a)
        row["updated_at"] = a.created_at
        with self.engine.begin() as c:
            aid = inserted_id(c.execute(insert(t.attempts).values(**row)))
        return a.with_(id=aid)

    def next_attempt_no(self, order_id: int) -> int:
        with self.engine.connect() as c:
            n = c.execute(
                select(func.max(t.attempts.c.attempt_no)).where(t.attempts.c.order_id == order_id)
            ).scalar()
        return (n or 0) + 1

    def save_attempt(self, a: DeliveryAttempt, now: datetime) -> None:
        row = attempt_to_row(a)
        row["updated_at"] = now
        with self.engine.begin() as c:
            c.execute(update(t.attempts).where(t.attempts.c.id == a.id).values(**row))

    def get_attempt(self, attempt_id: int) -> DeliveryAttempt | None:
        with self.engine.connect() as c:
            r = c.execute(select(t.attempts).where(t.attempts.c.id == attempt_id)).first()
        return row_to_attempt(r) if r else None

    def attempts_for_order(self, order_id: int) -> list[DeliveryAttempt]:
        with self.engine.connect() as c:
            rows = c.execute(
                select(t.attempts)
                .where(t.attempts.c.order_id == order_id)
                .order_by(t.attempts.c.attempt_no)
            )
            return [row_to_attempt(r) for r in rows]

    def attempts_for_orders(self, order_ids: Iterable[int]) -> dict[int, list[DeliveryAttempt]]:
        out: dict[int, list[DeliveryAttempt]] = {}
        ids = list(order_ids)
        with self.engine.connect() as c:
            for i in range(0, len(ids), 900):
                rows = c.execute(
                    select(t.attempts)
                    .where(t.attempts.c.order_id.in_(ids[i : i + 900]))
                    .order_by(t.attempts.c.attempt_no)
                )
                for r in rows:
                    a = row_to_attempt(r)
                    out.setdefault(a.order_id, []).append(a)
        return out

    def live_attempts(self) -> list[DeliveryAttempt]:
        done = [s.value for s in DeliveryStatus if s.terminal] + [DeliveryStatus.QUOTED.value]
        with self.engine.connect() as c:
            rows = c.execute(select(t.attempts).where(t.attempts.c.status.not_in(done)))
            return [row_to_attempt(r) for r in rows]

    def find_attempt(
        self, carrier: str, *, key: str = "", carrier_order_id: str = ""
    ) -> DeliveryAttempt | None:
        conds = [t.attempts.c.carrier == carrier]
        ors = []
        if key:
            ors.append(t.attempts.c.idempotency_key == key)
        if carrier_order_id:
            ors.append(t.attempts.c.carrier_order_id == carrier_order_id)
        if not ors:
            return None
        with self.engine.connect() as c:
            r = c.execute(select(t.attempts).where(and_(*conds, or_(*ors)))).first()
        return row_to_attempt(r) if r else None

    # ------------------------------------------------------------------ quotes
    def add_quote(self, order_id: int, q: Quote) -> None:
        with self.engine.begin() as c:
            c.execute(
                delete(t.quotes).where(
                    and_(t.quotes.c.order_id == order_id, t.quotes.c.carrier == q.carrier)
                )
            )
            c.execute(insert(t.quotes).values(**quote_to_row(order_id, q)))

    def quotes_for_order(self, order_id: int) -> list[Quote]:
        with self.engine.connect() as c:
            rows = c.execute(
                select(t.quotes).where(t.quotes.c.order_id == order_id).order_by(t.quotes.c.fee_fen)
            )
            return [row_to_quote(r) for r in rows]

    # ------------------------------------------------------------------ event log
    def append_event(
        self,
        order_id: int,
        at: datetime,
        kind: str,
        actor: str,
        message: str,
        data: dict[str, Any] | None = None,
        dedupe_key: str | None = None,
    ) -> bool:
        """Append to the order's log; a repeated ``dedupe_key`` is ignored (False)."""
        try:
            with self.engine.begin() as c:
                c.execute(
                    insert(t.order_events).values(
                        order_id=order_id,
                        at=at,
                        kind=kind,
                        actor=actor,
                        message=message,
                        data=data or {},
                        dedupe_key=dedupe_key,
                    )
                )
        except IntegrityError:
            return False
        return True

    def events_for_order(self, order_id: int) -> list[OrderEvent]:
        with self.engine.connect() as c:
            rows = c.execute(
                select(t.order_events)
                .where(t.order_events.c.order_id == order_id)
                .order_by(t.order_events.c.id)
            )
            return [
                OrderEvent(r.id, r.order_id, r.at, r.kind, r.actor, r.message, r.data or {})
                for r in rows
            ]

    # ------------------------------------------------------------------ audit + kv
    def audit(self, at: datetime, actor: str, action: str, detail: dict[str, Any]) -> None:
        with self.engine.begin() as c:
            c.execute(insert(t.audit_log).values(at=at, actor=actor, action=action, detail=detail))

    def audit_entries(self, limit: int = 200) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            rows = c.execute(select(t.audit_log).order_by(t.audit_log.c.id.desc()).limit(limit))
            return [dict(r._mapping) for r in rows]

    def kv_get(self, key: str, default: Any = None) -> Any:
        with self.engine.connect() as c:
            v = c.execute(select(t.kv.c.value).where(t.kv.c.key == key)).first()
        return default if v is None else v[0]

    def kv_set(self, key: str, value: Any) -> None:
        with self.engine.begin() as c:
            c.execute(delete(t.kv).where(t.kv.c.key == key))
            c.execute(insert(t.kv).values(key=key, value=value))


def _insert_new_orders(
    c: Connection, items: list[tuple[Order, str, str]], fresh: list[bool], now: datetime
) -> list[InsertOutcome]:
    """One ``IN`` lookup for the batch's pos_order_ids, one multi-row INSERT ... RETURNING
    for the new orders (no re-read of each row) and one for their events."""
    wanted = list({o.pos_order_id for (o, _, _), ok in zip(items, fresh, strict=True) if ok})
    known: dict[str, tuple[Order, str]] = {}
    for i in range(0, len(wanted), 900):  # below SQLite's bound-parameter limit
        q = select(t.orders).where(t.orders.c.pos_order_id.in_(wanted[i : i + 900]))
        for r in c.execute(q):
            known[r.pos_order_id] = (row_to_order(r), r.payload_hash)
    out: list[InsertOutcome | None] = [None] * len(items)
    first: dict[str, int] = {}  # pos_order_id -> index of the item that inserts it
    rows: list[dict[str, Any]] = []
    for i, ((order, phash, source), ok) in enumerate(zip(items, fresh, strict=True)):
        if not ok:
            out[i] = InsertOutcome(order, "replay")
        elif order.pos_order_id in known:
            stored, stored_hash = known[order.pos_order_id]
            out[i] = InsertOutcome(stored, "duplicate" if stored_hash == phash else "conflict")
        elif order.pos_order_id not in first:
            first[order.pos_order_id] = i
            rows.append(_new_row(order, phash, source, now))
    if rows:
        _store(c, rows, items, first, known, out, now)
    for i, (order, phash, _) in enumerate(items):
        if out[i] is None:  # a repeat of an order earlier in this same batch
            stored, stored_hash = known[order.pos_order_id]
            out[i] = InsertOutcome(stored, "duplicate" if stored_hash == phash else "conflict")
    return [o for o in out if o is not None]


def _new_row(order: Order, phash: str, source: str, now: datetime) -> dict[str, Any]:
    row = order_to_row(order)
    row.update(
        payload_hash=phash,
        received_at=now,
        updated_at=now,
        business_date=local(now).date().isoformat(),
        source=source,
        attention="",
        search_text=search_text(order),
    )
    return row


def _store(
    c: Connection,
    rows: list[dict[str, Any]],
    items: list[tuple[Order, str, str]],
    first: dict[str, int],
    known: dict[str, tuple[Order, str]],
    out: list[InsertOutcome | None],
    now: datetime,
) -> None:
    """Insert ``rows`` (values as parameters: the compiled statement is cached) and fill in
    the outcomes of the items that created them."""
    stmt = insert(t.orders).returning(*t.orders.c, sort_by_parameter_order=True)
    created = [row_to_order(r) for r in c.execute(stmt, rows)]
    events = []
    for order, row in zip(created, rows, strict=True):
        i = first[order.pos_order_id]
        known[order.pos_order_id] = (order, row["payload_hash"])
        out[i] = InsertOutcome(order, "created")
        events.append({"order_id": order.id, "at": now, "kind": "received",
                       "actor": items[i][2], "message": "order received",
                       "data": {"pos_order_id": order.pos_order_id}})  # fmt: skip
    c.execute(insert(t.order_events), events)
