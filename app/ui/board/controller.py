"""Keeps ``BoardModel`` in step with the core: the lane counts and the newest page of
the model's query first, older pages when the view scrolls (``fetchMore``), then
refreshes on events, coalesced: the orders touched within the flush interval are read
together, in one awaited core call (``AppService.board_rows_for``), never one round
trip per order. Every core call is an awaited service method, so it works the same
whether the core shares this loop or runs on its own thread."""

from __future__ import annotations

import asyncio
import logging
import time

from PySide6.QtCore import QObject, QTimer, Signal

from app.core.board import Lane
from app.ui.board.model import BoardModel
from app.ui.bridge import EventBridge, spawn

log = logging.getLogger(__name__)

SLICE_S = 0.004  # GUI-thread time applying rows before yielding to the Qt loop
_LIVE_LANES = (Lane.NEW, Lane.AWAITING, Lane.DELIVERING, Lane.ATTENTION)
PAGE_SIZE = 200  # rows per page: several screens, and cheap to build (~10 ms)


class BoardController(QObject):
    row_updated = Signal(int)  # order id, after the model has the new row
    order_arrived = Signal(int)
    loaded = Signal(int)  # a query's first page is in the model (rows in it)

    def __init__(
        self, service, bridge: EventBridge | None, model: BoardModel, parent=None,
        page_size: int = PAGE_SIZE,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.service = service
        self.model = model
        self.page_size = page_size
        self._pending: set[int] = set()
        self._new: set[int] = set()
        self._flushing = False
        self._generation = 0  # bumped per query: late answers to an old query are dropped
        self._loading = False
        self._flush_timer = QTimer(self, singleShot=True, interval=120)
        self._flush_timer.timeout.connect(lambda: spawn(self.flush(), "board.flush"))
        self._tick = QTimer(self, interval=30_000)
        self._tick.timeout.connect(self._on_tick)
        self._tick.start()
        model.fetcher = self._fetch_more
        model.queryChanged.connect(lambda: spawn(self.load(), "board.query"))
        if bridge is not None:
            bridge.order_received.connect(lambda e: self.touch(e.order_id, new=True))
            for sig in (
                bridge.order_changed, bridge.attempt_status_changed, bridge.dispatch_decided
            ):  # fmt: skip
                sig.connect(lambda e: self.touch(e.order_id))

    def stop(self) -> None:
        """No more timed work (window closing, or a test's end)."""
        self._flush_timer.stop()
        self._tick.stop()

    def _query(self) -> dict:
        m = self.model
        return {"lanes": None if m.lane is None else [m.lane], "search": m.search}

    async def load(self) -> int:
        """Counts and the first page of the model's query; returns the rows loaded."""
        self._generation += 1
        gen, q = self._generation, self._query()
        self._loading = True
        try:
            counts, page = await asyncio.gather(
                self.service.lane_counts(search=q["search"]),
                self.service.board_page(**q, limit=self.page_size),
            )
        finally:
            self._loading = False
        if gen != self._generation:
            return 0
        self.model.set_page(page.rows, page.next_cursor, counts)
        if self._pending and not self._flush_timer.isActive():
            self._flush_timer.start()  # events that raced the read are applied again
        self.loaded.emit(len(page.rows))
        return len(page.rows)

    def _fetch_more(self) -> None:
        spawn(self.fetch_more(), "board.fetch_more")

    async def fetch_more(self) -> int:
        """The next older page of the current query (what ``fetchMore`` asks for)."""
        cursor, gen = self.model.cursor, self._generation
        if cursor is None:
            self.model.fetching = False
            return 0
        try:
            page = await self.service.board_page(
                **self._query(), before=cursor, limit=self.page_size
            )
        except BaseException:
            self.model.fetching = False
            raise
        if gen != self._generation or cursor is not self.model.cursor:
            return 0
        return self.model.append_page(page.rows, page.next_cursor)

    def touch(self, order_id: int, *, new: bool = False) -> None:
        self._pending.add(order_id)
        if new:
            self._new.add(order_id)
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    async def flush(self) -> None:
        """Read the pending orders' rows in one batch and upsert them into the model."""
        if self._flushing or self._loading:
            self._flush_timer.start()
            return
        self._flushing = True
        try:
            while self._pending:
                ids, new = self._pending, self._new
                self._pending, self._new = set(), set()
                rows = await self.service.board_rows_for(ids)
                end = time.perf_counter() + SLICE_S
                for oid in ids:
                    row = rows.get(oid)
                    if row is None:
                        continue
                    if self.model.upsert(row, fresh=oid in new) and oid in new:
                        self.order_arrived.emit(oid)
                    self.row_updated.emit(oid)
                    if time.perf_counter() > end:  # a big batch (the 30 s tick: every
                        await asyncio.sleep(0)  # live order) lets timers and paints in
                        end = time.perf_counter() + SLICE_S
            if self.model.counts_stale:
                await self.refresh_counts()
        finally:
            self._flushing = False

    async def refresh_counts(self) -> None:
        gen = self._generation
        counts = await self.service.lane_counts(search=self.model.search)
        if gen == self._generation:
            self.model.set_counts(counts)

    def _on_tick(self) -> None:
        """Lanes depend on time (no rider after N minutes, stale tracking): re-read the
        live orders and recount, and repaint the elapsed column."""
        self.model.tick()
        self.model.counts_stale = True
        for oid in self.model.order_ids(_LIVE_LANES)[:500]:
            self._pending.add(oid)
        if not self._flush_timer.isActive():
            self._flush_timer.start()
