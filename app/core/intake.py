"""Group commit for incoming orders: concurrent submissions are written in one
transaction (one fsync), and each caller is answered only after that commit.

One writer for the whole intake path: a POS order's replay nonce, the order, and its
"received" event go into the SAME batched transaction (``Database.insert_orders``), so an
acknowledged order costs a share of one commit instead of a nonce commit plus an order
commit queueing on SQLite's single write lock."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from app.core.batching import GroupCommit
from app.core.clock import Clock
from app.core.domain import Order
from app.core.events import EventBus, OrderReceived
from app.core.storage.repos import Database, InsertOutcome

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReplayNonce:
    """A signed POS request's nonce and the clock-skew window it is checked against (stored
    nonces are kept for twice that window)."""

    value: str
    window_s: int


@dataclass(frozen=True, slots=True)
class _Pending:
    order: Order
    payload_hash: str
    source: str
    nonce: ReplayNonce | None


class IntakeBatcher:
    def __init__(self, db: Database, bus: EventBus, clock: Clock, *, max_batch: int = 200):
        self.db, self.bus, self.clock = db, bus, clock
        self._group: GroupCommit[_Pending, InsertOutcome] = GroupCommit(
            self._commit, max_batch=max_batch, name="intake-batcher", committed=self._announce
        )

    def start(self) -> None:
        self._group.start()

    async def stop(self) -> None:
        """Finish what is queued, then stop."""
        await self._group.stop()

    async def submit(
        self, order: Order, payload_hash: str, source: str, nonce: ReplayNonce | None = None
    ) -> InsertOutcome:
        """Store the order durably; with ``nonce``, only if that nonce is new (else the
        outcome is "replay" and nothing is stored)."""
        return await self._group.submit(_Pending(order, payload_hash, source, nonce))

    def _commit(self, batch: list[_Pending]) -> list[InsertOutcome]:
        """Runs in a worker thread: the batch in one transaction."""
        nonces = [p.nonce.value if p.nonce else None for p in batch]
        window = max((p.nonce.window_s for p in batch if p.nonce), default=0)
        return self.db.insert_orders(
            [(p.order, p.payload_hash, p.source) for p in batch],
            self.clock.now(),
            nonces=nonces if any(nonces) else None,
            nonce_window_s=window,
        )

    def _announce(self, batch: list[_Pending], outcomes: Sequence[InsertOutcome]) -> None:
        for p, out in zip(batch, outcomes, strict=True):
            o = out.order
            if out.outcome == "created" and o.id is not None:
                mode = o.dispatch_mode.value
                self.bus.publish(
                    OrderReceived(o.id, o.pos_order_id, p.source, mode, o.pickup_no or "")
                )
