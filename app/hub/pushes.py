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

from sqlalchemy import Engine, func, select, update
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
        request: PushRequest,
        now: datetime,
    ) -> Stored:
        with self.engine.begin() as conn:
            push_id = conn.execute(
                pg_insert(pushes)
                .values(
                    source=source,
                    kind=kind,
                    dedupe_key=dedupe_key,
                    store_ref=store_ref,
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
            store_id = conn.execute(
                select(store_refs.c.store_id).where(
                    store_refs.c.source == source, store_refs.c.ref == store_ref
                )
            ).scalar()
            if store_id is None:
                conn.execute(
                    pg_insert(unmapped)
                    .values(
                        source=source, ref=store_ref, pushes=1, first_seen_at=now, last_seen_at=now
                    )
                    .on_conflict_do_update(
                        index_elements=[unmapped.c.source, unmapped.c.ref],
                        set_={"pushes": unmapped.c.pushes + 1, "last_seen_at": now},
                    )
                )
                return Stored(int(push_id), None, None)
            # the row lock orders this store's pushes: seq N commits before N+1 is handed out
            seq = conn.execute(
                update(stores)
                .where(stores.c.id == store_id)
                .values(push_seq=stores.c.push_seq + 1)
                .returning(stores.c.push_seq)
            ).scalar_one()
            conn.execute(
                update(pushes).where(pushes.c.id == push_id).values(store_id=store_id, seq=seq)
            )
            conn.execute(select(func.pg_notify(NOTIFY_CHANNEL, store_id)))
        return Stored(int(push_id), str(store_id), int(seq))

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
