"""The source desk: every order source (美团外卖, 饿了么) at work inside the core.

Built by the composition root. For each source whose ``[sources.<id>] mode`` is not
"off" (or that rehearsal points at a simulator) it builds the connector and a
``SourceRunner`` on the SQLite ``SqliteSourceStore``, and it is where a source order
meets the rest of JuPei:

* a new source order becomes a board order through the intake (``to_order``; pickup
  number "美团 #12"), is linked to it and announced (``SourceOrderArrived``);
  self-delivery follows the shop's dispatch mode, platform delivery and pickup never
  dispatch (``extra["dispatch"]`` False, which the dispatch engine refuses);
* a change of a known order (push, pull, refresh, our own confirm) is announced
  (``SourceOrderUpdated``); a platform cancel or an agreed refund cancels the live
  delivery through the carrier cancel flow (fee preview, timeline, alert), never silently;
* a platform delivery with no platform rider after ``platform_stall_min`` raises
  "平台配送超时未接单，可转自配送" and ``convert_to_self_delivery`` hands it to the carriers;
* ``handle_push`` is the one push path: the local listener's route and (later) a hub
  relay both call it (issue 15, item 9).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from app.core.clock import Clock
from app.core.config import Settings
from app.core.domain.attention import Attention, AttentionReason
from app.core.domain.order import DispatchMode, OrderState
from app.core.domain.source_order import (
    FulfilmentMode,
    RefundState,
    SourceOrder,
    SourceOrderState,
    to_order,
)
from app.core.domain.status import DeliveryStatus
from app.core.events import (
    AlertCleared,
    AlertKind,
    AlertRaised,
    EventBus,
    OrderChanged,
    SettingsChanged,
    Severity,
    SourceHealthChanged,
    SourceOrderArrived,
    SourceOrderUpdated,
)
from app.core.pos.schema import payload_hash
from app.core.secrets import SecretStore
from app.core.sources import setup
from app.core.sources.base import (
    PushKind,
    PushRequest,
    SourceConnector,
    SourceContext,
    SourceError,
    SourceRejectedError,
)
from app.core.sources.http import SourceHttp
from app.core.sources.inbox import PushReply, receive_push
from app.core.sources.registry import SOURCE_IDS, build_connector, rules
from app.core.sources.routes import SourcePushes
from app.core.sources.runner import (
    CONFIRM_BACKOFF_S,
    HealthState,
    SourceHealth,
    SourceRunner,
)
from app.core.sources.stall import platform_stalled
from app.core.storage.source_repo import SqliteSourceStore

if TYPE_CHECKING:
    from app.core.service import AppService

log = logging.getLogger(__name__)

_FINAL = (OrderState.DELIVERED, OrderState.SELF_DELIVERED, OrderState.CANCELLED)
STALL_MESSAGE = "平台配送超时未接单，可转自配送"
# ASSUMED: a reservation (预订单) is ready this long before the customer's delivery time,
# so auto-dispatch calls the rider for it then (minus the carrier's lead), not at once
RESERVATION_READY_BEFORE = timedelta(minutes=30)


def _yuan(fen: int | None) -> str:
    return "未知" if fen is None else f"¥{fen / 100:.2f}"


@dataclass(frozen=True)
class _Plan:
    """What one source runs with; a settings save that changes it rebuilds the source."""

    mode: str
    ctx: SourceContext
    auto_confirm: bool


class SourceDesk:
    def __init__(
        self,
        service: AppService,
        secrets: SecretStore,
        *,
        http: SourceHttp | None = None,
        simulator_base_urls: Mapping[str, str] | None = None,
        stall_every_s: float = 60.0,
        confirm_backoff_s: tuple[float, ...] = CONFIRM_BACKOFF_S,
    ) -> None:
        self.service = service
        self.clock: Clock = service.clock
        self.bus: EventBus = service.bus
        self._secrets = secrets
        self._http = http
        self._sims = dict(simulator_base_urls or {})
        self.stall_every_s = stall_every_s
        self.confirm_backoff_s = confirm_backoff_s
        self.store = SqliteSourceStore(service.db.engine, self.clock.now, self._on_change)
        self.connectors: dict[str, SourceConnector] = {}
        self.runners: dict[str, SourceRunner] = {}
        self.modes: dict[str, str] = {}
        self._plans: dict[str, _Plan] = {}
        self._push_connectors: dict[str, SourceConnector] = {}
        # always on the listener: a source switched on in the settings receives pushes
        # without a restart; a source that is off answers 404
        self.pushes: SourcePushes | None = SourcePushes(
            self._push_connectors, self.store, self.runners, receive=self.handle_push
        )
        self._tasks: set[asyncio.Task[Any]] = set()
        self._source_loops: dict[str, asyncio.Task[Any]] = {}
        self._stall_task: asyncio.Task[Any] | None = None
        self._reload_lock = asyncio.Lock()
        self._unsubscribe: Callable[[], None] | None = None
        # run after a reload that changed a source (the composition root starts the
        # sync-back worker when the first source is switched on)
        self.after_reload: list[Callable[[], Awaitable[None]]] = []
        self._started = False
        self._stopping = False  # ``stop`` began: a reload still running rebuilds nothing
        self._loop: asyncio.AbstractEventLoop | None = None  # the core's, from ``start``
        self._reload_owed = False  # a reload is owed at the next start
        self._reload_queued = False
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._health_seen: dict[str, tuple[str, str]] = {}
        self._stalled: set[int] = set()
        self._confirm_alerted: set[int] = set()  # board orders told "请手动接单"
        for sid in SOURCE_IDS:
            plan = self._plan(sid)
            if plan is not None:
                self._add(sid, plan)

    @property
    def http(self) -> SourceHttp:
        """One client for every source, made only when a source is on."""
        if self._http is None:
            self._http = SourceHttp()
        return self._http

    @property
    def settings(self) -> Settings:
        return self.service.settings  # saving settings replaces the object: read it each time

    # ------------------------------------------------------------------ sources on/off
    def _plan(self, sid: str) -> _Plan | None:
        """None when the source is off; reads secrets (keyring): off the loop after start."""
        settings = self.settings
        ss = settings.sources.get(sid)
        # rehearsal runs a source that is off against its simulator; one set up for real
        # (after a settings save, too) talks to the platform
        sim = self._sims.get(sid, "") if ss.mode == "off" else ""
        # a simulator pushes, unless the platform has no push (哗啦啦: pulled)
        mode = ("push" if "push" in rules(sid).modes else "pull") if sim else ss.mode
        if mode == "off":
            return None
        ctx = setup.context_for(
            sid,
            settings,
            self._secrets,
            self.http,
            self.clock,
            simulator_base_url=sim,
            save_secret=self._secrets.set,  # refreshed tokens outlive a restart
        )
        return _Plan(mode, ctx, ss.auto_confirm)

    def _add(self, sid: str, plan: _Plan) -> None:
        conn = build_connector(plan.ctx)
        self.connectors[sid], self.modes[sid], self._plans[sid] = conn, plan.mode, plan
        self.runners[sid] = SourceRunner(
            conn,
            self.store,
            self.clock,
            auto_confirm=plan.auto_confirm,
            on_new=self._on_new,
            on_confirm_failed=self._confirm_failed,
            confirm_backoff_s=self.confirm_backoff_s,
            spawn=self._spawn,
        )
        if plan.mode == "push":
            self._push_connectors[sid] = conn

    async def _remove(self, sid: str) -> None:
        task = self._source_loops.pop(sid, None)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        for d in (self.connectors, self.runners, self.modes, self._plans, self._push_connectors):
            d.pop(sid, None)
        self._health_seen.pop(sid, None)

    async def reload(self) -> list[str]:
        """After a settings save: rebuild every source whose mode, host, push URL,
        credentials, options or auto-confirm changed (switched on, off, or re-pointed);
        the ids rebuilt. ``pull_interval_s`` and ``platform_stall_min`` are read live."""
        async with self._reload_lock:
            touched: list[str] = []
            for sid in SOURCE_IDS:
                if self._stop_began():
                    return touched
                plan = await asyncio.to_thread(self._plan, sid)  # keyring reads
                if self._stop_began():
                    return touched
                if plan == self._plans.get(sid):
                    continue
                touched.append(sid)
                await self._remove(sid)
                if plan is not None:
                    self._add(sid, plan)
                    if self._started:
                        self._source_loops[sid] = self._spawn(self._run_source(sid))
            if touched:
                log.info("order sources rebuilt after a settings change: %s", touched)
                for follow in list(self.after_reload):
                    await follow()
            return touched

    def _stop_began(self) -> bool:
        """A reload still running when ``stop`` began rebuilds nothing (the sync-back
        worker must not start behind a stop); the next start reloads instead."""
        if self._stopping:
            self._reload_owed = True
        return self._stopping

    def secret_changed(self, sid: str) -> None:
        """A secret of ``sid`` was set (settings page, 饿了么 code exchange) without a
        settings save: rebuild what changed, as ``reload`` does. Safe from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            self._reload_owed = True  # not started: ``start`` reloads first
            return
        try:
            loop.call_soon_threadsafe(self._reload_soon, sid)
        except RuntimeError:  # the loop closed meanwhile: the next start reads it
            self._reload_owed = True

    def _reload_soon(self, sid: str) -> None:
        """On the loop; secrets set in a burst (access and refresh token) share a reload."""
        if self._reload_queued:
            return
        self._reload_queued = True
        log.info("%s: a secret changed; rebuilding the source", sid)
        self._spawn(self._reload_queued_now())

    async def _reload_queued_now(self) -> None:
        self._reload_queued = False
        await self.reload()

    def _on_settings(self, ev: SettingsChanged) -> None:
        try:
            self._spawn(self.reload())
        except RuntimeError:  # published off the loop (not the core's way): next save
            log.warning("settings change seen off the event loop; sources not reloaded")

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Returns at once: catch-up, pulls and the stall check run in the background so
        they never delay the window."""
        self._stopping = False
        if self._reload_owed:  # a secret set before the start, a save during the last
            # stop, or a restart (the client was closed): plans read again
            self._reload_owed = False
            await self.reload()
        self._started = True
        self._loop = asyncio.get_running_loop()
        self._unsubscribe = self.bus.subscribe(SettingsChanged, self._on_settings)
        for sid in self.runners:
            self._source_loops[sid] = self._spawn(self._run_source(sid))
        self._stall_task = self._spawn(self._stall_loop())
        if self.runners:
            log.info(
                "order sources: %s",
                ", ".join(f"{sid} ({mode})" for sid, mode in self.modes.items()),
            )

    async def stop(self) -> None:
        self._started = False
        self._stopping = True
        self._loop = None
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        loops = self._loops()
        for t in loops:
            t.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        self._source_loops.clear()
        self._stall_task = None
        await self.drain(timeout=2.0)
        late = list(self._tasks)  # confirm retries still sleeping, a slow board write
        for t in late:
            t.cancel()
        # awaited: a cancelled task left to finish after the loop closed would fail there
        await asyncio.gather(*late, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()
            # a later start rebuilds every source on a new client (the plans compare it)
            self._http = None
            self._reload_owed = True

    def _loops(self) -> list[asyncio.Task[Any]]:
        stall = [self._stall_task] if self._stall_task is not None else []
        return [*self._source_loops.values(), *stall]

    async def drain(self, timeout: float | None = None) -> None:
        """Wait for the work handed on after replies (tests, stop)."""
        while True:
            loops = self._loops()
            pending = [t for t in self._tasks if t not in loops and not t.done()]
            if not pending:
                return
            done, _ = await asyncio.wait(pending, timeout=timeout)
            if not done:
                return

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("source desk task failed", exc_info=task.exception())

    async def _run_source(self, sid: str) -> None:
        runner = self.runners[sid]
        runner.health.state = HealthState.CATCHING_UP
        self._publish_health(sid)
        await runner.adopt(await self.store.unlinked(sid))  # stored, stopped before the board
        await runner.start()
        self._publish_health(sid)
        while True:
            await asyncio.sleep(max(1.0, float(self.settings.sources.get(sid).pull_interval_s)))
            try:
                await runner.pull_once()
            except Exception as e:  # storage trouble: say so, keep pulling
                log.exception("%s: pull failed", sid)
                runner.health.state, runner.health.last_error = HealthState.ERROR, str(e)
            self._publish_health(sid)

    def health(self) -> list[SourceHealth]:
        """Copies: the runners keep changing their own records on the core thread."""
        return [replace(r.health) for r in self.runners.values()]

    def _publish_health(self, sid: str) -> None:
        runner = self.runners.get(sid)
        if runner is None:  # switched off meanwhile
            return
        h = runner.health
        now = (h.state.value, h.last_error)
        if self._health_seen.get(sid) != now:
            self._health_seen[sid] = now
            self.bus.publish(SourceHealthChanged(sid, h.state.value, h.last_error))

    # ------------------------------------------------------------------ pushes
    async def handle_push(self, source: str, kind: str, request: PushRequest) -> PushReply:
        """Verify, dedupe and store durably, then reply; the board, the confirm call and
        the cancel flow run after the reply. Raises ``SourceError`` when a needed read
        failed (answer 5xx: the platform retries)."""
        connector = self.connectors.get(source)
        if connector is None:
            body = b'{"error":"source is not receiving pushes"}'
            return PushReply(404, body, rejected=f"source {source!r} is off")
        reply = await receive_push(connector, self.store, kind, request)
        if reply.rejected:
            return reply
        now = self.clock.now()
        for ev in reply.events:
            if ev.kind is PushKind.DELIVERY and ev.platform_status is not None:
                key = (source, ev.source_order_id)
                self._spawn(self._platform_rider(key, ev.platform_status, now))
        runner = self.runners[source]
        self._spawn(self._after_push(runner, reply))
        return reply

    async def _after_push(self, runner: SourceRunner, reply: PushReply) -> None:
        await runner.pushed(reply)
        self._publish_health(runner.connector.id)

    # ------------------------------------------------------------------ new orders
    def _lock(self, key: tuple[str, str]) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())

    async def _on_new(self, so: SourceOrder, ring: bool) -> None:
        async with self._lock(so.key):
            current = await self.store.get(so.source, so.source_order_id) or so
            order_id = await self.store.order_id(so.source, so.source_order_id)
            if order_id is None:
                order_id = await self._put_on_board(current)
                self.bus.publish(
                    SourceOrderArrived(
                        order_id,
                        current.source,
                        current.source_order_id,
                        current.display_label(),
                        ring,
                        current.fulfilment.value,
                    )
                )
            if current.state is SourceOrderState.CANCELLED:  # cancelled before it got here
                await self._platform_cancelled(order_id, current)

    async def _confirm_failed(self, so: SourceOrder, error: SourceError, tries: int) -> None:
        """Every auto-confirm try failed and the platform still shows the order waiting:
        the cashier confirms by hand (``confirm``)."""
        order_id = await self.store.order_id(so.source, so.source_order_id)
        if order_id is None:
            return  # not on the board: the next start adopts and confirms it
        label = so.display_label()
        msg = f"{label} 自动接单失败，请手动接单"
        data = {"code": "auto_confirm_failed", "label": label, "error": str(error), "tries": tries}
        await self.service.log_event(order_id, "source_confirm_failed", "engine", msg, data)
        self._confirm_alerted.add(order_id)
        self.bus.publish(
            AlertRaised(
                order_id,
                AlertKind.ATTENTION,
                msg,
                Severity.WARNING,
                reason=AttentionReason.SOURCE_CONFIRM_FAILED,
                order_label=label,
            )
        )

    async def _put_on_board(self, so: SourceOrder) -> int:
        order = to_order(so, received_at=self.clock.now())
        dispatch = so.dispatchable
        mode = DispatchMode(self.settings.dispatch.mode) if dispatch else DispatchMode.MANUAL
        ready = order.expected_ready_at
        if so.is_reservation and so.expected_delivery_at is not None:
            ready = so.expected_delivery_at - RESERVATION_READY_BEFORE
        order = replace(
            order,
            dispatch_mode=mode,
            expected_ready_at=ready,
            extra={**order.extra, "dispatch": dispatch},
        )
        # one fingerprint per source order: a repeat is a duplicate, never a conflict
        fingerprint = payload_hash({"source": so.source, "source_order_id": so.source_order_id})
        out = await self.service.intake.submit(order, fingerprint, so.source)
        order_id = out.order.id
        assert order_id is not None
        await self.store.link_order(so.source, so.source_order_id, order_id)
        if so.fulfilment is FulfilmentMode.PLATFORM_DELIVERY:  # the stall clock starts
            waiting = await self.store.platform_rider(*so.key)
            if waiting is None:  # unless a delivery push came first
                await self.store.set_platform_rider(*so.key, None, so.paid_at or so.created_at)
        return order_id

    # ------------------------------------------------------------------ changes
    def _on_change(self, old: SourceOrder, new: SourceOrder) -> None:
        self._spawn(self._changed(old, new))

    async def _changed(self, old: SourceOrder, new: SourceOrder) -> None:
        async with self._lock(new.key):
            order_id = await self.store.order_id(new.source, new.source_order_id)
            self.bus.publish(
                SourceOrderUpdated(
                    order_id,
                    new.source,
                    new.source_order_id,
                    new.state.value,
                    new.cancel_requested,
                    new.refund_state.value,
                )
            )
            if order_id is None:
                return  # not on the board yet: ``_on_new`` sees the state it finds
            cancelled = new.state is SourceOrderState.CANCELLED or (
                new.refund_state is RefundState.FULL
            )
            if cancelled and not (
                old.state is SourceOrderState.CANCELLED or old.refund_state is RefundState.FULL
            ):
                await self._platform_cancelled(order_id, new)
            elif new.state is SourceOrderState.COMPLETED and old.state is not new.state:
                await self._platform_completed(order_id, new)
            else:
                if new.fulfilment is not old.fulfilment:
                    await self._fulfilment_changed(order_id, new)
                if (new.cancel_requested and not old.cancel_requested) or (
                    new.refund_state is RefundState.APPLIED
                    and old.refund_state is not RefundState.APPLIED
                ):
                    await self._asked(order_id, new)

    async def _fulfilment_changed(self, order_id: int, so: SourceOrder) -> None:
        """The platform now says someone else delivers (饿了么 delivery messages, a re-read
        order): the board order follows, never silently."""
        svc = self.service
        detail = await svc.order_detail(order_id)
        if detail is None or detail.order.state in _FINAL:
            return
        extra, label = detail.order.extra, so.display_label()
        if extra.get("fulfilment") == so.fulfilment.value:
            return
        data: dict[str, Any] = {"label": label, "fulfilment": so.fulfilment.value}
        if extra.get("converted_from_platform"):  # 转自配送 done: our carrier delivers
            msg = f"{label} 平台报告配送方式 {so.fulfilment.value}（已转自配送，按自配送处理）"
            data["code"] = "ignored_after_conversion"
            await svc.log_event(order_id, "source_fulfilment", "platform", msg, data)
            return
        mode = DispatchMode(self.settings.dispatch.mode)
        if not await self.store.set_fulfilment(order_id, so.fulfilment, mode, converted=False):
            return
        self.bus.publish(OrderChanged(order_id))
        if so.fulfilment.dispatches:
            msg = f"{label} 平台改为商家自配送，由聚配呼叫骑手"
            data["code"] = "to_self_delivery"
            await svc.log_event(order_id, "source_fulfilment", "platform", msg, data)
            self._after_dispatchable(order_id, mode)
            return
        what = "平台配送" if so.fulfilment is FulfilmentMode.PLATFORM_DELIVERY else "到店自取"
        msg = f"{label} 平台改为{what}，聚配不再派单"
        live = detail.attempt is not None and detail.attempt.status.live
        if live:
            msg += "；聚配的配送仍在进行，请确认是否取消"
        data.update(code="to_platform", live_attempt=live)
        await svc.log_event(order_id, "source_fulfilment", "platform", msg, data)
        if live:
            self.bus.publish(
                AlertRaised(
                    order_id,
                    AlertKind.ATTENTION,
                    msg,
                    Severity.CRITICAL,
                    reason=AttentionReason.PLATFORM_TOOK_OVER,
                    order_label=label,
                )
            )

    def _after_dispatchable(self, order_id: int, mode: DispatchMode) -> None:
        """Quoted, and dispatched in auto mode, like any self-delivery order."""
        if mode is DispatchMode.AUTO:
            self._spawn(self.service.dispatcher.on_order_received(order_id))
        else:
            self._spawn(self._quote(order_id))

    async def _asked(self, order_id: int, so: SourceOrder) -> None:
        """The customer asks to cancel or for a refund: the shop decides on the platform."""
        label = so.display_label()
        refund = so.refund_state is RefundState.APPLIED
        what = "申请退款" if refund else "申请取消"
        msg = f"{label} 顾客{what}，请在平台处理"
        data = {"code": "refund" if refund else "cancel", "label": label}
        await self.service.log_event(order_id, "source_cancel_requested", "platform", msg, data)
        reason = (
            AttentionReason.CUSTOMER_REFUND_REQUESTED
            if refund
            else AttentionReason.CUSTOMER_CANCEL_REQUESTED
        )
        self.bus.publish(
            AlertRaised(
                order_id,
                AlertKind.ATTENTION,
                msg,
                Severity.WARNING,
                reason=reason,
                order_label=label,
            )
        )

    async def _platform_cancelled(self, order_id: int, so: SourceOrder) -> None:
        """The platform cancelled (or refunded in full): cancel the live delivery through
        the carrier flow, or just the board order when nothing is live."""
        svc = self.service
        detail = await svc.order_detail(order_id)
        if detail is None or detail.order.state in _FINAL:
            if detail is not None and detail.order.state is not OrderState.CANCELLED:
                await svc.log_event(
                    order_id,
                    "platform_cancelled",
                    "platform",
                    f"平台已取消订单（配送已结束：{detail.order.state.value}）",
                    {"code": "after_finish", "state": detail.order.state.value},
                )
            return
        label = so.display_label()
        live = detail.attempt is not None and detail.attempt.status.live
        refunded = so.refund_state is RefundState.FULL
        reason = "平台已退款" if refunded else "平台已取消"
        base = {"label": label, "refunded": refunded}
        fee: int | None = None
        if live:
            try:
                fee = await svc.cancel(order_id, reason=reason, preview=True)
            except Exception as e:  # a preview is advice: the cancel itself still runs
                log.info("order %s: cancel preview failed: %s", order_id, e)
            await svc.log_event(
                order_id,
                "platform_cancelled",
                "platform",
                f"{label} {reason}，正在取消配送（预计取消费 {_yuan(fee)}）",
                {**base, "code": "cancelling", "fee_preview_fen": fee},
            )
        try:
            paid = await svc.cancel(order_id, reason=reason, actor="platform")
        except Exception as e:  # the dispatcher flagged the order; say why here too
            log.info("order %s: cancel after platform cancel failed: %s", order_id, e)
            msg = f"{label} {reason}，但配送取消未成功，请手动处理：{e}"
            data = {**base, "code": "cancel_failed", "error": str(e)}
            await svc.log_event(order_id, "platform_cancel_failed", "platform", msg, data)
            self.bus.publish(
                AlertRaised(
                    order_id,
                    AlertKind.ATTENTION,
                    msg,
                    Severity.CRITICAL,
                    reason=AttentionReason.PLATFORM_CANCEL_FAILED,
                    order_label=label,
                )
            )
            return
        if live:
            msg = f"{label} {reason}，配送已取消（取消费 {_yuan(paid)}）"
            severity = Severity.WARNING
        else:
            msg = f"{label} {reason}，订单已取消"
            severity = Severity.INFO
        data = {
            **base,
            "code": "delivery_cancelled" if live else "order_cancelled",
            "fee_fen": paid,
        }
        await svc.log_event(order_id, "platform_cancelled", "platform", msg, data)
        self.bus.publish(
            AlertRaised(
                order_id,
                AlertKind.ATTENTION,
                msg,
                severity,
                reason=AttentionReason.PLATFORM_CANCELLED,
                order_label=label,
            )
        )

    async def _platform_completed(self, order_id: int, so: SourceOrder) -> None:
        """The platform says the order is done. A board order JuPei never dispatches
        (platform delivery, pickup) is delivered with it; a self-delivered one follows its
        own carrier attempt and only gets the timeline entry."""
        svc = self.service
        order = await svc.db.run(svc.db.get_order, order_id)
        if order is None:
            return
        label = so.display_label()
        if order.extra.get("dispatch") is False and order.state not in _FINAL:
            now = self.clock.now()
            await svc.db.run(svc.db.set_order_state, order_id, OrderState.DELIVERED, now, "")
            self.bus.publish(OrderChanged(order_id, OrderState.DELIVERED.value))
            self._stalled.discard(order_id)
        await svc.log_event(
            order_id, "platform_completed", "platform", f"{label} 平台订单已完成", {"label": label}
        )

    async def _platform_rider(
        self, key: tuple[str, str], status: DeliveryStatus, at: datetime
    ) -> None:
        """The platform's own rider moved on (platform delivery): recorded with the order
        (the stall check counts from it, across restarts), timeline; delivered completes
        a board order JuPei does not dispatch. A repeated status changes nothing."""
        async with self._lock(key):
            before = await self.store.platform_rider(*key)
            if before is not None and before[0] is status:
                return
            await self.store.set_platform_rider(*key, status, at)
            order_id = await self.store.order_id(*key)
            so = await self.store.get(*key)
            if order_id is None or so is None:
                return
            await self.service.log_event(
                order_id,
                "platform_delivery",
                "platform",
                f"{so.display_label()} 平台配送：{status.value}",
                {"status": status.value, "label": so.display_label()},
            )
            if status is DeliveryStatus.DELIVERED:
                await self._platform_completed(order_id, so)

    # ------------------------------------------------------------------ stall
    async def _stall_loop(self) -> None:
        while True:
            await asyncio.sleep(self.stall_every_s)
            try:
                await self.check_stalls()
            except Exception:  # the next minute tries again
                log.exception("stall check failed")

    async def check_stalls(self) -> list[int]:
        """Mark platform deliveries with no platform rider after ``platform_stall_min``;
        the board order ids newly marked."""
        now, marked = self.clock.now(), []
        for sid in self.runners:
            stall_min = self.settings.sources.get(sid).platform_stall_min
            for order_id, so, rider in await self.store.open_linked(
                sid, FulfilmentMode.PLATFORM_DELIVERY
            ):
                if order_id in self._stalled:
                    continue
                if rider is None:  # an order from before riders were recorded, or one the
                    # platform took over later: waiting from now (never all stalled at once)
                    rider = (None, now)
                    await self.store.set_platform_rider(*so.key, None, now)
                status, since = rider
                if platform_stalled(so, status, since, now, stall_min) and await self._mark_stalled(
                    order_id, so
                ):
                    marked.append(order_id)
        return marked

    async def _mark_stalled(self, order_id: int, so: SourceOrder) -> bool:
        svc = self.service
        order = await svc.db.run(svc.db.get_order, order_id)
        if order is None or order.state in _FINAL or order.extra.get("dispatch") is True:
            return False
        self._stalled.add(order_id)
        if str(order.extra.get("attention", "")).startswith(AttentionReason.PLATFORM_STALLED):
            return False  # marked before a restart: the board shows it already
        label = so.display_label()
        msg = f"{label} {STALL_MESSAGE}"
        attention = Attention(AttentionReason.PLATFORM_STALLED, STALL_MESSAGE).encode()
        await svc.db.run(
            svc.db.set_order_state, order_id, OrderState.ATTENTION, self.clock.now(), attention
        )
        self.bus.publish(OrderChanged(order_id, OrderState.ATTENTION.value))
        stall_min = self.settings.sources.get(so.source).platform_stall_min
        data = {"label": label, "stall_min": stall_min}
        await svc.log_event(order_id, "platform_stalled", "engine", msg, data)
        self.bus.publish(
            AlertRaised(
                order_id,
                AlertKind.ATTENTION,
                msg,
                Severity.WARNING,
                reason=AttentionReason.PLATFORM_STALLED,
                order_label=label,
            )
        )
        return True

    def is_stalled(self, order_id: int) -> bool:
        return order_id in self._stalled

    async def convert_to_self_delivery(self, order_id: int, *, actor: str = "cashier") -> None:
        """转自配送: tell the platform the shop delivers (ASSUMED endpoints: 美团
        ``order/logistics/change/poi_self``, 饿了么 ``deliveryBySelfLite``), then quote and
        dispatch the board order like any self-delivery order."""
        so, connector = await self._source(order_id)
        if so.fulfilment is not FulfilmentMode.PLATFORM_DELIVERY:
            raise SourceRejectedError(so.source, "only a platform-delivered order can switch")
        switch: Callable[[str], Coroutine[Any, Any, None]] | None = getattr(
            connector, "switch_to_self_delivery", None
        )
        if switch is None:
            raise SourceRejectedError(so.source, "this source cannot switch to self-delivery")
        svc = self.service
        order = await svc.db.run(svc.db.get_order, order_id)
        if order is None or order.state in _FINAL:
            raise SourceRejectedError(so.source, "the order is finished")
        await switch(so.source_order_id)
        async with self._lock(so.key):
            await self.store.upsert(replace(so, fulfilment=FulfilmentMode.SELF_DELIVERY))
            mode = DispatchMode(self.settings.dispatch.mode)
            await self.store.set_fulfilment(
                order_id, FulfilmentMode.SELF_DELIVERY, mode, converted=True
            )
        self._stalled.discard(order_id)
        self.bus.publish(OrderChanged(order_id, OrderState.NEW.value))
        self.bus.publish(AlertCleared(order_id, AlertKind.ATTENTION))
        await self.service.log_event(
            order_id,
            "source_self_delivery",
            actor,
            f"{so.display_label()} 已转自配送，由聚配呼叫骑手",
            {"label": so.display_label()},
        )
        self._after_dispatchable(order_id, mode)

    async def _quote(self, order_id: int) -> None:
        try:
            await self.service.dispatcher.collect_quotes(order_id)
        except Exception as e:  # quotes are a convenience here; the cashier can re-quote
            log.info("quotes after 转自配送 for order %s: %s", order_id, e)

    # ------------------------------------------------------------------ merchant actions
    async def order_for(self, order_id: int) -> SourceOrder | None:
        return await self.store.for_order(order_id)

    async def _source(self, order_id: int) -> tuple[SourceOrder, SourceConnector]:
        so = await self.order_for(order_id)
        if so is None:
            raise KeyError(f"order {order_id} did not come from an order source")
        connector = self.connectors.get(so.source)
        if connector is None:
            raise KeyError(f"source {so.source} is off")
        return so, connector

    async def confirm(self, order_id: int, *, actor: str = "cashier") -> None:
        """接单 on the platform (when ``auto_confirm`` is off or failed)."""
        so, connector = await self._source(order_id)
        await connector.confirm(so.source_order_id)
        await self.store.upsert(replace(so, state=SourceOrderState.CONFIRMED))
        await self.service.log_event(
            order_id,
            "source_confirmed",
            actor,
            f"{so.display_label()} 已接单",
            {"label": so.display_label()},
        )
        if order_id in self._confirm_alerted:
            self._confirm_alerted.discard(order_id)
            self.bus.publish(AlertCleared(order_id, AlertKind.ATTENTION))

    async def reject(self, order_id: int, reason: str, *, actor: str = "cashier") -> None:
        """拒单 on the platform with a reason; the board order is cancelled with it."""
        so, connector = await self._source(order_id)
        await connector.reject(so.source_order_id, reason)
        async with self._lock(so.key):
            await self.store.upsert(replace(so, state=SourceOrderState.CANCELLED))
            await self.service.log_event(
                order_id,
                "source_rejected",
                actor,
                f"{so.display_label()} 已拒单：{reason}",
                {"label": so.display_label(), "reject_reason": reason},
            )
            await self.service.cancel(order_id, reason=f"拒单：{reason}", actor=actor)
