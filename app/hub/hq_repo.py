"""Head office on the hub, the database side (blocking; callers go through
``asyncio.to_thread``): HQ users and their login tokens, and the cross-store reads —
stores, the live board, reports rows and reconciliation export rows.

Passwords are kept as a scrypt hash (``hashlib.scrypt``, random salt, parameters stored
beside it); login tokens are random and stored as their SHA-256 only, with an expiry.
A device token is not an HQ token and an HQ token is not a device token: they live in
different tables, so neither opens the other's endpoints.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    String,
    Table,
    delete,
    func,
    insert,
    select,
    text,
    update,
)

from app.core.privacy import mask_name
from app.core.storage.recon_repo import AttemptRecord
from app.hub.hq import audit
from app.hub.repo import digest
from app.hub.tables import devices, metadata, store_health, stores, sync_orders

hq_users = Table(
    "hub_hq_user",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("password_hash", String(300), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("disabled_at", DateTime(timezone=True)),
)
hq_tokens = Table(
    "hub_hq_token",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(32), ForeignKey("hub_hq_user.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)
Index("ix_hub_hq_token_user", hq_tokens.c.user_id)

# scrypt: 16 MiB of memory per hash (n * r * 128 bytes), ~50 ms on a small server
SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_LEN = 2**14, 8, 1, 32
TOKEN_PREFIX = "jpq_"  # HQ tokens; device tokens start jph_
PAGE_MAX = 500
EXPORT_PAGE = 2000


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=SCRYPT_LEN
    )
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(key).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, key = stored.split("$")
        if kind != "scrypt":
            return False
        want = base64.b64decode(key)
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(want),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


def new_password() -> str:
    return secrets.token_urlsafe(12)


class UserExists(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class HqUser:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Login:
    user: HqUser
    token: str
    expires_at: datetime


def _dt(v: Any) -> datetime | None:
    if not v:
        return None
    try:
        d = datetime.fromisoformat(str(v))
    except ValueError:
        return None
    return d if d.tzinfo is not None else d.replace(tzinfo=UTC)


def _int(v: Any, default: int = 0) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        return default


def _opt_int(v: Any) -> int | None:
    return None if v is None else _int(v)


def record_from(a: dict[str, Any], o: dict[str, Any], last_no: int, linked: str | None,
                order_id: int) -> AttemptRecord:  # fmt: skip
    """An attempt and its order, as the counter uploaded them, as the counter's own
    reconciliation record (no bill line: bills are imported on the counter PC)."""
    return AttemptRecord(
        attempt_id=_int(a.get("id")),
        order_id=order_id,
        business_date=str(o.get("business_date") or ""),
        pos_order_id=str(o.get("pos_order_id") or ""),
        channel=str(o.get("channel") or ""),
        customer_phone=str(o.get("customer_phone") or ""),  # masked before it left the PC
        order_delivery_fee_fen=_int(o.get("delivery_fee_fen")),
        attempt_no=_int(a.get("attempt_no"), 1),
        last_attempt_no=last_no,
        carrier=str(a.get("carrier") or ""),
        carrier_order_id=str(a.get("carrier_order_id") or ""),
        idempotency_key=str(a.get("idempotency_key") or ""),
        status=str(a.get("status") or "unknown"),
        cancelled_by=a.get("cancelled_by") or None,
        cancel_reason=str(a.get("cancel_reason") or ""),
        rider_name=str(a.get("rider_name") or ""),
        rider_phone=str(a.get("rider_phone") or ""),
        created_at=_dt(a.get("created_at")),
        dispatched_at=_dt(a.get("dispatched_at")),
        accepted_at=_dt(a.get("accepted_at")),
        picked_up_at=_dt(a.get("picked_up_at")),
        finished_at=_dt(a.get("finished_at")),
        distance_m=_opt_int(a.get("distance_m")),
        quoted_fee_fen=_int(a.get("quoted_fee_fen")),
        actual_fee_fen=_opt_int(a.get("actual_fee_fen")),
        tip_fen=_int(a.get("tip_fen")),
        insurance_fee_fen=_int(a.get("insurance_fee_fen")),
        cancel_fee_fen=_int(a.get("cancel_fee_fen")),
        refund_fen=_int(a.get("refund_fen")),
        bill_amount_fen=None,
        order_source=str(o.get("source") or "pos"),
        linked_source_order_id=linked,
    )


# attempts joined with their order, ordered by store, day, order, attempt; the last
# attempt number per order and the linked platform order id come from the index
_ATTEMPTS_SQL = """
SELECT a.store_id, a.row_id, a.order_id, o.business_date, a.data AS a, o.data AS o,
  (SELECT max((x.data->>'attempt_no')::int) FROM hub_attempt x
    WHERE x.store_id = a.store_id AND x.order_id = a.order_id AND NOT x.deleted) AS last_no,
  (SELECT s.source_order_id FROM hub_source_order s
    WHERE s.store_id = a.store_id AND s.order_id = a.order_id AND NOT s.deleted
    ORDER BY s.row_id LIMIT 1) AS linked,
  COALESCE((a.data->>'attempt_no')::int, 0) AS no
