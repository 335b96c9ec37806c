"""The status sync-back worker (issue 15 item 6; shared/sources/README.md §3): every change
of the live delivery attempt of a self-delivery platform order, and the rider's position,
is reported to the platform in its own API until the platform says success.

Intake: bus handlers (synchronous, on the core loop) only queue the event; one intake
task turns events into ``SyncBack`` values in arrival order and writes them to the
``source_syncback`` table, so a change is durable before anything is sent. A position
burst is coalesced and kept in one row per attempt, sent at most once per
``position_interval``, always the newest point.

Sending: one flush task sends due rows with the pure rules of ``outbox`` (per order only
the oldest pending change, so 美团 sees 15 before 20 and 饿了么 start before complete;
exponential backoff; a non-retryable refusal parks the row for a human; an auth refusal
refreshes the token where the connector can and is retried, never parked). Every try is
published as ``SyncBackChanged`` and written to the order's timeline. Pending rows are
resumed when a new worker starts on the same database.

A parked row raises an alert for the cashier (``AlertKind.SYNC_BACK``: "美团 #12 状态同步
被平台拒绝：…，请在美团外卖商家后台核对"); ``resend`` un-parks an order's parked rows
(tries reset, due now) once the cause is fixed, and ``backlog`` counts what each
platform has not heard yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from app.core.clock import Clock
from app.core.domain import DeliveryAttempt
from app.core.domain.source_order import FulfilmentMode, SourceOrder, SourceOrderState
from app.core.domain.status import DeliveryStatus
from app.core.events import (
    AlertKind,
    AlertRaised,
    AttemptStatusChanged,
    EventBus,
    RiderMoved,
    Severity,
    SyncBackChanged,
)
from app.core.privacy import mask_phones_in
from app.core.sources import outbox
from app.core.sources.base import SourceAuthError, SourceConnector, SyncBack
from app.core.sources.registry import SOURCE_IDS, rules
from app.core.storage.syncback_repo import Backlog, SyncBackRepo, SyncBackRow

log = logging.getLogger(__name__)

OrderFor = Callable[[int], Awaitable[SourceOrder | None]]
LogEvent = Callable[[int, str, str, str, dict[str, Any] | None], Awaitable[None]]

# the attempt changes a platform hears about (PENDING_ACCEPT is optional at 美团 and
# carries no rider, RETURNING/RETURNED have no platform state)
SYNCED = frozenset(
    {
        DeliveryStatus.ACCEPTED,
        DeliveryStatus.AT_PICKUP,
        DeliveryStatus.PICKED_UP,
        DeliveryStatus.AT_DROPOFF,
        DeliveryStatus.DELIVERED,
        DeliveryStatus.CANCELLED,
    }
)
# a rider on the way: positions are reported only then
RIDING = frozenset(
    {
        DeliveryStatus.ACCEPTED,
        DeliveryStatus.AT_PICKUP,
        DeliveryStatus.PICKED_UP,
        DeliveryStatus.AT_DROPOFF,
    }
)
_SYNCED_VALUES = frozenset(s.value for s in SYNCED)
ACTOR = "engine"  # shown as 系统 / System in the timeline
# what the refused call told the platform, in the cashier's words
_WHAT_ZH = {
    DeliveryStatus.ACCEPTED.value: "骑手已接单",
    DeliveryStatus.AT_PICKUP.value: "骑手到店",
    DeliveryStatus.PICKED_UP.value: "骑手已取货",
    DeliveryStatus.AT_DROPOFF.value: "骑手到达",
    DeliveryStatus.DELIVERED.value: "已送达",
    DeliveryStatus.CANCELLED.value: "配送已取消",
    "position": "骑手位置",
}


def _platform_words(error: str, source: str) -> str:
    """The platform's own refusal, without the ``[meituan]`` prefix of ``SourceError``."""
    prefix = f"[{source}] "
    return error[len(prefix) :] if error.startswith(prefix) else error


def parked_message(label: str, source: str, kind: str, error: str) -> str:
    """'美团 #12 状态同步（骑手已取货）被平台拒绝：…，请在美团外卖商家后台核对'."""
    platform = rules(source).name_zh if source in SOURCE_IDS else source
    what = _WHAT_ZH.get(kind, kind)
    return (
        f"{label} 状态同步（{what}）被平台拒绝：{_platform_words(error, source)}，"
        f"请在{platform}商家后台核对配送状态，处理后可重新同步"
    )


@dataclass(frozen=True, slots=True)
class _Position:
    order_id: int
    attempt_id: int


