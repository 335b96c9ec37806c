"""Board queries in SQL: lane counts (GROUP BY) and keyset pages of orders.

The lane of an order depends on its state, its current attempt and the time
(``app.core.board.lane_for``). It is not persisted: "no rider yet" and "tracking stale"
change with the clock alone, so a stored column would be wrong until something rewrote
it. Instead ``lane_sql`` is a CASE expression over the same inputs, with ``now`` bound as
a parameter; ``lane_for`` stays the one statement of the rules and a property test keeps
the two in agreement. The CASE is ordered so that the attempt subquery only runs for
orders that are not already decided by their own state (SQLite evaluates CASE lazily).

Pages are keyset-paginated on ``(received_at, id)`` newest first (the ``received_at``
index carries the rowid, so the order needs no sort and no OFFSET)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Engine,
    LargeBinary,
    and_,
    case,
    cast,
    func,
    literal,
    select,
    tuple_,
)
from sqlalchemy.sql.base import ReadOnlyColumnCollection

from app.core.board import Lane, progress
from app.core.domain import DeliveryStatus, Order, OrderState
from app.core.storage import search_index
from app.core.storage import tables as t
from app.core.storage.convert import row_to_order

_NO_LIMIT = 2**62  # a LIMIT that limits nothing (see lane_counts)
_NOT_LIVE = [s.value for s in DeliveryStatus if not s.live]
# board.current_attempt's order among live attempts (+1: UNKNOWN ranks -1)
_PROGRESS = {s.value: progress(s) + 1 for s in DeliveryStatus if s.live}
_DONE_STATES = [OrderState.DELIVERED.value, OrderState.SELF_DELIVERED.value]


@dataclass(frozen=True, slots=True)
class LaneTimes:
    """The clock inputs of the lane rules (``lane_for``'s keyword arguments)."""

    now: datetime
    no_rider_after_s: float = 600
    stale_after_s: float = 300


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the next (older) page starts: the last row of the previous one."""

    received_at: datetime
    id: int


def _attempt_lane(times: LaneTimes) -> ColumnElement[str]:
    """The lane a *live* current attempt puts its order in, as ``lane_for`` decides it."""
    a = t.attempts.c
    s = a.status
    no_rider = times.now - timedelta(seconds=times.no_rider_after_s)
    stale = times.now - timedelta(seconds=times.stale_after_s)
    since = func.coalesce(a.dispatched_at, a.created_at)
    seen = func.coalesce(a.last_seen_at, a.dispatched_at)
    waiting = [DeliveryStatus.SUBMITTING.value, DeliveryStatus.PENDING_ACCEPT.value]
    troubled = [DeliveryStatus.RETURNING.value, DeliveryStatus.CANCEL_REQUESTED.value]
    return case(
        (s.in_(_NOT_LIVE), literal(Lane.NEW.value)),
        (a.exception != "", literal(Lane.ATTENTION.value)),
        (s.in_(troubled), literal(Lane.ATTENTION.value)),
        (and_(s.in_(waiting), since < no_rider), literal(Lane.ATTENTION.value)),
        (s.in_(waiting), literal(Lane.AWAITING.value)),
        (seen < stale, literal(Lane.ATTENTION.value)),
        else_=literal(Lane.DELIVERING.value),
    )


def lane_sql(times: LaneTimes) -> ColumnElement[str]:
    """``lane_for`` as SQL over an ``orders`` row: the current attempt (``current_attempt``:
    the most advanced live one, the later on a tie; with none live the lane is NEW
    whichever is picked) is a correlated subquery, only reached for undecided states.
    It is picked by an aggregate (max of live-first, progress, attempt_no) rather than
    ORDER BY ... LIMIT 1, which would build a sorter per order."""
    o, a = t.orders.c, t.attempts.c
    a2 = t.attempts.alias("a2")

    def rank(c: ReadOnlyColumnCollection[str, Column[Any]]) -> ColumnElement[int]:
        live_first: ColumnElement[int] = case((c.status.in_(_NOT_LIVE), 0), else_=1 << 20)
        progress: ColumnElement[int] = case(_PROGRESS, value=c.status, else_=0)
        return live_first + progress * 1024 + c.attempt_no

    best = (
        select(func.max(rank(a2.c)))
        .where(a2.c.order_id == o.id)
        .correlate(t.orders)  # two levels down: not auto-correlated
        .scalar_subquery()
    )
    current = (
        select(_attempt_lane(times))
        .where(a.order_id == o.id, rank(a) == best)
        .order_by(a.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return case(
        (o.state == OrderState.CANCELLED.value, literal(Lane.CANCELLED.value)),
        (o.state.in_(_DONE_STATES), literal(Lane.DONE.value)),
        (o.state == OrderState.ATTENTION.value, literal(Lane.ATTENTION.value)),
        else_=func.coalesce(current, literal(Lane.NEW.value)),
    )


def search_text(o: Order) -> str:
    """What a board search looks in (stored in ``orders.search_text`` at intake)."""
    c = o.customer
    parts = (o.pos_order_id, o.pickup_no, c.name, c.phone, c.address.text, o.note)
    return " ".join(parts).lower()[:800]


def _search_clause(search: str, dialect: str, indexed: bool) -> ColumnElement[bool]:
    col = t.orders.c.search_text
    needle = search.lower()
    if indexed and search_index.usable(needle):
        return search_index.matching_ids(needle)  # an index lookup, not a scan
    if dialect == "sqlite":
        # a byte search of UTF-8 is a character search (UTF-8 self-synchronises) and
        # skips LIKE's per-character folding: ~3x faster over a 100k-row scan
        blob = LargeBinary()
        return func.instr(cast(col, blob), cast(literal(needle), blob)) > 0
    return col.contains(needle, autoescape=True)


def _lane_clause(lanes: Iterable[Lane], times: LaneTimes) -> ColumnElement[bool]:
    return lane_sql(times).in_([lane.value for lane in lanes])


def _filters(c: Connection, *, since: datetime | None, search: str) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if since is not None:
        out.append(t.orders.c.received_at >= since)
    if search:
        indexed = search_index.present(c)
        out.append(_search_clause(search, c.dialect.name, indexed))
    return out


def lane_counts(
    engine: Engine, times: LaneTimes, *, since: datetime | None, search: str = ""
) -> dict[Lane, int]:
    """How many orders each lane holds, counted by the database (no rows loaded)."""
    with engine.connect() as c:
        filters = _filters(c, since=since, search=search)
        # lanes per row in a subquery, grouped outside. SQLite would flatten it back into
        # GROUP BY <expression> and evaluate the attempt subquery twice per order; a
        # subquery with a LIMIT is never flattened into an aggregate.
        per_row = select(lane_sql(times).label("lane")).where(*filters).limit(_NO_LIMIT)
        sub = per_row.subquery()
        q = select(sub.c.lane, func.count()).group_by(sub.c.lane)
        got = {str(name): int(n) for name, n in c.execute(q)}
    return {ln: got.get(ln.value, 0) for ln in Lane}


def page_orders(
    engine: Engine,
    times: LaneTimes,
    *,
    since: datetime | None,
    lanes: Sequence[Lane] | None = None,
    search: str = "",
    before: Cursor | None = None,
    limit: int = 200,
) -> tuple[list[Order], Cursor | None]:
    """One page, newest first, older than ``before``; the cursor is None on the last."""
    o = t.orders.c
    with engine.connect() as c:
        # keys first, from the covering index alone; then the (wide) rows of one page
        q = select(o.id).where(*_filters(c, since=since, search=search))
        if lanes is not None:
            q = q.where(_lane_clause(lanes, times))
        if before is not None:
            key = tuple_(literal(before.received_at, t.UTCDateTime()), literal(before.id))
            q = q.where(tuple_(o.received_at, o.id) < key)
        q = q.order_by(o.received_at.desc(), o.id.desc()).limit(limit + 1)
        ids = list(c.execute(q).scalars())
        found = c.execute(select(t.orders).where(o.id.in_(ids)))
        by_id = {r.id: row_to_order(r) for r in found}
    rows = [by_id[i] for i in ids]
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    assert last.received_at is not None and last.id is not None
    return rows[:limit], Cursor(last.received_at, last.id)
