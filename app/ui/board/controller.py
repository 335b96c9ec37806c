"""Keeps ``BoardModel`` in step with the core: one initial window load, then per-order
refreshes on events, coalesced (a burst of events for one order costs one read)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal

from app.core.board import Lane
from app.ui.board.model import BoardModel
from app.ui.bridge import EventBridge, spawn

log = logging.getLogger(__name__)

_LIVE_LANES = (Lane.NEW, Lane.AWAITING, Lane.DELIVERING, Lane.ATTENTION)


class BoardController(QObject):
    row_updated = Signal(int)  # order id, after the model has the new row
    order_arrived = Signal(int)

    def __init__(self, service, bridge: EventBridge, model: BoardModel, parent=None) -> None:
        super().__init__(parent)
        self.service = service
        self.model = model
        self._pending: set[int] = set()
        self._new: set[int] = set()
        self._flushing = False
        self._flush_timer = QTimer(self, singleShot=True, interval=120)
        self._flush_timer.timeout.connect(lambda: spawn(self.flush(), "board.flush"))
        self._tick = QTimer(self, interval=30_000)
        self._tick.timeout.connect(self._on_tick)
        self._tick.start()
        bridge.order_received.connect(lambda e: self.touch(e.order_id, new=True))
        for sig in (bridge.order_changed, bridge.attempt_status_changed, bridge.dispatch_decided):
            sig.connect(lambda e: self.touch(e.order_id))

    async def load(self, search: str = "") -> int:
        rows = await self.service.board(search=search)
        self.model.set_rows(rows)
        return len(rows)

    def touch(self, order_id: int, *, new: bool = False) -> None:
        self._pending.add(order_id)
        if new:
            self._new.add(order_id)
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    async def flush(self) -> None:
        """Read the pending orders' rows and upsert them into the model."""
        if self._flushing:
            self._flush_timer.start()
            return
        self._flushing = True
        try:
            while self._pending:
                oid = self._pending.pop()
                new = oid in self._new
                self._new.discard(oid)
                row = await self.service.board_row_for(oid)
                if row is None:
                    continue
                if self.model.upsert(row, fresh=new) and new:
                    self.order_arrived.emit(oid)
                self.row_updated.emit(oid)
        finally:
            self._flushing = False

    def _on_tick(self) -> None:
        """Lanes depend on time (no rider after N minutes, stale tracking): re-read the
        live orders, and repaint the elapsed column."""
        self.model.tick()
        for oid in self.model.order_ids(_LIVE_LANES)[:500]:
            self._pending.add(oid)
        if self._pending and not self._flush_timer.isActive():
            self._flush_timer.start()