class _Target:
    """Routes one row to the connector: a status change to ``sync_back``, a position to
    ``sync_position`` where the platform has a location call (饿了么) or else to
    ``sync_back`` with the attempt's current state and the new point (美团: the position
    rides on every logistics/sync call; ASSUMED: the platform takes a repeat of the same
    logistics_status with a new point, README §3 "platforms tolerate repeats" [~]). An auth refusal refreshes the token once where
    the connector can (饿了么 OAuth) and tries again."""

    def __init__(self, connector: SourceConnector, position: bool) -> None:
        self.connector, self.position = connector, position

    async def _call(self, change: SyncBack) -> None:
        locate = getattr(self.connector, "sync_position", None) if self.position else None
        if locate is not None:
            await locate(change)
        else:
            await self.connector.sync_back(change)

    async def sync_back(self, change: SyncBack) -> None:
        try:
            await self._call(change)
        except SourceAuthError:
            refresher = getattr(self.connector, "refresh_token", None)
            if refresher is None:
                raise
            await refresher()
            await self._call(change)


class SyncBackWorker:
    def __init__(
        self,
        repo: SyncBackRepo,
        bus: EventBus,
        clock: Clock,
        connectors: Mapping[str, SourceConnector],
        order_for: OrderFor,
        log_event: LogEvent,
        *,
        shop_point: Callable[[], tuple[float, float] | None] = lambda: None,
        position_interval: timedelta = timedelta(seconds=30),
        unordered: frozenset[str] = frozenset(),
        poll_s: float = 30.0,
        catch_up_window: timedelta = timedelta(days=1),
    ) -> None:
        self.repo, self.bus, self.clock = repo, bus, clock
        self.connectors, self.order_for, self.log_event = connectors, order_for, log_event
        self.shop_point = shop_point  # GCJ-02, sent when the carrier gave no rider point
        self.position_interval = position_interval
        self.unordered = unordered  # sources where a newer state may supersede (none known)
        self.poll_s = poll_s
        self.catch_up_window = catch_up_window  # how far back a start looks for missed states
        self._queue: asyncio.Queue[AttemptStatusChanged | _Position] = asyncio.Queue()
        self._latest: dict[int, RiderMoved] = {}  # attempt id -> newest point not yet stored
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubs: list[Callable[[], None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._flushing = asyncio.Lock()  # one flush at a time: a row is never sent twice at once

    # ------------------------------------------------------------------ life
    async def start(self, *, sending: bool = True) -> None:
        """Subscribe, then resume: rows left pending by a previous run are sent first.
        ``sending=False`` stores changes only; the caller drives ``flush_once`` (tests on a
        fake clock)."""
        self._loop = asyncio.get_running_loop()
        week_ago = self.clock.now() - timedelta(days=7)
        await asyncio.to_thread(self.repo.prune, week_ago)
        self._unsubs = [
            self.bus.subscribe(AttemptStatusChanged, self._on_status),
            self.bus.subscribe(RiderMoved, self._on_moved),
        ]
        await self._catch_up()
        self._tasks = [asyncio.create_task(self._intake_loop(), name="syncback-intake")]
        if sending:
            self._tasks.append(asyncio.create_task(self._flush_loop(), name="syncback-flush"))

    async def _catch_up(self) -> None:
        """Queue attempt states the last run committed but never stored as rows (a stop
        between the two), ahead of anything published since we subscribed: the intake
        task is not running yet, so the queue can be reordered."""
        since = self.clock.now() - self.catch_up_window
        missed = await asyncio.to_thread(self.repo.missed, _SYNCED_VALUES, since)
        early: list[AttemptStatusChanged | _Position] = []
        while not self._queue.empty():
            early.append(self._queue.get_nowait())
            self._queue.task_done()
        for m in missed:
            self._queue.put_nowait(
                AttemptStatusChanged(m.order_id, m.attempt_id, m.carrier, m.status)
            )
        for item in early:
            self._queue.put_nowait(item)
        if missed:
            log.info("sync-back: %d attempt change(s) missed by the last run queued", len(missed))

    async def stop(self) -> None:
        for u in self._unsubs:
            u()
        self._unsubs = []
        self._loop = None  # a late event from another thread is dropped, not handed on
        with contextlib.suppress(TimeoutError):
            # what was seen is stored before stopping; sending waits for the next start
            await asyncio.wait_for(self._queue.join(), timeout=5.0)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def idle(self) -> None:
        """Wait until every queued event is stored (tests, orderly shutdown)."""
        await self._queue.join()

    # ------------------------------------------------------------------ bus handlers
    def _put(self, item: AttemptStatusChanged | _Position) -> None:
        loop = self._loop
        if loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._queue.put_nowait(item)
        else:  # published from another thread: hand it to the core loop
            try:
                loop.call_soon_threadsafe(self._queue.put_nowait, item)
            except RuntimeError:  # the loop closed meanwhile: the next start catches up
                log.info("sync-back: a change arrived after the core loop closed")

    def _on_status(self, event: AttemptStatusChanged) -> None:
        if event.status in _SYNCED_VALUES:
            self._put(event)

    def _on_moved(self, event: RiderMoved) -> None:
        first = event.attempt_id not in self._latest
        self._latest[event.attempt_id] = event  # a burst keeps only the newest point
        if first:
            self._put(_Position(event.order_id, event.attempt_id))

    # ------------------------------------------------------------------ intake
    async def _intake_loop(self) -> None:
        while True:
            item = await self._queue.get()
            try:
                if isinstance(item, AttemptStatusChanged):
                    await self._store_status(item)
                else:
                    await self._store_position(item)
            except Exception:
                log.exception("sync-back: storing a change failed")
            finally:
                self._queue.task_done()

    async def _source_of(self, order_id: int) -> tuple[SourceOrder, SourceConnector] | None:
        """The platform order behind a board order, when JuPei delivers it and the
        platform still wants to hear (a platform cancel stops the sync-back, §3 rule 5)."""
        so = await self.order_for(order_id)
        if so is None or so.fulfilment is not FulfilmentMode.SELF_DELIVERY:
            return None
        if so.state is SourceOrderState.CANCELLED:
            return None
        connector = self.connectors.get(so.source)
        if connector is None or not connector.rules.syncs_back:  # 有赞: no write-back API
            return None
        return (so, connector)

    def _change(
        self, so: SourceOrder, attempt: DeliveryAttempt, status: DeliveryStatus
    ) -> SyncBack:
        r = attempt.rider
        point = (r.lat, r.lng) if r.lat is not None and r.lng is not None else self.shop_point()
        return SyncBack(
            source_order_id=so.source_order_id,
            attempt_id=str(attempt.id),
            status=status,
            carrier=attempt.carrier,
            carrier_order_id=attempt.carrier_order_id,
            rider_name=r.name,
            rider_phone=r.phone,
            lat=point[0] if point else None,
            lng=point[1] if point else None,
            at=self.clock.now(),
        )

    async def _store_status(self, event: AttemptStatusChanged) -> None:
        found = await self._source_of(event.order_id)
        if found is None:
            return
        so, _connector = found
        attempt = await asyncio.to_thread(self.repo.attempt, event.attempt_id)
        if attempt is None:
            return
        change = self._change(so, attempt, DeliveryStatus(event.status))
        ordered = so.source not in self.unordered
        now = self.clock.now()
        added = await asyncio.to_thread(
            self.repo.enqueue, so.source, change, event.order_id, now, ordered=ordered
        )
        if added:
            self._wake.set()

    async def _store_position(self, item: _Position) -> None:
        moved = self._latest.pop(item.attempt_id, None)
        if moved is None:
            return
        found = await self._source_of(item.order_id)
        if found is None:
            return
        so, _connector = found
        attempt = await asyncio.to_thread(self.repo.attempt, item.attempt_id)
        if attempt is None or attempt.status not in RIDING:
            return
        change = replace(self._change(so, attempt, attempt.status), lat=moved.lat, lng=moved.lng)
        await asyncio.to_thread(
            self.repo.arm_position,
            so.source,
            change,
            item.order_id,
            self.clock.now(),
            self.position_interval,
        )
        self._wake.set()

    # ------------------------------------------------------------------ sending
    async def _flush_loop(self) -> None:
        while True:
            try:
                await self.flush_once()
            except Exception:
                log.exception("sync-back: a flush failed")
            await self._sleep_until_due()

    async def flush_once(self) -> int:
        """Send every row due now, once; returns how many were tried."""
        async with self._flushing:
            return await self._flush_due()

    async def _flush_due(self) -> int:
        rows = await asyncio.to_thread(self.repo.pending)
        now = self.clock.now()
        tried = 0
        for source in dict.fromkeys(r.source for r in rows):
            mine = [r for r in rows if r.source == source]
            by_item = {id(r.item): r for r in mine}
            for item in outbox.due([r.item for r in mine], now):
                await self._send(by_item[id(item)])
                tried += 1
        return tried

    async def _send(self, row: SyncBackRow) -> None:
        connector = self.connectors.get(row.source)
        if connector is None:
            return  # the source is off: the row waits for it
        if await self._cancelled_on_platform(row):
            done = replace(row.item, done=True, last_error="not sent: cancelled on the platform")
            await asyncio.to_thread(self.repo.save, row, done, self.clock.now())
            return
        try:
            item = await outbox.send(
                _Target(connector, row.is_position), row.item, self.clock.now()
            )
        except Exception as e:  # a bug or an unexpected answer: retried, never lost
            log.exception("sync-back to %s failed unexpectedly", row.source)
            tries = row.item.tries + 1
            item = replace(
                row.item,
                tries=tries,
                next_at=self.clock.now() + outbox.backoff(tries),
                last_error=f"{type(e).__name__}: {e}",
            )
        await asyncio.to_thread(self.repo.save, row, item, self.clock.now())
        await self._report(row, item)

    async def _cancelled_on_platform(self, row: SyncBackRow) -> bool:
        """A platform cancel stops the sync-back (§3 rule 5); an order that cannot be
        read now keeps its rows."""
        if row.order_id is None:
            return False
        so = await self.order_for(row.order_id)
        return so is not None and so.state is SourceOrderState.CANCELLED

    async def _report(self, row: SyncBackRow, item: outbox.OutboxItem) -> None:
        outcome = "sent" if item.done else "parked" if item.parked else "retrying"
        error = mask_phones_in(item.parked or item.last_error)
        self.bus.publish(SyncBackChanged(row.order_id, row.source, row.kind, outcome, error))
        if outcome != "sent":
            log.info("sync-back %s %s to %s: %s", row.kind, outcome, row.source, error)
        if row.order_id is None or (row.is_position and outcome == "sent"):
            return  # a rider's sent positions would flood the timeline; failures show
        detail: dict[str, Any] = {
            "source": row.source,
            "status": row.kind,
            "outcome": outcome,
            "error": error,
            "tries": item.tries,
        }
        message = f"{row.source} sync-back {row.kind}: {outcome}" + (f" ({error})" if error else "")
        if outcome == "parked":
            message = await self._alert_parked(row.order_id, row, error)
        await self.log_event(row.order_id, "sync_back", ACTOR, message, detail)

    async def _alert_parked(self, order_id: int, row: SyncBackRow, error: str) -> str:
        """The platform refused for good: the cashier must look (the platform may penalise
        an order it believes undelivered). Returns the message, for the timeline too."""
        so = await self.order_for(order_id)
        label = so.display_label() if so is not None else rules(row.source).name_zh
        message = parked_message(label, row.source, row.kind, error)
        self.bus.publish(
            AlertRaised(order_id, AlertKind.SYNC_BACK, message, Severity.WARNING, order_label=label)
        )
        return message

    # ------------------------------------------------------------------ a human decided
    async def resend(self, order_id: int, *, actor: str = "cashier") -> int:
        """Un-park the order's refused rows (tries reset, due now) once the cause is fixed
        on the platform; how many will be sent again. A refused state the platform has
        since been told a later state of is closed instead: an ordered platform must
        never hear it after the later one (美团 no 10 after 40)."""
        resent, closed = await asyncio.to_thread(self.repo.unpark, order_id, self.clock.now())
        if resent or closed:
            parts = [f"重新发送 {resent} 条平台状态同步"] if resent else []
            if closed:
                parts.append(f"{closed} 条已被后续状态取代，不再发送")
            await self.log_event(order_id, "sync_back_resend", actor, "；".join(parts), None)
        if resent:
            self._wake.set()
        return resent

    async def order_backlog(self, order_id: int) -> Backlog:
        """The order's status changes not acknowledged yet: (pending, parked)."""
        return await asyncio.to_thread(self.repo.order_backlog, order_id)

    async def backlog(self) -> dict[str, Backlog]:
        """Per source: status changes not yet acknowledged (pending) and refused for good
        (parked); sources that are on and have none are listed with zeros."""
        counts = await asyncio.to_thread(self.repo.backlog)
        return {**dict.fromkeys(self.connectors, Backlog(0, 0)), **counts}

    async def _sleep_until_due(self) -> None:
        nxt = await asyncio.to_thread(self.repo.next_due_at)
        delay = self.poll_s
        if nxt is not None:
            delay = min(delay, max(0.0, (nxt - self.clock.now()).total_seconds()))
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=max(delay, 0.01))
