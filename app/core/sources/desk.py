"""The source desk: every order source (美团外卖, 饿了么) at work inside the core.

Built by the composition root. For each source whose ``[sources.<id>] mode`` is not
"off" (or that rehearsal points at a simulator) it builds the connector and a
``SourceRunner`` on the SQLite ``SqliteSourceStore``; this module is the lifecycle and
wiring (sources on/off, reload on a settings save, start/stop, the push path, health).
It is where a source order meets the rest of JuPei, through its parts
(``desk_parts.DeskParts`` is what they share):

* ``desk_board``: a new source order becomes a board order through the intake
  (``to_order``; pickup number "美团 #12"), is linked to it and announced
  (``SourceOrderArrived``); self-delivery follows the shop's dispatch mode, platform
  delivery and pickup never dispatch (``extra["dispatch"]`` False, which the dispatch
  engine refuses);
* ``desk_changes``: a change of a known order (push, pull, refresh, our own confirm) is
  announced (``SourceOrderUpdated``); a platform cancel or an agreed refund cancels the
  live delivery through the carrier cancel flow (fee preview, timeline, alert), never
  silently;
* ``desk_stall``: a platform delivery with no platform rider after ``platform_stall_min``
  raises "平台配送超时未接单，可转自配送" and ``convert_to_self_delivery`` hands it to the
  carriers;
* ``desk_actions``: 接单/拒单 by hand, and the alert when every auto-confirm failed;
* ``handle_push`` is the one push path: the local listener's route and (later) a hub
  relay both call it (issue 15, item 9).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from app.core.clock import Clock
from app.core.config import Settings
from app.core.domain.source_order import (
    SourceOrder,
)
from app.core.events import (
    EventBus,
    SettingsChanged,
    SourceHealthChanged,
)
from app.core.secrets import SecretStore
from app.core.sources import setup
from app.core.sources.base import (
    PushKind,
    PushRequest,
    SourceConnector,
    SourceContext,
)
from app.core.sources.desk_actions import MerchantActions
from app.core.sources.desk_board import RESERVATION_READY_BEFORE, BoardIntake
from app.core.sources.desk_changes import PlatformChanges
from app.core.sources.desk_parts import DeskParts
from app.core.sources.desk_stall import STALL_MESSAGE, StallWatch
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
from app.core.storage.source_repo import SqliteSourceStore

if TYPE_CHECKING:
    from app.core.service import AppService

log = logging.getLogger(__name__)

# named here too: tests and callers read them from the desk
__all__ = ["RESERVATION_READY_BEFORE", "STALL_MESSAGE", "SourceDesk"]


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
        self._listener_url = ""  # the POS listener's bound address (``listener_bound``)
        self.confirm_backoff_s = confirm_backoff_s
        self.store = SqliteSourceStore(
            service.db.engine, self.clock.now, lambda old, new: self.changes.on_change(old, new)
        )
        self.connectors: dict[str, SourceConnector] = {}
        self._tasks: set[asyncio.Task[Any]] = set()  # ``_spawn``: drained/cancelled by stop
        # the parts (desk_parts.py): what they share, then one object per responsibility
        self.parts = DeskParts(service, self.store, self.connectors, self._spawn)
        self.changes = PlatformChanges(self.parts)
        self.board = BoardIntake(self.parts, self.changes.platform_cancelled)
        self.stall = StallWatch(self.parts, stall_every_s)
        self.actions = MerchantActions(self.parts)
        self.runners: dict[str, SourceRunner] = {}
        self.modes: dict[str, str] = {}
        self._plans: dict[str, _Plan] = {}
        self._push_connectors: dict[str, SourceConnector] = {}
        # always on the listener: a source switched on in the settings receives pushes
        # without a restart; a source that is off answers 404
        self.pushes: SourcePushes | None = SourcePushes(
            self._push_connectors, self.store, self.runners, receive=self.handle_push
        )
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
        self._health_seen: dict[str, tuple[str, str]] = {}
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
            listener_url=self._listener_url,
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
            on_new=self.board.on_new,
            on_confirm_failed=self.actions.confirm_failed,
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

    async def listener_bound(self, url: str) -> None:
        """The POS listener listens at ``url`` (its real port, also when ``[pos] port`` is
        0): a source run against its rehearsal simulator is rebuilt so its push address
        is the one the simulator signs for (美团 signs over the push URL). Simulators
        read no secret, so this stays on the loop."""
        self._listener_url = url
        async with self._reload_lock:
            for sid in self._sims:
                if self.settings.sources.get(sid).mode != "off":
                    continue  # set up for real: not the simulator's (and reads secrets)
                plan = self._plan(sid)
                if plan is None or plan == self._plans.get(sid):
                    continue
                await self._remove(sid)
                self._add(sid, plan)
                if self._started:
                    self._source_loops[sid] = self._spawn(self._run_source(sid))

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
        self._stall_task = self._spawn(self.stall.run())
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
                self._spawn(self.changes.platform_rider(key, ev.platform_status, now))
        runner = self.runners[source]
        self._spawn(self._after_push(runner, reply))
        return reply

    async def _after_push(self, runner: SourceRunner, reply: PushReply) -> None:
        await runner.pushed(reply)
        self._publish_health(runner.connector.id)

    # ------------------------------------------------------------------ the parts' doors
    # (AppService and the tests call the desk; the work is in desk_stall / desk_actions)
    async def check_stalls(self) -> list[int]:
        return await self.stall.check_stalls()

    def is_stalled(self, order_id: int) -> bool:
        return self.stall.is_stalled(order_id)

    async def convert_to_self_delivery(self, order_id: int, *, actor: str = "cashier") -> None:
        await self.stall.convert_to_self_delivery(order_id, actor=actor)

    async def order_for(self, order_id: int) -> SourceOrder | None:
        return await self.parts.order_for(order_id)

    async def confirm(self, order_id: int, *, actor: str = "cashier") -> None:
        await self.actions.confirm(order_id, actor=actor)

    async def reject(self, order_id: int, reason: str, *, actor: str = "cashier") -> None:
        await self.actions.reject(order_id, reason, actor=actor)
