"""What the source desk's parts share (``desk.py`` wires them): the service, the source
store, the connectors that are on, the desk's task set and one lock per source order.

The parts: ``desk_board`` (a new source order onto the board), ``desk_changes`` (what a
platform change does to the board order: cancel/refund → carrier cancel flow, who
delivers, completed, the platform's own rider), ``desk_stall`` (platform delivery with
no rider → 转自配送) and ``desk_actions`` (接单/拒单 by hand, a failed auto-confirm).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.core.clock import Clock
from app.core.config import Settings
from app.core.domain.order import DispatchMode, OrderState
from app.core.domain.source_order import SourceOrder
from app.core.events import EventBus
from app.core.money import fmt_yuan
from app.core.sources.base import SourceConnector
from app.core.storage.source_repo import SqliteSourceStore

if TYPE_CHECKING:
    from app.core.service import AppService

log = logging.getLogger(__name__)

FINAL = (OrderState.DELIVERED, OrderState.SELF_DELIVERED, OrderState.CANCELLED)

Spawn = Callable[[Coroutine[Any, Any, Any]], "asyncio.Task[Any]"]


def yuan(fen: int | None) -> str:
    """A fee in the timeline's Chinese text: ``¥12.35`` (no float on the way), 未知 if unknown."""
    return "未知" if fen is None else fmt_yuan(fen)


@dataclass(eq=False)
class DeskParts:
    service: AppService
    store: SqliteSourceStore
    connectors: dict[str, SourceConnector]  # the desk's own dict: sources switched on/off
    spawn: Spawn  # the desk's task set: drained and cancelled by ``SourceDesk.stop``
    stalled: set[int] = field(default_factory=set)  # board orders marked stalled (this run)
    _locks: dict[tuple[str, str], asyncio.Lock] = field(default_factory=dict)

    @property
    def clock(self) -> Clock:
        return self.service.clock

    @property
    def bus(self) -> EventBus:
        return self.service.bus

    @property
    def settings(self) -> Settings:
        return self.service.settings  # saving settings replaces the object: read it each time

    def lock(self, key: tuple[str, str]) -> asyncio.Lock:
        """One per source order: a new order, its changes and our own writes in turn."""
        return self._locks.setdefault(key, asyncio.Lock())

    async def order_for(self, order_id: int) -> SourceOrder | None:
        return await self.store.for_order(order_id)

    async def source_of(self, order_id: int) -> tuple[SourceOrder, SourceConnector]:
        so = await self.order_for(order_id)
        if so is None:
            raise KeyError(f"order {order_id} did not come from an order source")
        connector = self.connectors.get(so.source)
        if connector is None:
            raise KeyError(f"source {so.source} is off")
        return so, connector

    def after_dispatchable(self, order_id: int, mode: DispatchMode) -> None:
        """Quoted, and dispatched in auto mode, like any self-delivery order."""
        if mode is DispatchMode.AUTO:
            self.spawn(self.service.dispatcher.on_order_received(order_id))
        else:
            self.spawn(self._quote(order_id))

    async def _quote(self, order_id: int) -> None:
        try:
            await self.service.dispatcher.collect_quotes(order_id)
        except Exception as e:  # quotes are a convenience here; the cashier can re-quote
            log.info("quotes after 转自配送 for order %s: %s", order_id, e)
