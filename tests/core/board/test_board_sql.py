"""The board's SQL against its Python rules: ``lane_sql`` agrees with ``lane_for`` over
generated orders and attempts, lane counts are GROUP BY counts, keyset pages have no
gaps or duplicates, and a search reaches past the board window."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.core.board import Lane, current_attempt, lane_for
from app.core.domain import DeliveryAttempt, DeliveryStatus, OrderState
from app.core.storage import board_repo
from app.core.storage import tables as t
from app.core.storage.board_repo import LaneTimes
from app.core.storage.db import make_engine, migrate
from app.core.storage.repos import Database
from tests.helpers import sample_order

NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Database:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('board') / 'db.sqlite'}")
    migrate(engine)
    return Database(engine)


def _add(db: Database, state=OrderState.NEW, at: datetime = NOW, **kw) -> int:
    n = next(_ids)
    (res,) = db.insert_orders([(sample_order(f"G{n:07d}", **kw), f"h{n}", "pos")], at)
    oid = res.order.id
    assert oid is not None
    if state is not OrderState.NEW:
        db.set_order_state(oid, state, at)
    return oid


_offset = st.one_of(st.none(), st.integers(min_value=-2000, max_value=100))
_attempt = st.fixed_dictionaries(
    {
        "status": st.sampled_from(list(DeliveryStatus)),
        "exception": st.sampled_from(["", "", "骑手报告异常"]),
        "created": st.integers(min_value=-2000, max_value=0),
        "dispatched": _offset,
        "seen": _offset,
    }
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    state=st.sampled_from(list(OrderState)),
    attempts=st.lists(_attempt, max_size=3),
    no_rider=st.integers(min_value=0, max_value=900),
    stale=st.integers(min_value=0, max_value=900),
)
def test_sql_lane_agrees_with_lane_for(db, state, attempts, no_rider, stale):
    oid = _add(db, state)
    saved = []
    for i, spec in enumerate(attempts, start=1):

        def at(s):
            return None if s is None else NOW + timedelta(seconds=s)

        a = DeliveryAttempt(
            order_id=oid, attempt_no=i, carrier="dada", idempotency_key=f"k{oid}-{i}",
            status=spec["status"], exception=spec["exception"], created_at=at(spec["created"]),
            dispatched_at=at(spec["dispatched"]), last_seen_at=at(spec["seen"]),
        )  # fmt: skip
        saved.append(db.insert_attempt(a))
    order = db.get_order(oid)
    times = LaneTimes(NOW, no_rider_after_s=no_rider, stale_after_s=stale)
    want, _why = lane_for(
        order, current_attempt(saved), NOW, no_rider_after_s=no_rider, stale_after_s=stale
    )
    with db.engine.connect() as c:
        got = c.execute(select(board_repo.lane_sql(times)).where(t.orders.c.id == oid)).scalar()
    assert got == want.value
    pages, _ = board_repo.page_orders(
        db.engine, times, since=None, lanes=[want], search=order.pos_order_id
    )
    assert [o.id for o in pages] == [oid]


def _fresh_db(tmp_path) -> Database:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    return Database(engine)


def test_lane_counts_are_group_by_counts(tmp_path):
    db = _fresh_db(tmp_path)
    for _ in range(3):
        _add(db)
    for _ in range(2):
        _add(db, OrderState.CANCELLED)
    _add(db, OrderState.DELIVERED)
    _add(db, OrderState.ATTENTION)
    live = _add(db, OrderState.DISPATCHING)
    db.insert_attempt(DeliveryAttempt(
        order_id=live, attempt_no=1, carrier="dada", idempotency_key="kl",
        status=DeliveryStatus.ACCEPTED, created_at=NOW, dispatched_at=NOW, last_seen_at=NOW,
    ))  # fmt: skip
    _add(db, at=NOW - timedelta(days=3))  # outside the window
    counts = board_repo.lane_counts(db.engine, LaneTimes(NOW), since=NOW - timedelta(days=1))
    assert counts == {
        Lane.NEW: 3, Lane.AWAITING: 0, Lane.DELIVERING: 1, Lane.ATTENTION: 1,
        Lane.DONE: 1, Lane.CANCELLED: 2,
    }  # fmt: skip
    everything = board_repo.lane_counts(db.engine, LaneTimes(NOW), since=None)
    assert everything[Lane.NEW] == 4


def test_keyset_pages_have_no_gaps_or_duplicates_while_orders_arrive(tmp_path):
    db = _fresh_db(tmp_path)
    times = LaneTimes(NOW)
    # several orders share one received_at: the id breaks the tie
    first = [_add(db, at=NOW - timedelta(minutes=i // 3)) for i in range(47)]
    seen: list[int] = []
    page, cursor = board_repo.page_orders(db.engine, times, since=None, limit=10)
    seen += [o.id for o in page]
    arrived = []
    while cursor is not None:
        arrived.append(_add(db, at=NOW + timedelta(minutes=len(arrived) + 1)))
        page, cursor = board_repo.page_orders(db.engine, times, since=None, before=cursor, limit=10)
        seen += [o.id for o in page]
    assert len(seen) == len(set(seen)) == 47
    assert set(seen) == set(first)  # the arrivals are newer than the first page's top
    keys = [(db.get_order(i).received_at, i) for i in seen]
    assert keys == sorted(keys, reverse=True)


def test_search_reaches_past_the_window_and_escapes_wildcards(tmp_path):
    db = _fresh_db(tmp_path)
    old = _add(db, at=NOW - timedelta(days=40), note="老顾客 100%_辣")
    _add(db, note="新的")
    times = LaneTimes(NOW)
    page, _ = board_repo.page_orders(db.engine, times, since=None, search="100%_")
    assert [o.id for o in page] == [old]
    page, _ = board_repo.page_orders(db.engine, times, since=None, search="0%")
    assert [o.id for o in page] == [old]
    assert board_repo.lane_counts(db.engine, times, since=None, search="老顾客")[Lane.NEW] == 1
    none, _ = board_repo.page_orders(db.engine, times, since=None, search="_辣x")
    assert none == []
