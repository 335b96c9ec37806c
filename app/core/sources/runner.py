"""One order source at work: catch up on start, pull every ``pull_interval_s`` (push
mode too, to catch what pushes missed), confirm new orders when ``auto_confirm`` is on,
and keep a health record the board shows ("正在补单…", last push, last pull, errors).

Storage-agnostic (``store.SourceStore``); the caller decides what a new order means
(``on_new(order, ring)``: put it on the board, play "您有新的美团订单" when ``ring``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from app.core.clock import Clock
from app.core.domain.source_order import SourceOrder, SourceOrderState
from app.core.sources.base import SourceConnector, SourceError
from app.core.sources.catchup import (
    RING_WINDOW,
    CatchUpReport,
    catch_up,
    pull_refreshing,
    should_ring,
)
from app.core.sources.inbox import PushReply
from app.core.sources.store import SourceStore

log = logging.getLogger(__name__)

OnNew = Callable[[SourceOrder, bool], Awaitable[None]]


class HealthState(StrEnum):
    STARTING = "starting"
    CATCHING_UP = "catching_up"
    HEALTHY = "healthy"
    ERROR = "error"


_LABEL_ZH = {
    HealthState.STARTING: "启动中",
    HealthState.CATCHING_UP: "正在补单…",
    HealthState.HEALTHY: "正常",
    HealthState.ERROR: "异常",
}
_LABEL_EN = {
    HealthState.STARTING: "Starting",
    HealthState.CATCHING_UP: "Catching up…",
    HealthState.HEALTHY: "OK",
    HealthState.ERROR: "Error",
}


@dataclass
class SourceHealth:
    source: str
    state: HealthState = HealthState.STARTING
    last_push_at: datetime | None = None
    last_pull_at: datetime | None = None
    last_error: str = ""

    def label(self, lang: str = "zh") -> str:
        text = (_LABEL_ZH if lang == "zh" else _LABEL_EN)[self.state]
        return f"{text}: {self.last_error}" if self.state is HealthState.ERROR else text


async def _ignore(order: SourceOrder, ring: bool) -> None:
    return None


class SourceRunner:
    def __init__(
        self,
        connector: SourceConnector,
        store: SourceStore,
        clock: Clock,
        *,
        auto_confirm: bool = True,
        ring_window: timedelta = RING_WINDOW,
        on_new: OnNew = _ignore,
    ) -> None:
        self.connector, self.store, self.clock = connector, store, clock
        self.auto_confirm, self.ring_window, self.on_new = auto_confirm, ring_window, on_new
        self.health = SourceHealth(connector.id)

    async def start(self) -> CatchUpReport:
        self.health.state = HealthState.CATCHING_UP
        report = await catch_up(
            self.connector, self.store, self.clock.now(), ring_window=self.ring_window
        )
        ring = {o.source_order_id for o in report.ring}
        await self._new_orders(report.new, ring)
        self._settle(report.error)
        return report

    async def pull_once(self) -> list[SourceOrder]:
        """One periodic pull; new orders ring only when young (a dropped push). A token
        that expired since the catch-up is refreshed (and saved) here."""
        try:
            pulled = await pull_refreshing(self.connector, self.store)
            new = [o for o in pulled if await self.store.upsert(o)]
        except SourceError as e:
            self._settle(str(e))
            return []
        now = self.clock.now()
        await self._new_orders(
            new, {o.source_order_id for o in new if should_ring(o, now, self.ring_window)}
        )
        self._settle("")
        return new

    async def pushed(self, reply: PushReply) -> None:
        """After ``inbox.receive_push``: pushed orders are live, so they always ring."""
        self.health.last_push_at = self.clock.now()
        await self._new_orders(reply.new_orders, {o.source_order_id for o in reply.new_orders})

    async def adopt(self, orders: Sequence[SourceOrder]) -> None:
        """Stored orders nobody announced yet (the app stopped between storing a push and
        putting it on the board): confirm and announce them now; young ones ring."""
        now = self.clock.now()
        ring = {o.source_order_id for o in orders if should_ring(o, now, self.ring_window)}
        await self._new_orders(orders, ring)

    async def run(self, interval_s: float, *, ticks: int | None = None) -> None:
        """Catch up, then pull every ``interval_s`` (``ticks`` bounds it for tests)."""
        await self.start()
        n = 0
        while ticks is None or n < ticks:
            await asyncio.sleep(interval_s)
            await self.pull_once()
            n += 1

    def _settle(self, error: str) -> None:
        if error:
            self.health.state, self.health.last_error = HealthState.ERROR, error
            return
        self.health.state, self.health.last_error = HealthState.HEALTHY, ""
        self.health.last_pull_at = self.clock.now()

    async def _new_orders(self, orders: Sequence[SourceOrder], ring: set[str]) -> None:
        for order in orders:
            if self.auto_confirm and order.state is SourceOrderState.NEW:
                order = await self._confirm(order)
            await self.on_new(order, order.source_order_id in ring)

    async def _confirm(self, order: SourceOrder) -> SourceOrder:
        try:
            await self.connector.confirm(order.source_order_id)
        except SourceError as e:  # shown on the board; staff can confirm by hand
            log.info(
                "%s: auto-confirm of %s failed: %s", self.connector.id, order.source_order_id, e
            )
            self.health.last_error = str(e)
            return order
        confirmed = replace(order, state=SourceOrderState.CONFIRMED)
        await self.store.upsert(confirmed)
        return confirmed
