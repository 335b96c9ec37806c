"""One commit per batch of orders: a POS order's replay nonce, the order and its
"received" event are written together (``Database.insert_orders`` with ``nonces``), and
replay protection stays exact whichever path (order commit or lone nonce) saw a nonce."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select

from app.core.events import EventBus, OrderReceived
from app.core.intake import IntakeBatcher, ReplayNonce
from app.core.storage import tables as t
from app.core.storage.db import make_engine, migrate
from app.core.storage.outbox_repo import OutboxRepo
from app.core.storage.repos import Database
from tests.fakes.clock import FakeClock
from tests.fakes.pos import PosClient, payload
from tests.helpers import sample_order

NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)


def _db(tmp_path) -> Database:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    return Database(engine)


def _nonces(db: Database) -> set[str]:
    with db.engine.connect() as c:
        return set(c.execute(select(t.pos_nonces.c.nonce)).scalars())


def _received_events(db: Database) -> list[int]:
    with db.engine.connect() as c:
        q = select(t.order_events.c.order_id).where(t.order_events.c.kind == "received")
        return sorted(c.execute(q).scalars())


def test_batch_outcomes_nonces_and_events_in_one_transaction(tmp_path):
    db = _db(tmp_path)
    assert OutboxRepo(db.engine).remember_nonces(["used-by-a-get"], NOW, 300) == [True]
    a, b = sample_order("P1"), sample_order("P2")
    batch = [
        (a, "ha", "pos"),  # new order, new nonce
        (sample_order("P3"), "h3", "pos"),  # nonce seen before: nothing stored
        (a, "ha", "pos"),  # same order again in the batch: duplicate of the first
        (a, "other", "pos"),  # same id, other payload: conflict
        (b, "hb", "phone"),  # no nonce (a phone order)
        (sample_order("P4"), "h4", "pos"),  # nonce repeated within the batch: replay
    ]
    nonces = ["nonce-0001", "used-by-a-get", "nonce-0002", "nonce-0003", None, "nonce-0001"]
    commits: list[int] = []
    event.listen(db.engine, "commit", lambda conn: commits.append(1))
    outs = db.insert_orders(batch, NOW, nonces=nonces, nonce_window_s=300)
    assert len(commits) == 1
    assert [o.outcome for o in outs] == [
        "created", "replay", "duplicate", "conflict", "created", "replay",
    ]  # fmt: skip
    assert outs[2].order.id == outs[3].order.id == outs[0].order.id is not None
    assert outs[0].order == db.get_order(outs[0].order.id)  # what RETURNING gave = stored
    assert outs[4].order == db.get_order(outs[4].order.id)
    assert db.count_orders() == 2 and db.get_order_by_pos_id("P3") is None
    assert _received_events(db) == sorted([outs[0].order.id, outs[4].order.id])
    assert _nonces(db) == {"used-by-a-get", "nonce-0001", "nonce-0002", "nonce-0003"}
    # the next batch sees what this one stored: a duplicate with a fresh nonce still
    # burns that nonce, a replayed one stores nothing
    again = db.insert_orders(
        [(a, "ha", "pos"), (sample_order("P5"), "h5", "pos")],
        NOW,
        nonces=["nonce-0004", "nonce-0002"],
        nonce_window_s=300,
    )
    assert [o.outcome for o in again] == ["duplicate", "replay"]
    assert "nonce-0004" in _nonces(db) and db.count_orders() == 2
    # a lone nonce (a GET, a refused body) meets the order's nonce too
    assert OutboxRepo(db.engine).remember_nonces(["nonce-0003"], NOW, 300) == [False]


def test_intake_batcher_stores_nonce_with_order_and_announces_only_created(tmp_path):
    db = _db(tmp_path)
    bus = EventBus()
    seen: list[OrderReceived] = []
    bus.subscribe(OrderReceived, seen.append)
    batcher = IntakeBatcher(db, bus, FakeClock())

    async def go():
        orders = [sample_order(f"P{i}") for i in range(20)]
        subs = [batcher.submit(o, "h", "pos", ReplayNonce(f"nonce-{i:04d}", 300))
                for i, o in enumerate(orders)]  # fmt: skip
        subs.append(batcher.submit(sample_order("PX"), "h", "pos", ReplayNonce("nonce-0003", 300)))
        outs = await asyncio.gather(*subs)
        await batcher.stop()
        return outs

    outs = asyncio.run(go())
    assert [o.outcome for o in outs] == ["created"] * 20 + ["replay"]
    assert len(seen) == 20 and db.count_orders() == 20
    assert len(_nonces(db)) == 20


@pytest.mark.integration
@pytest.mark.asyncio
async def test_one_commit_per_pos_order(pos: PosClient):
    commits: list[int] = []
    event.listen(pos.core.service.db.engine, "commit", lambda conn: commits.append(1))
    r = await pos.post("/orders", payload(pos_order_id="P7001"))
    assert r.status_code == 201
    # before: a nonce commit, then the order's (and its event's) commit
    assert len(commits) == 1


@pytest.mark.integration
@pytest.mark.asyncio
async def test_refused_body_burns_its_nonce_and_a_replay_wins_over_a_bad_body(pos: PosClient):
    bad = json.dumps(payload(total_fen=-1)).encode()
    r = await pos.post("/orders", body=bad, headers=pos.headers(bad, nonce="burnt-nonce-1"))
    assert r.status_code == 422
    good = json.dumps(payload(pos_order_id="P7002")).encode()
    r = await pos.post("/orders", body=good, headers=pos.headers(good, nonce="burnt-nonce-1"))
    assert r.status_code == 401 and r.json()["error"]["code"] == "replayed_nonce"
    assert await pos.count_orders() == 0
    # a nonce stored with an order: a replay with a broken body is still a replay
    r = await pos.post("/orders", body=good, headers=pos.headers(good, nonce="order-nonce-1"))
    assert r.status_code == 201
    r = await pos.post("/orders", body=bad, headers=pos.headers(bad, nonce="order-nonce-1"))
    assert r.status_code == 401 and r.json()["error"]["code"] == "replayed_nonce"
    r = await pos.post("/orders", body=b"{", headers=pos.headers(b"{", nonce="order-nonce-1"))
    assert r.status_code == 401 and r.json()["error"]["code"] == "replayed_nonce"
    assert await pos.count_orders() == 1
