"""Storage for the POS API: the durable webhook outbox and batched replay-nonce memory.

Synchronous like ``repos.Database``; callers go through ``asyncio.to_thread``. The
nonce batch is the POS listener's group commit: many requests' nonces are remembered in
ONE transaction (one fsync) instead of one durable commit per request."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Row, and_, delete, func, insert, select, update

from app.core.storage import tables as t
from app.core.storage.db import inserted_id


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    kind: str
    payload: dict[str, Any]
    created_at: datetime
    next_try_at: datetime
    tries: int
    done_at: datetime | None = None
    last_error: str = ""


def _message(r: Row[Any]) -> OutboxMessage:
    return OutboxMessage(
        r.id,
        r.kind,
        dict(r.payload or {}),
        r.created_at,
        r.next_try_at,
        r.tries,
        r.done_at,
        r.last_error,
    )


def claim_nonces(c: Connection, nonces: list[str], now: datetime, window_s: int) -> list[bool]:
    """Record ``nonces`` in the caller's transaction: True for each fresh one, False for one
    already stored (or repeated earlier in ``nonces``): a replay.

    The prune comes first on purpose: it is a write, so the transaction holds SQLite's write
    lock before the lookup, and no other writer can store one of these nonces between our
    look and our insert (one ``IN`` lookup and one ``executemany`` instead of a savepoint
    per nonce)."""
    c.execute(
        delete(t.pos_nonces).where(t.pos_nonces.c.seen_at < now - timedelta(seconds=2 * window_s))
    )
    known: set[str] = set()
    unique = list(dict.fromkeys(nonces))
    for i in range(0, len(unique), 900):  # below SQLite's bound-parameter limit
        part = unique[i : i + 900]
        known.update(
            c.execute(select(t.pos_nonces.c.nonce).where(t.pos_nonces.c.nonce.in_(part))).scalars()
        )
    out, fresh = [], []
    for nonce in nonces:
        out.append(nonce not in known)
        if nonce not in known:
            known.add(nonce)
            fresh.append({"nonce": nonce, "seen_at": now})
    if fresh:
        c.execute(insert(t.pos_nonces), fresh)
    return out


class OutboxRepo:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ------------------------------------------------------------------ nonces
    def remember_nonces(self, nonces: Iterable[str], now: datetime, window_s: int) -> list[bool]:
        """Remember many POS nonces in one transaction (the group commit of ``pos/auth.py``):
        True for each fresh nonce, False for one seen within the window (a replay)."""
        with self.engine.begin() as c:
            return claim_nonces(c, list(nonces), now, window_s)

    # ------------------------------------------------------------------ outbox
    def enqueue(self, kind: str, payloads: Iterable[dict[str, Any]], now: datetime) -> list[int]:
        ids: list[int] = []
        with self.engine.begin() as c:
            for p in payloads:
                r = c.execute(
                    insert(t.outbox).values(
                        kind=kind,
                        payload=p,
                        created_at=now,
                        next_try_at=now,
                        tries=0,
                        last_error="",
                    )
                )
                ids.append(inserted_id(r))
        return ids

    def due(self, now: datetime, limit: int = 50) -> list[OutboxMessage]:
        q = (
            select(t.outbox)
            .where(and_(t.outbox.c.done_at.is_(None), t.outbox.c.next_try_at <= now))
            .order_by(t.outbox.c.id)
            .limit(limit)
        )
        with self.engine.connect() as c:
            return [_message(r) for r in c.execute(q)]

    def next_due_at(self) -> datetime | None:
        q = select(func.min(t.outbox.c.next_try_at)).where(t.outbox.c.done_at.is_(None))
        with self.engine.connect() as c:
            v = c.execute(q).scalar()
        if v is None:
            return None
        return t.UTCDateTime().process_result_value(v, self.engine.dialect)

    def mark_done(self, msg_id: int, now: datetime) -> None:
        with self.engine.begin() as c:
            c.execute(
                update(t.outbox)
                .where(t.outbox.c.id == msg_id)
                .values(done_at=now, tries=t.outbox.c.tries + 1, last_error="")
            )

    def mark_failed(self, msg_id: int, error: str, next_try_at: datetime) -> None:
        with self.engine.begin() as c:
            c.execute(
                update(t.outbox)
                .where(t.outbox.c.id == msg_id)
                .values(tries=t.outbox.c.tries + 1, next_try_at=next_try_at, last_error=error[:300])
            )

    def get(self, msg_id: int) -> OutboxMessage | None:
        with self.engine.connect() as c:
            r = c.execute(select(t.outbox).where(t.outbox.c.id == msg_id)).first()
        return _message(r) if r else None

    def all(self, kind: str | None = None) -> list[OutboxMessage]:
        q = select(t.outbox).order_by(t.outbox.c.id)
        if kind:
            q = q.where(t.outbox.c.kind == kind)
        with self.engine.connect() as c:
            return [_message(r) for r in c.execute(q)]

    def prune(self, before: datetime) -> int:
        """Forget delivered messages older than ``before``."""
        with self.engine.begin() as c:
            r = c.execute(
                delete(t.outbox).where(
                    and_(t.outbox.c.done_at.is_not(None), t.outbox.c.done_at < before)
                )
            )
        return r.rowcount or 0
