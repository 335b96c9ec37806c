"""Source orders (美团外卖, 饿了么) in SQLite: the ``SourceStore`` of ``app.core.sources``.

One row per ``(source, source_order_id)``; every push and pull is an upsert merged with
``source_order.merge`` inside one transaction, so a repeated or late push never moves an
order back. Push keys live in ``source_pushes`` for dedupe. Rows never leave this module:
callers get ``SourceOrder`` values.

What the platform's own rider is doing (platform delivery: its last status and since
when, for the stall check) is kept in the row's ``doc`` under ``platform_rider``, beside
the order and carried over by every upsert, so it outlives a restart without a column.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from app.core.board import platform_request
from app.core.domain.order import DispatchMode, OrderState
from app.core.domain.source_order import (
    FulfilmentMode,
    Phone,
    PhoneKind,
    RefundState,
    SourceItem,
    SourceMoney,
    SourceOrder,
    SourceOrderState,
    SourceRecipient,
    merge,
)
from app.core.domain.status import DeliveryStatus
from app.core.storage import tables as t

_OPEN = (SourceOrderState.NEW.value, SourceOrderState.CONFIRMED.value)

#: called on the loop after an upsert changed a known order: (before, after)
OnChange = Callable[[SourceOrder, SourceOrder], None]
#: the platform rider's last status (None: none reported yet) and since when
PlatformRider = tuple[DeliveryStatus | None, datetime]
_RIDER = "platform_rider"  # the doc key; not a SourceOrder field


def _rider(doc: dict[str, Any]) -> PlatformRider | None:
    kept = doc.get(_RIDER)
    since = _when(kept.get("since")) if isinstance(kept, dict) else None
    if not isinstance(kept, dict) or since is None:
        return None
    status = kept.get("status")
    return (DeliveryStatus(status) if status else None), since


def changed(old: SourceOrder, new: SourceOrder) -> bool:
    """What the desk reacts to: the platform state, a cancel or refund flag, who delivers."""
    return (old.state, old.cancel_requested, old.refund_state, old.fulfilment) != (
        new.state,
        new.cancel_requested,
        new.refund_state,
        new.fulfilment,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _when(text: Any) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) and text else None


def order_to_doc(order: SourceOrder) -> dict[str, Any]:
    doc = dataclasses.asdict(dataclasses.replace(order, raw_payload={}))
    doc.pop("raw_payload")
    return dict(_plain(doc))


def order_from_doc(doc: dict[str, Any], raw: dict[str, Any]) -> SourceOrder:
    r = doc["recipient"]
    phones = tuple(
        Phone(p["number"], PhoneKind(p["kind"]), _when(p.get("expires_at"))) for p in r["phones"]
    )
    created = _when(doc["created_at"])
    assert created is not None
    return SourceOrder(
        source=doc["source"],
        source_order_id=doc["source_order_id"],
        source_store_ref=doc["source_store_ref"],
        display_no=doc["display_no"],
        state=SourceOrderState(doc["state"]),
        source_status_raw=doc["source_status_raw"],
        fulfilment=FulfilmentMode(doc["fulfilment"]),
        recipient=SourceRecipient(
            r["name"], phones, r["address"], r["address_geocoded"], r["lat"], r["lng"]
        ),
        money=SourceMoney(**doc["money"]),
        created_at=created,
        items=tuple(SourceItem(**i) for i in doc["items"]),
        cancel_requested=doc["cancel_requested"],
        refund_state=RefundState(doc["refund_state"]),
        paid_at=_when(doc.get("paid_at")),
        expected_delivery_at=_when(doc.get("expected_delivery_at")),
        is_reservation=doc["is_reservation"],
        note=doc["note"],
        data_degraded=doc["data_degraded"],
        updated_at=_when(doc.get("updated_at")),
        raw_payload=raw,
    )


class SqliteSourceStore:
    """``app.core.sources.store.SourceStore`` on the app database (calls off the loop)."""

    def __init__(self, engine: Engine, clock_now: Any, on_change: OnChange | None = None) -> None:
        self.engine = engine
        self._now = clock_now  # a callable giving aware UTC "now"
        self.on_change = on_change  # the desk: publish updates, cancel live deliveries

    # ------------------------------------------------------------------ sync parts
    def _row(self, c: Connection, source: str, oid: str) -> Any:
        so = t.source_orders
        q = select(so).where(so.c.source == source, so.c.source_order_id == oid)
        return c.execute(q).first()

    def upsert_tracked_sync(self, order: SourceOrder) -> tuple[SourceOrder | None, SourceOrder]:
        """(the stored copy before, None when new; the merged copy now stored). A push and
        a pull of the same new order may race to insert it: the loser merges instead."""
        try:
            return self._upsert_once(order)
        except IntegrityError:
            return self._upsert_once(order)

    def _upsert_once(self, order: SourceOrder) -> tuple[SourceOrder | None, SourceOrder]:
        with self.engine.begin() as c:
            row = self._row(c, order.source, order.source_order_id)
            old = order_from_doc(row.doc, row.raw_payload) if row else None
            merged = merge(old, order) if old is not None else order
            doc = order_to_doc(merged)
            if row is not None and _RIDER in row.doc:
                doc[_RIDER] = row.doc[_RIDER]  # the order changed, not the rider
            values = {
                "source_store_ref": merged.source_store_ref,
                "display_no": merged.display_no,
                "state": merged.state.value,
                "fulfilment": merged.fulfilment.value,
                "updated_at": self._now(),
                "doc": doc,
                "raw_payload": merged.raw_payload,
            }
            if row is None:
                c.execute(
                    insert(t.source_orders).values(
                        source=order.source,
                        source_order_id=order.source_order_id,
                        created_at=self._now(),
                        **values,
                    )
                )
                return None, merged
            c.execute(
                update(t.source_orders).where(t.source_orders.c.id == row.id).values(**values)
            )
            return old, merged

    def get_sync(self, source: str, oid: str) -> SourceOrder | None:
        with self.engine.connect() as c:
            row = self._row(c, source, oid)
        return order_from_doc(row.doc, row.raw_payload) if row else None

    def ids_sync(self, source: str, open_only: bool) -> list[str]:
        so = t.source_orders
        q = select(so.c.source_order_id).where(so.c.source == source).order_by(so.c.id)
        if open_only:
            q = q.where(so.c.state.in_(_OPEN))
        with self.engine.connect() as c:
            return [r[0] for r in c.execute(q)]

    def link_order_sync(self, source: str, oid: str, order_id: int) -> None:
        so = t.source_orders
        with self.engine.begin() as c:
            c.execute(
                update(so)
                .where(so.c.source == source, so.c.source_order_id == oid)
                .values(order_id=order_id)
            )

    def order_id_sync(self, source: str, oid: str) -> int | None:
        """The board order this source order became, if it is on the board yet."""
        so = t.source_orders
        q = select(so.c.order_id).where(so.c.source == source, so.c.source_order_id == oid)
        with self.engine.connect() as c:
            value = c.execute(q).scalar()
        return int(value) if value is not None else None

    def for_order_sync(self, order_id: int) -> SourceOrder | None:
        so = t.source_orders
        with self.engine.connect() as c:
            row = c.execute(select(so).where(so.c.order_id == order_id)).first()
        return order_from_doc(row.doc, row.raw_payload) if row else None

    def unlinked_sync(self, source: str) -> list[SourceOrder]:
        """Stored but not on the board (the app stopped between the reply and the board)."""
        so = t.source_orders
        q = select(so).where(so.c.source == source, so.c.order_id.is_(None)).order_by(so.c.id)
        with self.engine.connect() as c:
            return [order_from_doc(r.doc, r.raw_payload) for r in c.execute(q)]

    def open_linked_sync(
        self, source: str, fulfilment: FulfilmentMode
    ) -> list[tuple[int, SourceOrder, PlatformRider | None]]:
        """Open source orders on the board with that fulfilment, with their platform
        rider record (None when nothing was recorded)."""
        so = t.source_orders
        q = select(so).where(
            so.c.source == source,
            so.c.state.in_(_OPEN),
            so.c.fulfilment == fulfilment.value,
            so.c.order_id.is_not(None),
        )
        with self.engine.connect() as c:
            return [
                (int(r.order_id), order_from_doc(r.doc, r.raw_payload), _rider(r.doc))
                for r in c.execute(q)
            ]

    def platform_rider_sync(self, source: str, oid: str) -> PlatformRider | None:
        with self.engine.connect() as c:
            row = self._row(c, source, oid)
        return _rider(row.doc) if row is not None else None

    def set_platform_rider_sync(
        self, source: str, oid: str, status: DeliveryStatus | None, since: datetime
    ) -> bool:
        """Record the platform rider's status and since when; False when no such row."""
        with self.engine.begin() as c:
            row = self._row(c, source, oid)
            if row is None:
                return False
            kept = {"status": status.value if status else None, "since": since.isoformat()}
            c.execute(
                update(t.source_orders)
                .where(t.source_orders.c.id == row.id)
                .values(doc={**row.doc, _RIDER: kept})
            )
            return True

    def set_fulfilment_sync(
        self, order_id: int, fulfilment: FulfilmentMode, mode: DispatchMode, *, converted: bool
    ) -> bool:
        """Who delivers the board order now. To self-delivery (转自配送 when ``converted``,
        or the platform said so) it becomes dispatchable and waits for a carrier again
        (state new); to platform delivery or pickup it is never dispatched. False (and
        nothing changed) when the board order is finished or gone."""
        o = t.orders
        final = (OrderState.DELIVERED, OrderState.SELF_DELIVERED, OrderState.CANCELLED)
        with self.engine.begin() as c:
            row = c.execute(select(o.c.extra, o.c.state).where(o.c.id == order_id)).first()
            if row is None or row.state in {s.value for s in final}:
                return False
            extra = {
                **(row.extra or {}),
                "dispatch": fulfilment.dispatches,
                "fulfilment": fulfilment.value,
            }
            if converted:
                extra["converted_from_platform"] = True
            values: dict[str, Any] = {
                "extra": extra,
                "dispatch_mode": mode.value if fulfilment.dispatches else DispatchMode.MANUAL.value,
                "updated_at": self._now(),
            }
            if fulfilment.dispatches and row.state == OrderState.ATTENTION.value:
                values.update(state=OrderState.NEW.value, attention="")
            c.execute(update(o).where(o.c.id == order_id).values(**values))
            return True

    def remember_push_sync(self, source: str, key: str) -> None:
        try:
            with self.engine.begin() as c:
                c.execute(
                    insert(t.source_pushes).values(
                        source=source, dedupe_key=key, seen_at=self._now()
                    )
                )
        except IntegrityError:
            pass  # seen already: remembering twice is the same fact

    def push_seen_sync(self, source: str, key: str) -> bool:
        sp = t.source_pushes
        q = select(sp.c.source).where(sp.c.source == source, sp.c.dedupe_key == key)
        with self.engine.connect() as c:
            return c.execute(q).first() is not None

    # ------------------------------------------------------------------ SourceStore
    async def upsert(self, order: SourceOrder) -> bool:
        old, new = await asyncio.to_thread(self.upsert_tracked_sync, order)
        if old is not None and self.on_change is not None and changed(old, new):
            self.on_change(old, new)
        return old is None

    async def get(self, source: str, source_order_id: str) -> SourceOrder | None:
        return await asyncio.to_thread(self.get_sync, source, source_order_id)

    async def known_ids(self, source: str) -> set[str]:
        return set(await asyncio.to_thread(self.ids_sync, source, False))

    async def open_ids(self, source: str) -> list[str]:
        return await asyncio.to_thread(self.ids_sync, source, True)

    async def push_seen(self, source: str, dedupe_key: str) -> bool:
        return await asyncio.to_thread(self.push_seen_sync, source, dedupe_key)

    async def remember_push(self, source: str, dedupe_key: str) -> None:
        await asyncio.to_thread(self.remember_push_sync, source, dedupe_key)

    async def link_order(self, source: str, source_order_id: str, order_id: int) -> None:
        await asyncio.to_thread(self.link_order_sync, source, source_order_id, order_id)

    async def order_id(self, source: str, source_order_id: str) -> int | None:
        return await asyncio.to_thread(self.order_id_sync, source, source_order_id)

    async def for_order(self, order_id: int) -> SourceOrder | None:
        return await asyncio.to_thread(self.for_order_sync, order_id)

    async def unlinked(self, source: str) -> list[SourceOrder]:
        return await asyncio.to_thread(self.unlinked_sync, source)

    async def open_linked(
        self, source: str, fulfilment: FulfilmentMode
    ) -> list[tuple[int, SourceOrder, PlatformRider | None]]:
        return await asyncio.to_thread(self.open_linked_sync, source, fulfilment)

    async def platform_rider(self, source: str, source_order_id: str) -> PlatformRider | None:
        return await asyncio.to_thread(self.platform_rider_sync, source, source_order_id)

    async def set_platform_rider(
        self, source: str, source_order_id: str, status: DeliveryStatus | None, since: datetime
    ) -> bool:
        return await asyncio.to_thread(
            self.set_platform_rider_sync, source, source_order_id, status, since
        )

    async def set_fulfilment(
        self, order_id: int, fulfilment: FulfilmentMode, mode: DispatchMode, *, converted: bool
    ) -> bool:
        return await asyncio.to_thread(
            self.set_fulfilment_sync, order_id, fulfilment, mode, converted=converted
        )


def requests_for_orders(engine: Engine, order_ids: Iterable[int]) -> dict[int, str]:
    """The pending customer request (``board.platform_request``) of each board order that
    came from a platform and has one; chunked under SQLite's bound-parameter limit."""
    ids = list(dict.fromkeys(order_ids))
    so, out = t.source_orders, {}
    with engine.connect() as c:
        for i in range(0, len(ids), 900):
            q = select(so.c.order_id, so.c.state, so.c.doc).where(
                so.c.order_id.in_(ids[i : i + 900]), so.c.state.in_(_OPEN)
            )
            for r in c.execute(q):
                doc = r.doc or {}
                request = platform_request(
                    str(r.state),
                    bool(doc.get("cancel_requested")),
                    str(doc.get("refund_state", "")),
                )
                if request:
                    out[int(r.order_id)] = request
    return out
