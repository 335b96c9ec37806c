"""The hub's tables (PostgreSQL). Rows never leave ``app.hub``'s repository modules.

- ``hub_store``: a chain's store; ``push_seq`` hands out its inbox cursors (the row lock
  taken to bump it orders concurrent pushes, so a cursor is visible only after every
  smaller one of the same store).
- ``hub_enrolment``: one-time codes (hash only) exchanged by ``hub-join``.
- ``hub_device``: a counter PC's token (hash only) and the cursor it acknowledged.
- ``hub_store_ref``: platform store reference (美团 app_poi_code, 饿了么 shopId) → store.
- ``hub_push``: every verified platform push, as received (method, path, query, headers,
  body) so the counter re-runs the very same parsing; ``store_id`` NULL = needs mapping.
- ``hub_unmapped``: the "needs mapping" queue, one row per unknown (source, ref); ref ""
  counts pushes that named no store and whose order the hub has not seen yet.
- ``hub_order``, ``hub_attempt``, ``hub_source_order``, ``hub_order_event``: every
  store's rows uploaded by its counter PC (``POST /hub/v1/sync``; ``app/hub/sync.py``);
  ``hub_store_health``: the newest printer / order-source health it reported.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

stores = Table(
    "hub_store",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("grp", String(100), nullable=False, default=""),
    Column("push_seq", BigInteger, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

enrolments = Table(
    "hub_enrolment",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("store_id", String(32), ForeignKey("hub_store.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
)

devices = Table(
    "hub_device",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("store_id", String(32), ForeignKey("hub_store.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False, default=""),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("acked_cursor", BigInteger, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
)

store_refs = Table(
    "hub_store_ref",
    metadata,
    Column("source", String(32), primary_key=True),
    Column("ref", String(64), primary_key=True),
    Column("store_id", String(32), ForeignKey("hub_store.id"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

pushes = Table(
    "hub_push",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("source", String(32), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("dedupe_key", String(300), nullable=False),
    Column("store_ref", String(64), nullable=False, default=""),
    Column("source_order_id", String(64), nullable=False, default=""),
    Column("store_id", String(32), ForeignKey("hub_store.id")),
    Column("seq", BigInteger),  # the store's inbox cursor; NULL while unmapped
    Column("method", String(8), nullable=False),
    Column("path", String(300), nullable=False),
    Column("query", JSON, nullable=False),
    Column("headers", JSON, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("source", "dedupe_key", name="uq_hub_push_dedupe"),
    UniqueConstraint("store_id", "seq", name="uq_hub_push_store_seq"),
    Index("ix_hub_push_unmapped", "source", "store_ref", postgresql_where="store_id IS NULL"),
    Index("ix_hub_push_order", "source", "source_order_id"),
)

unmapped = Table(
    "hub_unmapped",
    metadata,
    Column("source", String(32), primary_key=True),
    Column("ref", String(64), primary_key=True),
    Column("pushes", Integer, nullable=False, default=0),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
)


# --------------------------------------------------------------------- store → hub sync
# What the counter PCs upload (issue 16 item 4): one row per counter row, keyed by the
# counter's own row id within its store, with the version the counter stamped (its upload
# outbox sequence, which only grows). A row is replaced only by a higher version, so a
# repeated or out-of-order upload changes nothing. ``data`` is the whole row as the
# counter sent it (phones masked, no search text); the typed columns beside it are what
# head-office reports filter and sum on.
def _synced(name: str, *typed: Column[object]) -> Table:
    return Table(
        name,
        metadata,
        Column("store_id", String(32), ForeignKey("hub_store.id"), primary_key=True),
        Column("row_id", BigInteger, primary_key=True),
        Column("version", BigInteger, nullable=False),
        Column("deleted", Boolean, nullable=False, default=False),
        Column("data", JSONB, nullable=False),
        *typed,
        Column("synced_at", DateTime(timezone=True), nullable=False),
    )


sync_orders = _synced(
    "hub_order",
    Column("business_date", String(10), nullable=False, default=""),
    Column("state", String(16), nullable=False, default=""),
    Column("source", String(16), nullable=False, default=""),
    Column("total_fen", BigInteger, nullable=False, default=0),
    Column("delivery_fee_fen", BigInteger, nullable=False, default=0),
)
sync_attempts = _synced(
    "hub_attempt",
    Column("order_id", BigInteger),
    Column("carrier", String(16), nullable=False, default=""),
    Column("status", String(20), nullable=False, default=""),
    Column("quoted_fee_fen", BigInteger, nullable=False, default=0),
    Column("actual_fee_fen", BigInteger),
    Column("tip_fen", BigInteger, nullable=False, default=0),
    Column("cancel_fee_fen", BigInteger, nullable=False, default=0),
)
sync_source_orders = _synced(
    "hub_source_order",
    Column("order_id", BigInteger),
    Column("source", String(16), nullable=False, default=""),
    Column("source_order_id", String(40), nullable=False, default=""),
    Column("state", String(16), nullable=False, default=""),
)
sync_events = _synced(
    "hub_order_event",
    Column("order_id", BigInteger),
    Column("kind", String(32), nullable=False, default=""),
)
Index("ix_hub_order_day", sync_orders.c.store_id, sync_orders.c.business_date)
Index("ix_hub_attempt_order", sync_attempts.c.store_id, sync_attempts.c.order_id)
Index("ix_hub_order_event_order", sync_events.c.store_id, sync_events.c.order_id)

# the newest printer / order-source health each counter PC reported with its sync
store_health = Table(
    "hub_store_health",
    metadata,
    Column("store_id", String(32), ForeignKey("hub_store.id"), primary_key=True),
    Column("data", JSONB, nullable=False),
    Column("reported_at", DateTime(timezone=True), nullable=False),
)

# head-office settings: one row per change of a layer (brand, a group, a store); the
# newest row of a layer is in force. ``version`` (a sequence) orders every change of the
# brand; a store's effective version is the newest of its three layers (app/hub/hq.py)
hub_settings = Table(
    "hub_settings",
    metadata,
    Column("version", BigInteger, primary_key=True, autoincrement=True),
    Column("scope", String(8), nullable=False),  # brand | group | store
    Column("target", String(100), nullable=False),  # "" | the group | the store id
    Column("data", JSONB, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_hub_settings_layer", hub_settings.c.scope, hub_settings.c.target, hub_settings.c.version)

# every settings change, store added, enrolment, revocation and mapping (CLI `hub audit`)
hub_audit = Table(
    "hub_audit",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(40), nullable=False),
    Column("store_id", String(32)),
    Column("detail", JSONB, nullable=False),
)
Index("ix_hub_audit_at", hub_audit.c.at)

# when each store's counter last synced (health: lag per store)
store_sync = Table(
    "hub_store_sync",
    metadata,
    Column("store_id", String(32), ForeignKey("hub_store.id"), primary_key=True),
    Column("last_sync_at", DateTime(timezone=True), nullable=False),
)
