"""Repositories: domain objects in and out, idempotent intake, the event log, nonces,
and migrations that match the table metadata."""

import asyncio
from datetime import UTC, datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.core.domain import DeliveryAttempt, DeliveryStatus, OrderState, Quote, Rider
from app.core.events import EventBus, OrderReceived
from app.core.intake import IntakeBatcher
from app.core.pos.schema import payload_hash
from app.core.storage.db import make_engine, migrate
from app.core.storage.outbox_repo import OutboxRepo
from app.core.storage.repos import Database
from app.core.storage.search_index import include_name
from app.core.storage.tables import metadata
from tests.fakes.clock import FakeClock
from tests.helpers import sample_order

NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)


def _db(tmp_path) -> Database:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    return Database(engine)


def test_migrations_match_metadata(tmp_path):
    db = _db(tmp_path)
    with db.engine.connect() as c:
        ctx = MigrationContext.configure(c, opts={"include_name": include_name})
        diff = compare_metadata(ctx, metadata)
    assert diff == []


def test_wal_and_full_sync(tmp_path):
    db = _db(tmp_path)
    with db.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_order_round_trip_and_idempotent_insert(tmp_path):
    db = _db(tmp_path)
    o = sample_order()
    h = payload_hash({"a": 1})
    (first,) = db.insert_orders([(o, h, "pos")], NOW)
    assert first.outcome == "created" and first.order.id
    got = db.get_order(first.order.id)
    assert got.customer.phone == "13812345678" and got.items == o.items
    assert got.created_at.tzinfo is not None and got.received_at == NOW
    dup, conflict = db.insert_orders([(o, h, "pos"), (o, payload_hash({"a": 2}), "pos")], NOW)
    assert dup.outcome == "duplicate" and conflict.outcome == "conflict"
    assert db.count_orders() == 1
    assert [e.kind for e in db.events_for_order(first.order.id)] == ["received"]


def test_attempts_quotes_events(tmp_path):
    db = _db(tmp_path)
    (res,) = db.insert_orders([(sample_order(), "h", "pos")], NOW)
    oid = res.order.id
    a = db.insert_attempt(
        DeliveryAttempt(oid, 1, "dada", "KEY0001", created_at=NOW, quoted_fee_fen=800)
    )
    assert db.next_attempt_no(oid) == 2
    a2 = a.with_(
        status=DeliveryStatus.ACCEPTED, rider=Rider("王伟", "13900001111", 31.2, 121.4, NOW)
    )
    db.save_attempt(a2, NOW)
    assert db.get_attempt(a.id).rider.name == "王伟"
    assert [x.id for x in db.live_attempts()] == [a.id]
    assert db.find_attempt("dada", key="KEY0001").id == a.id
    q = Quote("dada", 800, 2000, NOW, True, NOW + timedelta(minutes=3), "T1", 60)
    db.add_quote(oid, q)
    db.add_quote(oid, q)
    assert db.quotes_for_order(oid) == [q]
    assert db.append_event(oid, NOW, "status", "dada", "accepted", dedupe_key="k1")
    assert not db.append_event(oid, NOW, "status", "dada", "accepted", dedupe_key="k1")
    db.set_order_state(oid, OrderState.ATTENTION, NOW, attention="no rider")
    assert db.get_order(oid).extra["attention"] == "no rider"


def test_nonce_replay(tmp_path):
    repo = OutboxRepo(_db(tmp_path).engine)
    assert repo.remember_nonces(["abcdefgh"], NOW, 300) == [True]
    later = NOW + timedelta(seconds=10)
    assert repo.remember_nonces(["abcdefgh", "ijklmnop"], later, 300) == [False, True]
    # a nonce older than twice the window is forgotten, so the table stays small
    assert repo.remember_nonces(["abcdefgh"], NOW + timedelta(seconds=601), 300) == [True]


def test_group_commit_batches_and_publishes(tmp_path):
    db = _db(tmp_path)
    bus = EventBus()
    seen = []
    bus.subscribe(OrderReceived, seen.append)
    batcher = IntakeBatcher(db, bus, FakeClock())

    async def go():
        batcher.start()
        orders = [sample_order(f"P{i}") for i in range(50)]
        outs = await asyncio.gather(*(batcher.submit(o, "h", "pos") for o in orders + orders[:5]))
        await batcher.stop()
        return outs

    outs = asyncio.run(go())
    assert sum(o.outcome == "created" for o in outs) == 50
    assert sum(o.outcome == "duplicate" for o in outs) == 5
    assert len(seen) == 50 and db.count_orders() == 50
