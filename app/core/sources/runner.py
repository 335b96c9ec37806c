"""One order source at work: catch up on start, pull every ``pull_interval_s`` (push
mode too, to catch what pushes missed), confirm new orders when ``auto_confirm`` is on,
and keep a health record the board shows ("正在补单…", last push, last pull, errors).

Storage-agnostic (``store.SourceStore``); the caller decides what a new order means
(``on_new(order, ring)``: put it on the board, play "您有新的美团订单" when ``ring``).

Board first, then confirm: a new order is handed to ``on_new`` at once and 接单 runs
after it in the background (``spawn``), so a slow or failing platform never delays the
cashier. A failed confirm is tried again after ``confirm_backoff_s``; when every try
failed and a re-read still shows the order waiting, ``on_confirm_failed`` tells the
caller (alert: confirm by hand). ``start`` also confirms what an earlier run stored but
never confirmed (stopped or failed mid-way).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from app.core.clock import Clock
from app.core.domain.source_order import SourceOrder, SourceOrderState
from app.core.sources.base import (
    SourceAuthError,
    SourceConnector,
    SourceError,
    SourceRejectedError,
)
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
#: every auto-confirm try failed: (the order as stored, the last error, tries)
OnConfirmFailed = Callable[[SourceOrder, SourceError, int], Awaitable[None]]
Spawn = Callable[[Coroutine[Any, Any, None]], object]

#: waits before the 2nd and 3rd auto-confirm try (then the cashier confirms by hand)
CONFIRM_BACKOFF_S: tuple[float, ...] = (5.0, 20.0)


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


async def _ignore_failure(order: SourceOrder, error: SourceError, tries: int) -> None:
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
        on_confirm_failed: OnConfirmFailed = _ignore_failure,
        confirm_backoff_s: Sequence[float] = CONFIRM_BACKOFF_S,
        spawn: Spawn | None = None,
    ) -> None:
        self.connector, self.store, self.clock = connector, store, clock
        self.auto_confirm, self.ring_window, self.on_new = auto_confirm, ring_window, on_new
        self.on_confirm_failed = on_confirm_failed
        self.confirm_backoff_s = tuple(confirm_backoff_s)
        self.health = SourceHealth(connector.id)
        self._spawn_into = spawn
        self._own: set[asyncio.Task[None]] = set()  # confirms, when no ``spawn`` is given
        self._confirming: set[str] = set()  # source order ids with a confirm in flight

    async def start(self) -> CatchUpReport:
        self.health.state = HealthState.CATCHING_UP
        report = await catch_up(
            self.connector, self.store, self.clock.now(), ring_window=self.ring_window
        )
        ring = {o.source_order_id for o in report.ring}
        await self._new_orders(report.new, ring)
        if self.auto_confirm and not report.error:
            await self._confirm_left_over()
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
            await self.on_new(order, order.source_order_id in ring)  # the board first
            if self.auto_confirm and order.state is SourceOrderState.NEW:
                self._start_confirm(order.source_order_id)

    async def _confirm_left_over(self) -> None:
        """Stored orders still waiting for 接单 (an earlier run stopped or gave up before
        the platform heard it); the catch-up re-read them first, so a platform that
        cancelled meanwhile is not asked."""
        for oid in await self.store.open_ids(self.connector.id):
            if oid in self._confirming:
                continue
            order = await self.store.get(self.connector.id, oid)
            if order is not None and order.state is SourceOrderState.NEW:
                self._start_confirm(oid)

    def _start_confirm(self, source_order_id: str) -> None:
        if source_order_id in self._confirming:
            return
        self._confirming.add(source_order_id)
        coro = self._confirm(source_order_id)
        if self._spawn_into is not None:
            self._spawn_into(coro)
            return
        task = asyncio.get_running_loop().create_task(coro)
        self._own.add(task)
        task.add_done_callback(self._own_done)

    def _own_done(self, task: asyncio.Task[None]) -> None:
        self._own.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: auto-confirm failed", self.connector.id, exc_info=task.exception())

    async def settled(self) -> None:
        """Wait for the auto-confirms this runner started itself (tests; with ``spawn``
        the caller owns them)."""
        while self._own:
            await asyncio.gather(*self._own, return_exceptions=True)

    async def _confirm(self, source_order_id: str) -> None:
        try:
            await self._confirm_tries(source_order_id)
        finally:
            self._confirming.discard(source_order_id)

    async def _confirm_tries(self, oid: str) -> None:
        sid, tries = self.connector.id, 0
        error: SourceError | None = None
        for wait in (0.0, *self.confirm_backoff_s):
            if wait:
                await asyncio.sleep(wait)
            order = await self.store.get(sid, oid)
            if order is None or order.state is not SourceOrderState.NEW:
                return  # confirmed by hand, cancelled meanwhile: nothing to do
            tries += 1
            try:
                await self.connector.confirm(oid)
            except SourceRejectedError as e:  # said no: trying again changes nothing
                error = e
                break
            except SourceError as e:
                error = e
                log.info("%s: auto-confirm of %s failed (try %s): %s", sid, oid, tries, e)
                if isinstance(e, SourceAuthError):
                    await self._refresh_token()
                continue
            await self.store.upsert(replace(order, state=SourceOrderState.CONFIRMED))
            return
        assert error is not None
        await self._confirm_gave_up(oid, error, tries)

    async def _refresh_token(self) -> None:
        refresher = getattr(self.connector, "refresh_token", None)
        if refresher is None:
            return
        try:
            await refresher()
        except SourceError as e:
            log.info("%s: token refresh before a confirm failed: %s", self.connector.id, e)

    async def _confirm_gave_up(self, oid: str, error: SourceError, tries: int) -> None:
        """Re-read the order before alerting: a confirm that timed out may have landed,
        and a refused one may be for an order the platform already moved on."""
        sid = self.connector.id
        try:
            fresh = await self.connector.get_order(oid)
        except SourceError:
            fresh = None
        if fresh is not None:
            await self.store.upsert(fresh)
        order = await self.store.get(sid, oid)
        if order is None or order.state is not SourceOrderState.NEW:
            return
        log.warning("%s: auto-confirm of %s failed %s times: %s", sid, oid, tries, error)
        self.health.last_error = str(error)
        await self.on_confirm_failed(order, error, tries)