FROM hub_attempt a
JOIN hub_order o ON o.store_id = a.store_id AND o.row_id = a.order_id AND NOT o.deleted
WHERE NOT a.deleted AND o.business_date BETWEEN :a AND :b
  AND (CAST(:all_stores AS boolean) OR a.store_id = ANY(CAST(:stores AS varchar[])))
"""
_KEY = (
    "(a.store_id, o.business_date, a.order_id, COALESCE((a.data->>'attempt_no')::int, 0), a.row_id)"
)


@dataclass(frozen=True, slots=True)
class StoreAttempt:
    store_id: str
    record: AttemptRecord


class HqRepo:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ------------------------------------------------------------------ users
    def add_user(self, name: str, password: str, now: datetime, actor: str = "admin") -> str:
        user_id = uuid.uuid4().hex
        with self.engine.begin() as conn:
            if conn.execute(select(hq_users.c.id).where(hq_users.c.name == name)).first():
                raise UserExists(name)
            conn.execute(
                insert(hq_users).values(
                    id=user_id, name=name, password_hash=hash_password(password), created_at=now
                )
            )
            audit(conn, now, actor, "hq_user_added", None, {"name": name})
        return user_id

    def set_password(self, name: str, password: str, now: datetime, actor: str = "admin") -> bool:
        with self.engine.begin() as conn:
            n = conn.execute(
                update(hq_users)
                .where(hq_users.c.name == name)
                .values(password_hash=hash_password(password), disabled_at=None)
            ).rowcount
            conn.execute(
                delete(hq_tokens).where(
                    hq_tokens.c.user_id.in_(select(hq_users.c.id).where(hq_users.c.name == name))
                )
            )
            if n:
                audit(conn, now, actor, "hq_password_set", None, {"name": name})
        return bool(n)

    def disable_user(self, name: str, now: datetime, actor: str = "admin") -> bool:
        """No more logins, and every live token of the user stops working."""
        with self.engine.begin() as conn:
            row = conn.execute(
                update(hq_users)
                .where(hq_users.c.name == name)
                .values(disabled_at=now)
                .returning(hq_users.c.id)
            ).first()
            if row is None:
                return False
            conn.execute(delete(hq_tokens).where(hq_tokens.c.user_id == row.id))
            audit(conn, now, actor, "hq_user_disabled", None, {"name": name})
        return True

    def record(self, now: datetime, user: str, action: str, detail: dict[str, Any]) -> None:
        """An HQ user's action (login, export) in the hub's audit log."""
        with self.engine.begin() as conn:
            audit(conn, now, "hq:" + user, action, None, detail)

    def list_users(self) -> list[tuple[str, bool]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(hq_users.c.name, hq_users.c.disabled_at).order_by(hq_users.c.name)
            ).all()
        return [(r.name, r.disabled_at is None) for r in rows]

    def login(self, name: str, password: str, now: datetime, ttl: timedelta) -> Login | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(hq_users).where(hq_users.c.name == name, hq_users.c.disabled_at.is_(None))
            ).first()
        if row is None:
            check_password(password, _DUMMY)  # the same time whether the name exists or not
            return None
        if not check_password(password, row.password_hash):
            return None
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(delete(hq_tokens).where(hq_tokens.c.expires_at < now))  # tidy up
            conn.execute(
                insert(hq_tokens).values(
                    token_hash=digest(token), user_id=row.id, created_at=now, expires_at=now + ttl
                )
            )
        return Login(HqUser(row.id, row.name), token, now + ttl)

    def user_for_token(self, token: str, now: datetime) -> HqUser | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(hq_users.c.id, hq_users.c.name)
                .join(hq_tokens, hq_tokens.c.user_id == hq_users.c.id)
                .where(
                    hq_tokens.c.token_hash == digest(token),
                    hq_tokens.c.expires_at > now,
                    hq_users.c.disabled_at.is_(None),
                )
            ).first()
        return None if row is None else HqUser(row.id, row.name)

    def logout(self, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(hq_tokens).where(hq_tokens.c.token_hash == digest(token)))

    # ------------------------------------------------------------------ reads
    def stores(self) -> list[dict[str, Any]]:
        """Every store: group, live devices, last sync, orders today's rows and health."""
        with self.engine.connect() as conn:
            live = (
                select(devices.c.store_id, func.count().label("n"), func.max(devices.c.last_seen_at).label("seen"))
                .where(devices.c.revoked_at.is_(None))
                .group_by(devices.c.store_id)
                .subquery()
            )  # fmt: skip
            synced = (
                select(sync_orders.c.store_id, func.max(sync_orders.c.synced_at).label("at"),
                       func.count().label("orders"))
                .group_by(sync_orders.c.store_id)
                .subquery()
            )  # fmt: skip
            rows = conn.execute(
                select(stores.c.id, stores.c.name, stores.c.grp, live.c.n, synced.c.at,
                       synced.c.orders, store_health.c.data, store_health.c.reported_at)
                .outerjoin(live, live.c.store_id == stores.c.id)
                .outerjoin(synced, synced.c.store_id == stores.c.id)
                .outerjoin(store_health, store_health.c.store_id == stores.c.id)
                .order_by(stores.c.grp, stores.c.name, stores.c.id)
            ).all()  # fmt: skip
        return [
            {
                "id": r.id,
                "name": r.name,
                "group": r.grp,
                "devices": int(r.n or 0),
                "orders": int(r.orders or 0),
                "last_sync_at": r.at.isoformat() if r.at else None,
                "health": r.data,
                "health_at": r.reported_at.isoformat() if r.reported_at else None,
            }
            for r in rows
        ]

    def board(self, store_ids: Sequence[str], limit: int,
              before: tuple[str, str, int] | None) -> list[dict[str, Any]]:  # fmt: skip
        """The newest orders of the stores (all when empty), newest first, each with its
        latest attempt; ``before`` = the last row's ``(received_at, store_id, id)``."""
        sql = """
        SELECT o.store_id, s.name AS store_name, o.row_id, o.data AS o, la.data AS a
        FROM hub_order o
        JOIN hub_store s ON s.id = o.store_id
        LEFT JOIN LATERAL (
          SELECT x.data FROM hub_attempt x
          WHERE x.store_id = o.store_id AND x.order_id = o.row_id AND NOT x.deleted
          ORDER BY x.row_id DESC LIMIT 1) la ON true
        WHERE NOT o.deleted
          AND (CAST(:all_stores AS boolean) OR o.store_id = ANY(CAST(:stores AS varchar[])))
          AND (CAST(:first AS boolean)
               OR ((o.data->>'received_at'), o.store_id, o.row_id) < (:r, :s, :i))
        ORDER BY (o.data->>'received_at') DESC, o.store_id DESC, o.row_id DESC
        LIMIT :limit
        """
        r, s, i = before or ("", "", 0)
        params = {"all_stores": not store_ids, "stores": list(store_ids), "first": before is None,
                  "r": r, "s": s, "i": i, "limit": max(1, min(limit, PAGE_MAX))}  # fmt: skip
        with self.engine.connect() as conn:
            rows = conn.execute(text(sql), params).all()
        return [board_row(x.store_id, x.store_name, x.row_id, x.o, x.a) for x in rows]

    def attempts(self, store_ids: Sequence[str], date_from: str, date_to: str,
                 *, page: int = EXPORT_PAGE) -> Iterator[list[StoreAttempt]]:  # fmt: skip
        """Every attempt of the stores in the business-day range, a page at a time (keyset:
        memory stays flat however many rows), ordered by store, day, order, attempt."""
        base = {"a": date_from, "b": date_to, "all_stores": not store_ids,
                "stores": list(store_ids)}  # fmt: skip
        after: tuple[str, str, int, int, int] | None = None
        while True:
            sql = _ATTEMPTS_SQL
            params: dict[str, Any] = dict(base, limit=page)
            if after is not None:
                sql += f" AND {_KEY} > (:k0, :k1, :k2, :k3, :k4)"
                params.update(zip(("k0", "k1", "k2", "k3", "k4"), after, strict=True))
            sql += f" ORDER BY {_KEY} LIMIT :limit"
            with self.engine.connect() as conn:
                rows = conn.execute(text(sql), params).all()
            if not rows:
                return
            yield [
                StoreAttempt(
                    r.store_id,
                    record_from(r.a, r.o, int(r.last_no or 1), r.linked, int(r.order_id)),
                )
                for r in rows
            ]
            last = rows[-1]
            after = (last.store_id, last.business_date, int(last.order_id), int(last.no),
                     int(last.row_id))  # fmt: skip
            if len(rows) < page:
                return

    def count_attempts(self, store_ids: Sequence[str], date_from: str, date_to: str) -> int:
        sql = f"SELECT count(*) FROM ({_ATTEMPTS_SQL}) q"
        params = {"a": date_from, "b": date_to, "all_stores": not store_ids,
                  "stores": list(store_ids)}  # fmt: skip
        with self.engine.connect() as conn:
            return int(conn.execute(text(sql), params).scalar_one())

    def store_names(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            return {r.id: r.name for r in conn.execute(select(stores.c.id, stores.c.name))}


_DUMMY = hash_password(secrets.token_urlsafe(8))


def board_row(store_id: str, store_name: str, row_id: int, o: dict[str, Any],
              a: dict[str, Any] | None) -> dict[str, Any]:  # fmt: skip
    """One head-office board line: what the counter's board shows, read-only (phones
    were masked on the PC; the name is shortened here)."""
    name = str(o.get("customer_name") or "")
    att = a or {}
    fee = att.get("actual_fee_fen")
    return {
        "store_id": store_id,
        "store_name": store_name,
        "id": row_id,
        "received_at": o.get("received_at") or o.get("created_at"),
        "pickup_no": o.get("pickup_no") or "",
        "pos_order_id": o.get("pos_order_id") or "",
        "channel": o.get("channel") or "",
        "source": o.get("source") or "pos",
        "state": o.get("state") or "",
        "customer": mask_name(name),
        "customer_phone": o.get("customer_phone") or "",
        "address": o.get("address") or "",
        "distance_m": o.get("distance_m"),
        "total_fen": _int(o.get("total_fen")),
        "carrier": att.get("carrier") or "",
        "status": att.get("status") or "",
        "fee_fen": _int(fee if fee is not None else att.get("quoted_fee_fen")) if att else None,
        "tip_fen": _int(att.get("tip_fen")),
        "rider": att.get("rider_name") or "",
    }
