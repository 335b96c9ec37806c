"""A pulled 美团/饿了么 order becomes a board order that today's storage accepts as is:
pickup number, source ids and the no-dispatch flag survive the round trip, and a
repeat is a duplicate, not a second order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.domain import Channel
from app.core.domain.source_order import FulfilmentMode, to_order
from app.core.pos.schema import payload_hash
from app.core.sources.eleme import mapping as el_mapping
from app.core.sources.eleme.rules import ElemeOptions
from app.core.sources.meituan import mapping as mt_mapping
from app.core.sources.meituan.rules import MtWmOptions
from app.core.storage.db import make_engine, migrate
from app.core.storage.repos import Database
from tests.core.sources.conftest import NOON_LOCAL

DATA = Path(__file__).parents[2] / "data" / "sources"


@pytest.fixture
def db(tmp_path) -> Database:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    return Database(engine)


def test_source_orders_round_trip_through_order_storage(db: Database):
    mt_doc = json.loads((DATA / "meituan" / "paid_order.json").read_text("utf-8"))
    mt = mt_mapping.parse_order({k: v for k, v in mt_doc.items() if k[0] != "_"}, MtWmOptions())
    el_doc = json.loads((DATA / "eleme" / "new_order_message.json").read_text("utf-8"))["order"]
    el = el_mapping.parse_order(el_doc, ElemeOptions.from_mapping({"default_fulfilment": "pickup"}))
    batch = [
        (to_order(so, received_at=NOON_LOCAL), payload_hash(so.raw_payload), so.source)
        for so in (mt, el)
    ]
    outcomes = db.insert_orders(batch, NOON_LOCAL)
    assert [o.outcome for o in outcomes] == ["created", "created"]
    got_mt = db.get_order_by_pos_id("meituan:27061900338318741")
    got_el = db.get_order_by_pos_id("eleme:1200897812792015983")
    assert got_mt is not None and got_el is not None
    assert (got_mt.channel, got_mt.pickup_no, got_mt.total_fen) == (
        Channel.MEITUAN,
        "美团 #12",
        3850,
    )
    assert got_mt.customer.phone == "13812345678_1234"
    assert got_mt.extra["source_order_id"] == "27061900338318741"
    assert got_mt.extra["dispatch"] is True
    assert (got_el.channel, got_el.pickup_no) == (Channel.ELEME, "饿了么 #7")
    assert got_el.extra["fulfilment"] == FulfilmentMode.PICKUP.value
    assert got_el.extra["dispatch"] is False
    again = db.insert_orders(batch[:1], NOON_LOCAL)
    assert again[0].outcome == "duplicate"
