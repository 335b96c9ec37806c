"""Receiving one push, the same way whether it came to the local listener
(``POST /api/v1/sources/{source}/{kind}``) or through a hub relay: verify with the
connector, apply every event to the store (dedupe by the platform's key, upsert with the
rank rule), and only then give the platform its exact reply.

A refused push (bad signature) changes nothing and gets the platform's error reply.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from app.core.domain.source_order import SourceOrder, merge
from app.core.faultpoints import crash_point
from app.core.sources.base import (
    PushEvent,
    PushKind,
    PushRejected,
    PushRequest,
    SourceConnector,
    SourceNotFoundError,
)
from app.core.sources.store import SourceStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PushReply:
    status: int
    body: bytes
    content_type: str = "application/json"
    new_orders: tuple[SourceOrder, ...] = ()  # for the new-order sound and auto-confirm
    changed: tuple[str, ...] = ()  # source order ids whose state or flags changed
    duplicates: int = 0
    rejected: str = ""
    events: tuple[PushEvent, ...] = ()  # what the push said (the desk reads platform riders)


@dataclass
class _Tally:
    new: list[SourceOrder] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    duplicates: int = 0


async def receive_push(
    connector: SourceConnector, store: SourceStore, kind: str, request: PushRequest
) -> PushReply:
    try:
        result = connector.parse_push(kind, request)
    except PushRejected as e:
        log.info("%s: push refused: %s", connector.id, e)
        return PushReply(e.reply_status, e.reply_body, rejected=str(e))
    tally = _Tally()
    for event in result.events:
        if event.dedupe_key and await store.push_seen(connector.id, event.dedupe_key):
            tally.duplicates += 1
            continue
        await apply_event(connector, store, event, tally)
        if event.dedupe_key:
            await store.remember_push(connector.id, event.dedupe_key)
    crash_point("source_push_stored")  # reliability test: stored, not yet replied nor handed on
    return PushReply(
        result.reply_status,
        result.reply_body,
        result.reply_content_type,
        tuple(tally.new),
        tuple(tally.changed),
        tally.duplicates,
        events=result.events,
    )


async def apply_event(
    connector: SourceConnector, store: SourceStore, event: PushEvent, tally: _Tally | None = None
) -> None:
    """Store what one event says. A state change for an order we have not seen yet
    (out-of-order pushes) reads the order from the platform first; if that read fails
    the error propagates, nothing is remembered and the platform retries the push. An
    order the platform says it does not have (客如云 cancels a delivery request we never
    received) is passed over."""
    t = tally if tally is not None else _Tally()
    if event.kind is PushKind.ORDER and event.order is not None:
        if await store.upsert(event.order):
            t.new.append(event.order)
        else:
            t.changed.append(event.source_order_id)
        return
    if event.kind not in (PushKind.STATE, PushKind.DELIVERY) or not event.source_order_id:
        return
    current = await store.get(connector.id, event.source_order_id)
    if current is None:
        try:
            current = await connector.get_order(event.source_order_id)
        except SourceNotFoundError:  # the platform knows no such order: nothing to change
            log.info("%s: push for unknown order %s ignored", connector.id, event.source_order_id)
            return
        if await store.upsert(current):
            t.new.append(current)
    await store.upsert(merge(current, _patched(current, event)))
    t.changed.append(event.source_order_id)


def _patched(order: SourceOrder, event: PushEvent) -> SourceOrder:
    return replace(
        order,
        state=event.state or order.state,
        cancel_requested=order.cancel_requested
        if event.cancel_requested is None
        else event.cancel_requested,
        refund_state=event.refund_state or order.refund_state,
        fulfilment=event.fulfilment or order.fulfilment,
    )
