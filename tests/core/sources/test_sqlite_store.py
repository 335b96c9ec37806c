"""Source orders in SQLite: a faithful round trip, the upsert rank rule inside one
transaction, push dedupe keys, and a crash between storing and replying that neither
loses nor duplicates an order."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.core.domain.source_order import FulfilmentMode, SourceOrderState, to_order
from app.core.domain.status import DeliveryStatus
from app.core.pos.schema import payload_hash
from app.core.sources.base import PushRequest
from app.core.sources.eleme import mapping as el_mapping
from app.core.sources.eleme.rules import ElemeOptions
from app.core.sources.inbox import apply_event, receive_push
from app.core.sources.meituan import mapping as mt_mapping
from app.core.sources.meituan.rules import MtWmOptions
from app.core.storage import tables as t
from app.core.storage.db import make_engine, migrate
from app.core.storage.repos import Database
from app.core.storage.source_repo import SqliteSourceStore
from tests.core.sources.conftest import NOON_LOCAL
from tests.core.sources.test_inbox import signed

DATA = Path(__file__).parents[2] / "data" / "sources"


@pytest.fixture
def store(tmp_path) -> SqliteSourceStore:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    return SqliteSourceStore(engine, lambda: NOON_LOCAL)


def mt_order():
    doc = json.loads((DATA / "meituan" / "paid_order.json").read_text("utf-8"))
    return mt_mapping.parse_order({k: v for k, v in doc.items() if k[0] != "_"}, MtWmOptions())


def el_order():
    doc = json.loads((DATA / "eleme" / "new_order_message.json").read_text("utf-8"))["order"]
    return el_mapping.parse_order(doc, ElemeOptions())


def rows(store: SqliteSourceStore) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(t.source_orders)).scalar_one())


@pytest.mark.asyncio
async def test_round_trip_is_faithful(store):
    for order in (mt_order(), el_order()):
        assert await store.upsert(order)
        got = await store.get(order.source, order.source_order_id)
        assert got == order  # every field but the raw payload (compared below)
        assert got is not None and got.raw_payload == order.raw_payload
    assert await store.known_ids("eleme") == {"1200897812792015983"}
    assert await store.get("eleme", "nope") is None


@pytest.mark.asyncio
async def test_upsert_keeps_the_rank_rule(store):
    order = mt_order()
    assert await store.upsert(
        replace(order, state=SourceOrderState.CANCELLED, cancel_requested=True)
    )
    assert not await store.upsert(order)  # a late "paid" push
    got = await store.get("meituan", order.source_order_id)
    assert got is not None and got.state is SourceOrderState.CANCELLED and got.cancel_requested
    assert await store.open_ids("meituan") == [] and rows(store) == 1


@pytest.mark.asyncio
async def test_push_keys(store):
    assert not await store.push_seen("meituan", "k")
    await store.remember_push("meituan", "k")
    await store.remember_push("meituan", "k")
    assert await store.push_seen("meituan", "k") and not await store.push_seen("eleme", "k")


@pytest.mark.integration
@pytest.mark.asyncio
async def test_crash_between_store_and_reply_loses_and_duplicates_nothing(store, mt_rig):
    oid = mt_rig.sim.new_order()
    req: PushRequest = signed(mt_rig, "order", mt_rig.sim.order_push_fields(oid))
    (event,) = mt_rig.connector.parse_push("order", req).events
    await apply_event(mt_rig.connector, store, event)  # stored ... then killed: no key, no reply
    assert rows(store) == 1 and not await store.push_seen("meituan", event.dedupe_key)
    reply = await receive_push(mt_rig.connector, store, "order", req)  # the platform retries
    assert reply.status == 200 and reply.new_orders == ()
    assert rows(store) == 1 and await store.push_seen("meituan", event.dedupe_key)


@pytest.mark.asyncio
async def test_a_source_order_links_to_its_board_order(store):
    order = mt_order()
    await store.upsert(order)
    (made,) = Database(store.engine).insert_orders(
        [(to_order(order), payload_hash(order.raw_payload), "meituan")], NOON_LOCAL
    )
    assert made.order.id is not None
    await store.link_order("meituan", order.source_order_id, made.order.id)
    with store.engine.connect() as c:
        linked = c.execute(select(t.source_orders.c.order_id)).scalar_one()
    assert linked == made.order.id


@pytest.mark.asyncio
async def test_the_platform_rider_record_outlives_upserts_and_a_reopen(store, tmp_path):
    order = replace(mt_order(), fulfilment=FulfilmentMode.PLATFORM_DELIVERY)
    await store.upsert(order)
    key = ("meituan", order.source_order_id)
    assert await store.platform_rider(*key) is None
    since = NOON_LOCAL + timedelta(minutes=7)
    assert await store.set_platform_rider(*key, DeliveryStatus.ACCEPTED, since)
    await store.upsert(replace(order, state=SourceOrderState.CONFIRMED))  # a later push
    assert await store.platform_rider(*key) == (DeliveryStatus.ACCEPTED, since)
    assert (await store.get(*key)).state is SourceOrderState.CONFIRMED
    (made,) = Database(store.engine).insert_orders(
        [(to_order(order), payload_hash(order.raw_payload), "meituan")], NOON_LOCAL
    )
    await store.link_order(*key, made.order.id)
    # another process on the same file (a restart) reads the same record
    again = SqliteSourceStore(make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}"), store._now)
    [(order_id, so, rider)] = await again.open_linked("meituan", FulfilmentMode.PLATFORM_DELIVERY)
    assert (order_id, so.source_order_id) == (made.order.id, order.source_order_id)
    assert rider == (DeliveryStatus.ACCEPTED, since)
    assert await again.set_platform_rider(*key, None, since + timedelta(minutes=3))
    assert await again.platform_rider(*key) == (None, since + timedelta(minutes=3))
    assert not await again.set_platform_rider("meituan", "no-such-order", None, since)
