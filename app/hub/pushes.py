"""The relayed pushes: store one verified platform push (once per dedupe key), and read
a store's inbox after a cursor. Blocking; callers use ``asyncio.to_thread``.

A push whose store reference is mapped gets the store's next cursor under the store row's
lock, so cursors become visible in order and a long-poll never skips one. An unknown
reference is kept (``store_id`` NULL) and counted in ``hub_unmapped`` until mapped.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.core.sources.base import PushRequest
from app.hub.repo import NOTIFY_CHANNEL
from app.hub.tables import pushes, store_refs, stores, unmapped


@dataclass(frozen=True, slots=True)
class Stored:
    push_id: int | None  # None: a duplicate of a push already stored
    store_id: str | None  # None: needs mapping
    seq: int | None


@dataclass(frozen=True, slots=True)
class InboxItem:
    cursor: int
    source: str
    kind: str
    received_at: datetime
    request: PushRequest

    def to_json(self) -> dict[str, Any]:
        r = self.request
        return {
            "cursor": self.cursor,
            "source": self.source,
            "kind": self.kind,
            "received_at": self.received_at.isoformat(),
            "request": {
                "method": r.method,
                "path": r.path,
                "query": dict(r.query),
                "headers": dict(r.headers),
                "body_b64": base64.b64encode(r.body).decode("ascii"),
            },
        }


def _count_unmapped(conn: Connection, source: str, ref: str, n: int, now: datetime) -> None:
    """Keep the needs-mapping queue's count per (source, ref); a row at zero goes."""
    conn.execute(
        pg_insert(unmapped)
        .values(source=source, ref=ref, pushes=max(n, 0), first_seen_at=now, last_seen_at=now)
        .on_conflict_do_update(
            index_elements=[unmapped.c.source, unmapped.c.ref],
            set_={"pushes": unmapped.c.pushes + n, "last_seen_at": now},
        )
    )
    conn.execute(unmapped.delete().where(unmapped.c.pushes <= 0))


def request_from_json(doc: Mapping[str, Any]) -> PushRequest:
    return PushRequest(
        str(doc["method"]),
        str(doc["path"]),
        {str(k): str(v) for k, v in dict(doc.get("query") or {}).items()},
        {str(k): str(v) for k, v in dict(doc.get("headers") or {}).items()},
        base64.b64decode(str(doc.get("body_b64") or "")),
    )


class PushStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def store(
        self,
        source: str,
        kind: str,
        dedupe_key: str,
        store_ref: str,
        source_order_id: str,
        request: PushRequest,
        now: datetime,
    ) -> Stored:
        """Store one verified push once. A push naming no store (ASSUMED: a 美团 cancel or
        refund push may lack ``app_poi_code``) takes the store of an earlier push of the
        same order; failing that it waits under ref "" until that order's push arrives."""
        with self.engine.begin() as conn:
            push_id = conn.execute(
                pg_insert(pushes)
                .values(
                    source=source,
                    kind=kind,
                    dedupe_key=dedupe_key,
                    store_ref=store_ref,
                    source_order_id=source_order_id,
                    method=request.method,
                    path=request.path,
                    query=dict(request.query),
                    headers=dict(request.headers),
                    body=request.body,
                    received_at=now,
                )
                .on_conflict_do_nothing(constraint="uq_hub_push_dedupe")
                .returning(pushes.c.id)
            ).scalar()
            if push_id is None:
                return Stored(None, None, None)
            ref = store_ref or self._ref_of_order(conn, source, source_order_id)
            if ref != store_ref:
                conn.execute(update(pushes).where(pushes.c.id == push_id).values(store_ref=ref))
            store_id = conn.execute(
                select(store_refs.c.store_id).where(
                    store_refs.c.source == source, store_refs.c.ref == ref
                )
            ).scalar()
            if store_id is None:
                _count_unmapped(conn, source, ref, 1, now)
                return Stored(int(push_id), None, None)
            ids = [int(push_id)]
            if store_ref and source_order_id:  # earlier pushes of this order that named no store
                orphans = list(
                    conn.execute(
                        select(pushes.c.id)
                        .where(
                            pushes.c.store_id.is_(None),
                            pushes.c.source == source,
                            pushes.c.store_ref == "",
                            pushes.c.source_order_id == source_order_id,
                        )
                        .order_by(pushes.c.id)
                    ).scalars()
                )
                if orphans:
                    ids += orphans
                    _count_unmapped(conn, source, "", -len(orphans), now)
            # the row lock orders this store's pushes: seq N commits before N+1 is handed out
            last = conn.execute(
                update(stores)
                .where(stores.c.id == store_id)
                .values(push_seq=stores.c.push_seq + len(ids))
                .returning(stores.c.push_seq)
            ).scalar_one()
            first = int(last) - len(ids) + 1
            for offset, pid in enumerate(ids):
                conn.execute(
                    update(pushes)
                    .where(pushes.c.id == pid)
                    .values(store_id=store_id, seq=first + offset, store_ref=ref)
                )
            conn.execute(select(func.pg_notify(NOTIFY_CHANNEL, store_id)))
        return Stored(int(push_id), str(store_id), first)

    @staticmethod
    def _ref_of_order(conn: Connection, source: str, source_order_id: str) -> str:
        if not source_order_id:
            return ""
        ref = conn.execute(
            select(pushes.c.store_ref)
            .where(
                pushes.c.source == source,
                pushes.c.source_order_id == source_order_id,
                pushes.c.store_ref != "",
            )
            .limit(1)
        ).scalar()
        return str(ref or "")

    def inbox(self, store_id: str, after: int, limit: int) -> list[InboxItem]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(pushes)
                .where(pushes.c.store_id == store_id, pushes.c.seq > after)
                .order_by(pushes.c.seq)
                .limit(limit)
            ).all()
        return [
            InboxItem(
                int(r.seq),
                r.source,
                r.kind,
                r.received_at,
                PushRequest(r.method, r.path, dict(r.query), dict(r.headers), bytes(r.body)),
            )
            for r in rows
        ]

    def head(self, store_id: str) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(select(stores.c.push_seq).where(stores.c.id == store_id)).scalar() or 0
            )
