"""The schema. Any change here needs a new Alembic migration in ``migrations/versions``
(a test compares this metadata with the migrated database)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out, on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime reached storage")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(name: str, **kw: Any) -> Column[datetime]:
    return Column(name, UTCDateTime(), **kw)


orders = Table(
    "orders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("pos_order_id", String(64), nullable=False, unique=True),
    Column("payload_hash", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("attention", String(200), nullable=False, default=""),
    _ts("created_at", nullable=False),
    _ts("received_at", nullable=False),  # indexed first in ix_orders_board
    _ts("updated_at", nullable=False),
    Column("business_date", String(10), nullable=False, index=True),
    Column("pickup_no", String(32), nullable=False, default=""),
    Column("customer_name", String(100), nullable=False, default=""),
    Column("customer_phone", String(40), nullable=False, default=""),
    Column("address", String(300), nullable=False, default=""),
    Column("lat", Float, nullable=False),
    Column("lng", Float, nullable=False),
    Column("orig_system", String(8), nullable=False, default="gcj02"),
    Column("orig_lat", Float),
    Column("orig_lng", Float),
    Column("items", JSON, nullable=False),
    Column("total_fen", BigInteger, nullable=False, default=0),
    Column("goods_value_fen", BigInteger, nullable=False, default=0),
    Column("delivery_fee_fen", BigInteger, nullable=False, default=0),
    Column("weight_g", Integer, nullable=False, default=0),
    Column("note", Text, nullable=False, default=""),
    _ts("expected_ready_at"),
    _ts("scheduled_at"),
    Column("dispatch_mode", String(8), nullable=False),
    Column("distance_m", Integer),
    Column("source", String(16), nullable=False, default="pos"),
    Column("extra", JSON, nullable=False, default=dict),
    # lower-cased pickup/POS no, name, phone, address and note: the board's search reads
    # this one column from the covering index below instead of six from every row
    Column("search_text", String(800), nullable=False, server_default=""),
)

attempts = Table(
    "attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", Integer, ForeignKey("orders.id"), nullable=False, index=True),
    Column("attempt_no", Integer, nullable=False),
    Column("carrier", String(16), nullable=False, index=True),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("status", String(20), nullable=False, index=True),
    Column("raw_status", String(40), nullable=False, default=""),
    Column("carrier_order_id", String(64), nullable=False, default="", index=True),
    Column("quote_token", String(128), nullable=False, default=""),
    Column("rider_name", String(64), nullable=False, default=""),
    Column("rider_phone", String(40), nullable=False, default=""),
    Column("rider_lat", Float),
    Column("rider_lng", Float),
    _ts("rider_at"),
    Column("quoted_fee_fen", BigInteger, nullable=False, default=0),
    Column("actual_fee_fen", BigInteger),
    Column("tip_fen", BigInteger, nullable=False, default=0),
    Column("tip_count", Integer, nullable=False, default=0),
    Column("insurance_fee_fen", BigInteger, nullable=False, default=0),
    Column("cancel_fee_fen", BigInteger, nullable=False, default=0),
    Column("refund_fen", BigInteger, nullable=False, default=0),
    Column("distance_m", Integer),
    _ts("created_at", nullable=False),
    _ts("dispatched_at"),
    _ts("accepted_at"),
    _ts("picked_up_at"),
    _ts("finished_at"),
    _ts("updated_at", nullable=False),
    Column("cancelled_by", String(16)),
    Column("cancel_reason", String(200), nullable=False, default=""),
    Column("error", String(300), nullable=False, default=""),
    Column("tracking_url", String(300), nullable=False, default=""),
    Column("exception", String(200), nullable=False, default=""),
    _ts("last_seen_at"),
    # the dispatch engine's state (0002); carrier-private ids stay in ``extra``
    Column("race_group", String(32), nullable=False, default=""),
    _ts("accept_deadline"),
    Column("ladder_step", Integer, nullable=False, default=0),
    Column("recreates", Integer, nullable=False, default=0),
    Column("failover_pending", Boolean, nullable=False, default=False),
    _ts("cancel_requested_at"),
    Column("extra", JSON, nullable=False, default=dict),
    UniqueConstraint("order_id", "attempt_no", name="uq_attempts_order_attempt"),
)

order_events = Table(
    "order_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", Integer, ForeignKey("orders.id"), nullable=False, index=True),
    _ts("at", nullable=False),
    Column("kind", String(32), nullable=False),
    Column("actor", String(32), nullable=False),
    Column("message", Text, nullable=False),
    Column("data", JSON, nullable=False, default=dict),
    Column("dedupe_key", String(200), unique=True),
)

quotes = Table(
    "quotes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", Integer, ForeignKey("orders.id"), nullable=False, index=True),
    Column("carrier", String(16), nullable=False),
    Column("fee_fen", BigInteger, nullable=False),
    Column("distance_m", Integer, nullable=False),
    _ts("quoted_at", nullable=False),
    _ts("expires_at"),
    Column("binding", Boolean, nullable=False),
    Column("token", String(128), nullable=False, default=""),
    Column("accept_eta_s", Integer),
    Column("pickup_eta_s", Integer),
    Column("delivery_eta_s", Integer),
    Column("raw", JSON, nullable=False, default=dict),
)

pos_nonces = Table(
    "pos_nonces",
    metadata,
    Column("nonce", String(64), primary_key=True),
    _ts("seen_at", nullable=False, index=True),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("payload", JSON, nullable=False),
    _ts("created_at", nullable=False),
    _ts("next_try_at", nullable=False, index=True),
    Column("tries", Integer, nullable=False, default=0),
    _ts("done_at"),
    Column("last_error", String(300), nullable=False, default=""),
)

print_jobs = Table(
    "print_jobs",
    metadata,
    Column("id", String(80), primary_key=True),  # idempotent: order + template + reason + n
    Column("order_id", Integer, ForeignKey("orders.id"), index=True),
    Column("printer", String(64), nullable=False),
    Column("template", String(32), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("copies", Integer, nullable=False, default=1),
    Column("state", String(16), nullable=False, index=True),
    Column("tries", Integer, nullable=False, default=0),
    Column("error", String(300), nullable=False, default=""),
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
    Column("payload", LargeBinary),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _ts("at", nullable=False, index=True),
    Column("actor", String(32), nullable=False),
    Column("action", String(48), nullable=False),
    Column("detail", JSON, nullable=False, default=dict),
)

bill_lines = Table(
    "bill_lines",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("import_id", String(40), nullable=False, index=True),
    Column("carrier", String(16), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("carrier_order_id", String(64), nullable=False, default=""),
    Column("origin_id", String(64), nullable=False, default=""),
    Column("amount_fen", BigInteger, nullable=False),
    Column("bill_date", String(10), nullable=False, default=""),
    Column("matched_attempt_id", Integer, ForeignKey("attempts.id"), index=True),
    Column("raw", JSON, nullable=False, default=dict),
)

kv = Table(
    "kv",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JSON),
)

# order sources (美团外卖, 饿了么): one row per platform order; every push/pull is an upsert
source_orders = Table(
    "source_orders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(16), nullable=False),
    Column("source_order_id", String(40), nullable=False),  # text: 19-digit ids
    Column("source_store_ref", String(64), nullable=False, default=""),
    Column("display_no", Integer),
    Column("state", String(16), nullable=False, index=True),
    Column("fulfilment", String(24), nullable=False),
    Column("order_id", Integer, ForeignKey("orders.id"), index=True),  # the board order
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
    Column("doc", JSON, nullable=False),  # the whole SourceOrder but its raw payload
    Column("raw_payload", JSON, nullable=False, default=dict),
    UniqueConstraint("source", "source_order_id"),
)

source_pushes = Table(
    "source_pushes",
    metadata,
    Column("source", String(16), primary_key=True),
    Column("dedupe_key", String(160), primary_key=True),
    _ts("seen_at", nullable=False, index=True),
)

# the status sync-back outbox (shared/sources/README.md §3): one row per change to report;
# the row is written before the platform is called, and stays until the platform says ok
# (done_at) or refuses for good (parked). A position row (status "position") is re-armed
# in place, so a moving rider never queues more than one.
source_syncback = Table(
    "source_syncback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(16), nullable=False),
    Column("source_order_id", String(40), nullable=False),
    Column("attempt_id", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("order_id", Integer, ForeignKey("orders.id"), index=True),
    Column("payload", JSON, nullable=False),  # the SyncBack: rider, carrier, point, at
    Column("tries", Integer, nullable=False, default=0),
    _ts("next_at", nullable=False),
    _ts("done_at"),
    Column("parked", String(300), nullable=False, default=""),  # why a human must look
    Column("last_error", String(300), nullable=False, default=""),
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
    UniqueConstraint("source", "source_order_id", "attempt_id", "status"),
    Index("ix_source_syncback_pending", "done_at", "parked", "next_at"),
)

# store -> hub upload outbox (issue 16 item 4): SQLite triggers add one row per insert or
# update of orders, attempts, source_orders and order_events while the PC is joined to a
# hub (kv "hub.sync" present; migration 0007). The id only grows (AUTOINCREMENT: never
# reused after the uploaded rows are deleted) and is the version the hub keeps.
hub_outbox = Table(
    "hub_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tbl", String(24), nullable=False),
    Column("row_id", Integer, nullable=False),
    sqlite_autoincrement=True,
)
Index("ix_orders_state_received", orders.c.state, orders.c.received_at)
# newest-first walks by received_at (what ix_orders_received_at was), covering the board's
# lane counts, pages and search scans: state and search_text are read from the index,
# never from the wide rows (app/core/storage/board_repo.py)
Index("ix_orders_board", orders.c.received_at, orders.c.state, orders.c.search_text)
