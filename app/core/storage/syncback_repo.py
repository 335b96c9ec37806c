"""The status sync-back outbox in SQLite (``source_syncback``): one row per change of a
delivery attempt to report to the order's platform, written before the platform is
called and kept until it says ok (``done_at``) or refuses for good (``parked``).

The rules (which change waits, which supersedes which, when to try again) are the pure
ones of ``app.core.sources.outbox``; this module stores their ``OutboxItem``s. Rows never
leave storage: callers get ``SyncBackRow`` values. Synchronous like the other repos:
callers go through ``asyncio.to_thread``; each method opens its own connection from the
engine's pool, so no connection is shared between threads.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    Engine,
    String,
    and_,
    cast,
    delete,
    func,
    insert,
    select,
    update,
)

from app.core.domain import DeliveryAttempt
from app.core.domain.source_order import FulfilmentMode, SourceOrderState
from app.core.domain.status import DeliveryStatus
from app.core.sources import outbox
from app.core.sources.base import SyncBack
from app.core.storage import tables as t
from app.core.storage.db import inserted_id
from app.core.storage.repos import Database

POSITION = "position"  # the status column of a rider-position row (one per attempt)
_SB = t.source_syncback


@dataclass(frozen=True, slots=True)
class SyncBackRow:
    id: int
    source: str
    order_id: int | None
    kind: str  # a DeliveryStatus value, or POSITION
    item: outbox.OutboxItem
    created_at: datetime
    done_at: datetime | None = None

    @property
    def is_position(self) -> bool:
        return self.kind == POSITION


def change_to_doc(change: SyncBack) -> dict[str, Any]:
    return {
        "source_order_id": change.source_order_id,
        "attempt_id": change.attempt_id,
        "status": change.status.value,
        "carrier": change.carrier,
        "carrier_order_id": change.carrier_order_id,
        "rider_name": change.rider_name,
        "rider_phone": change.rider_phone,
        "lat": change.lat,
        "lng": change.lng,
        "at": change.at.isoformat() if change.at is not None else None,
    }


def change_from_doc(doc: dict[str, Any]) -> SyncBack:
    at = doc.get("at")
    return SyncBack(
        source_order_id=str(doc["source_order_id"]),
        attempt_id=str(doc["attempt_id"]),
        status=DeliveryStatus(doc["status"]),
        carrier=str(doc.get("carrier", "")),
        carrier_order_id=str(doc.get("carrier_order_id", "")),
        rider_name=str(doc.get("rider_name", "")),
        rider_phone=str(doc.get("rider_phone", "")),
        lat=doc.get("lat"),
        lng=doc.get("lng"),
        at=datetime.fromisoformat(at) if isinstance(at, str) and at else None,
    )


def _acknowledged(r: SyncBackRow) -> bool:
    """Sent and answered ok (closed rows carry why they were not sent)."""
    return r.done_at is not None and not r.item.last_error


def _row(r: Any) -> SyncBackRow:
    item = outbox.OutboxItem(
        change_from_doc(dict(r.payload)),
        tries=r.tries,
        next_at=r.next_at,
        done=r.done_at is not None,
        parked=r.parked,
        last_error=r.last_error,
    )
    return SyncBackRow(r.id, r.source, r.order_id, r.status, item, r.created_at, r.done_at)


@dataclass(frozen=True, slots=True)
class MissedChange:
    """An attempt state no sync-back row holds (the app stopped between the two)."""

    order_id: int
    attempt_id: int
    carrier: str
    status: str


class Backlog(NamedTuple):
    """Status changes a platform has not acknowledged: still being tried, refused for good."""

    pending: int
    parked: int


class SyncBackRepo:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._db = Database(engine)

    # ------------------------------------------------------------------ reads
    def attempt(self, attempt_id: int) -> DeliveryAttempt | None:
        """The attempt a change is about (rider name/phone, carrier order id)."""
        return self._db.get_attempt(attempt_id)

    def pending(self) -> list[SyncBackRow]:
        """Every row still to send, status rows before position rows, oldest first: the
        order ``outbox.due`` needs so a position never overtakes a status change."""
        q = (
            select(_SB)
            .where(and_(_SB.c.done_at.is_(None), _SB.c.parked == ""))
            .order_by(_SB.c.status == POSITION, _SB.c.id)
        )
        with self.engine.connect() as c:
            return [_row(r) for r in c.execute(q)]

    def next_due_at(self) -> datetime | None:
        q = select(func.min(_SB.c.next_at)).where(and_(_SB.c.done_at.is_(None), _SB.c.parked == ""))
        with self.engine.connect() as c:
            v = c.execute(q).scalar()
        return None if v is None else t.UTCDateTime().process_result_value(v, self.engine.dialect)

    def missed(self, statuses: Collection[str], since: datetime) -> list[MissedChange]:
        """Attempts of self-delivery platform orders, changed since ``since``, whose
        current state (one of ``statuses``) has no row: what a stop between the attempt's
        commit and the outbox write would lose. Oldest order and attempt first."""
        a, so = t.attempts, t.source_orders
        row = and_(
            _SB.c.source == so.c.source,
            _SB.c.source_order_id == so.c.source_order_id,
            _SB.c.attempt_id == cast(a.c.id, String),
            _SB.c.status == a.c.status,
        )
        q = (
            select(a.c.order_id, a.c.id, a.c.carrier, a.c.status)
            .select_from(a.join(so, so.c.order_id == a.c.order_id))
            .outerjoin(_SB, row)
            .where(
                _SB.c.id.is_(None),
                a.c.status.in_(list(statuses)),
                a.c.updated_at >= since,
                so.c.fulfilment == FulfilmentMode.SELF_DELIVERY.value,
                so.c.state != SourceOrderState.CANCELLED.value,
            )
            .order_by(a.c.order_id, a.c.attempt_no)
        )
        with self.engine.connect() as c:
            return [MissedChange(r[0], r[1], r[2], r[3]) for r in c.execute(q)]

    def rows(self, order_id: int | None = None) -> list[SyncBackRow]:
        q = select(_SB).order_by(_SB.c.id)
        if order_id is not None:
            q = q.where(_SB.c.order_id == order_id)
        with self.engine.connect() as c:
            return [_row(r) for r in c.execute(q)]

    def backlog(self) -> dict[str, Backlog]:
        """Per source, unacknowledged status rows: pending and parked. Position rows are
        left out: one is pending most of a ride, and the next point re-arms a refused one."""
        parked = _SB.c.parked != ""
        q = (
            select(_SB.c.source, parked, func.count())
            .where(_SB.c.done_at.is_(None), _SB.c.status != POSITION)
            .group_by(_SB.c.source, parked)
        )
        out: dict[str, list[int]] = {}
        with self.engine.connect() as c:
            for source, is_parked, n in c.execute(q):
                out.setdefault(source, [0, 0])[1 if is_parked else 0] += n
        return {source: Backlog(p, k) for source, (p, k) in out.items()}

    def order_backlog(self, order_id: int) -> Backlog:
        """One order's unacknowledged status rows (pending, parked), positions left out
        as in ``backlog``: what the detail pane's 重新同步 button is for."""
        parked = _SB.c.parked != ""
        q = (
            select(parked, func.count())
            .where(_SB.c.order_id == order_id, _SB.c.done_at.is_(None), _SB.c.status != POSITION)
            .group_by(parked)
        )
        counts = [0, 0]
        with self.engine.connect() as c:
            for is_parked, n in c.execute(q):
                counts[1 if is_parked else 0] += n
        return Backlog(counts[0], counts[1])

    # ------------------------------------------------------------------ writes
    def unpark(self, order_id: int, now: datetime) -> tuple[int, int]:
        """A human asks to send the order's parked rows again: each is due now with its
        tries reset, unless the platform has since acknowledged a later status of the same
        platform order (then it is closed: sent now it would arrive out of order).
        Returns (rows re-armed, rows closed)."""
        resent = closed = 0
        with self.engine.begin() as c:
            rows = [_row(r) for r in c.execute(select(_SB).where(_SB.c.order_id == order_id))]
            acked = [r for r in rows if not r.is_position and _acknowledged(r)]
            for r in rows:
                if not r.item.parked or r.done_at is not None:
                    continue
                later = next(
                    (
                        a
                        for a in acked
                        if a.id > r.id
                        and a.item.change.source_order_id == r.item.change.source_order_id
                    ),
                    None,
                )
                values: dict[str, Any] = {"parked": "", "updated_at": now}
                if later is not None and not r.is_position:
                    values.update(done_at=now, last_error=f"overtaken by {later.kind}")
                    closed += 1
                else:
                    values.update(tries=0, next_at=now, last_error=f"resent: {r.item.parked}"[:300])
                    resent += 1
                c.execute(update(_SB).where(_SB.c.id == r.id).values(**values))
        return resent, closed

    def enqueue(
        self, source: str, change: SyncBack, order_id: int | None, now: datetime, *, ordered: bool
    ) -> bool:
        """Store one status change durably (``outbox.enqueue`` decides); True when a row
        was added. A repeat of a stored key changes nothing; where the platform does not
        need order, unsent older states of the same attempt are marked superseded."""
        with self.engine.begin() as c:
            olds = self._order_rows(c, source, change.source_order_id)
            before = [r.item for r in olds]
            items = outbox.enqueue(before, change, ordered=ordered)
            if items is before:  # a repeat of a stored key
                return False
            kept = {id(i) for i in items}
            for r in olds:
                if id(r.item) not in kept:
                    c.execute(
                        update(_SB)
                        .where(_SB.c.id == r.id)
                        .values(
                            done_at=now,
                            updated_at=now,
                            last_error=f"superseded by {change.status.value}",
                        )
                    )
            self._insert(c, source, change.status.value, change, order_id, now)
            if change.status.terminal:  # no position may follow 送达/取消 on the wire
                c.execute(
                    update(_SB)
                    .where(
                        self._position_of(source, change),
                        _SB.c.done_at.is_(None),
                    )
                    .values(
                        done_at=now,
                        updated_at=now,
                        last_error=f"superseded by {change.status.value}",
                    )
                )
            return True

    def arm_position(
        self,
        source: str,
        change: SyncBack,
        order_id: int | None,
        now: datetime,
        min_interval: timedelta,
    ) -> datetime | None:
        """Keep the attempt's one position row pointing at the newest point: insert it,
        or supersede its payload; a row already sent is re-armed no sooner than
        ``min_interval`` after that send. Returns when it is due (None: the attempt's
        delivered or cancelled state is stored, so positions are over)."""
        with self.engine.begin() as c:
            if self._attempt_finished(c, source, change):
                return None
            r = c.execute(select(_SB).where(self._position_of(source, change))).first()
            if r is None:
                self._insert(c, source, POSITION, change, order_id, now)
                return now
            values: dict[str, Any] = {"payload": change_to_doc(change), "updated_at": now}
            due_at: datetime = r.next_at
            if r.done_at is not None or r.parked:
                last = r.done_at or now
                due_at = max(now, last + min_interval)
                values.update(done_at=None, parked="", tries=0, last_error="", next_at=due_at)
            c.execute(update(_SB).where(_SB.c.id == r.id).values(**values))
            return due_at

    def save(self, row: SyncBackRow, item: outbox.OutboxItem, now: datetime) -> SyncBackRow:
        """Record the outcome of one try (``outbox.send``)."""
        done_at = now if item.done else None
        values: dict[str, Any] = {
            "tries": item.tries,
            "next_at": item.next_at or now,
            "done_at": done_at,
            "parked": item.parked[:300],
            "last_error": item.last_error[:300],
            "updated_at": now,
        }
        with self.engine.begin() as c:
            c.execute(update(_SB).where(_SB.c.id == row.id).values(**values))
        return replace(row, item=item, done_at=done_at)

    def prune(self, before: datetime) -> int:
        """Forget rows the platform acknowledged before ``before``; parked rows stay."""
        with self.engine.begin() as c:
            r = c.execute(delete(_SB).where(_SB.c.done_at.is_not(None), _SB.c.done_at < before))
        return r.rowcount or 0

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _position_of(source: str, change: SyncBack) -> Any:
        return and_(
            _SB.c.source == source,
            _SB.c.source_order_id == change.source_order_id,
            _SB.c.attempt_id == change.attempt_id,
            _SB.c.status == POSITION,
        )

    @staticmethod
    def _attempt_finished(c: Connection, source: str, change: SyncBack) -> bool:
        ends = [s.value for s in DeliveryStatus if s.terminal]
        q = select(_SB.c.id).where(
            _SB.c.source == source,
            _SB.c.source_order_id == change.source_order_id,
            _SB.c.attempt_id == change.attempt_id,
            _SB.c.status.in_(ends),
        )
        return c.execute(q.limit(1)).first() is not None

    def _order_rows(self, c: Connection, source: str, source_order_id: str) -> list[SyncBackRow]:
        q = (
            select(_SB)
            .where(
                _SB.c.source == source,
                _SB.c.source_order_id == source_order_id,
                _SB.c.status != POSITION,
            )
            .order_by(_SB.c.id)
        )
        return [_row(r) for r in c.execute(q)]

    def _insert(
        self,
        c: Connection,
        source: str,
        kind: str,
        change: SyncBack,
        order_id: int | None,
        now: datetime,
    ) -> int:
        r = c.execute(
            insert(_SB).values(
                source=source,
                source_order_id=change.source_order_id,
                attempt_id=change.attempt_id,
                status=kind,
                order_id=order_id,
                payload=change_to_doc(change),
                tries=0,
                next_at=now,
                done_at=None,
                parked="",
                last_error="",
                created_at=now,
                updated_at=now,
            )
        )
        return inserted_id(r)
