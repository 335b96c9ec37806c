"""Migration 0002: the engine state of an in-flight attempt moves out of ``extra`` into
its typed columns, so an upgrade in the middle of a rush resumes where it stopped."""

from __future__ import annotations

from datetime import timedelta

from alembic import command
from sqlalchemy import MetaData, Table, insert

from app.core.domain import DeliveryAttempt, DeliveryStatus
from app.core.storage import tables as t
from app.core.storage.convert import attempt_to_row, order_to_row
from app.core.storage.db import alembic_config, make_engine
from app.core.storage.repos import Database
from tests.helpers import sample_order

S = DeliveryStatus


def test_migration_0002_moves_engine_state_out_of_extra(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(engine), "0001")
    now = sample_order().created_at
    row = order_to_row(sample_order()) | {
        "payload_hash": "h",
        "received_at": now,
        "updated_at": now,
        "business_date": "2026-11-24",
        "attention": "",
        "source": "pos",
    }
    old_extra = {
        "race": "race9",
        "accept_deadline": "2026-11-24T12:05:00+08:00",
        "ladder_step": 1,
        "tip_count": 2,
        "failover_pending": True,
        "cancel_requested_at": "2026-11-24T04:01:00+00:00",
        "delivery_id": "D9",
    }
    old = Table("attempts", MetaData(), autoload_with=engine)  # the 0001 shape
    base = attempt_to_row(DeliveryAttempt(1, 1, "dada", "K1", S.PENDING_ACCEPT, created_at=now))
    attempt = {k: v for k, v in base.items() if k in old.c} | {
        "updated_at": now,
        "tip_count": 2,
        "extra": old_extra,
    }
    with engine.begin() as c:
        c.execute(insert(t.orders).values(**row))
        c.execute(insert(old).values(**attempt))
    command.upgrade(alembic_config(engine), "head")
    got = Database(engine).get_attempt(1)
    assert got is not None and got.extra == {"delivery_id": "D9"}
    assert (got.race_group, got.ladder_step, got.tip_count, got.failover_pending) == (
        "race9",
        1,
        2,
        True,
    )
    assert got.accept_deadline == now + timedelta(minutes=5)
    assert got.cancel_requested_at == now + timedelta(minutes=1)
