"""The rehearsal POS feed: in rehearsal mode the counter app posts a realistic, signed
order through its own POS listener now and then, so a new user sees orders flow onto
the board with no POS attached. Off in ``serve`` and in tests; capped per session."""

from __future__ import annotations

import asyncio
import logging
import random
from typing import TYPE_CHECKING

from app.core.pos.listener import PosListener
from app.core.pos.sim import make_order_payload, post_orders
from app.core.sandbox.server import SandboxServer

if TYPE_CHECKING:
    from app.core.dispatch.engine import DispatchEngine
    from app.core.service import AppService

log = logging.getLogger(__name__)


class RehearsalFeed:
    def __init__(
        self,
        service: AppService,
        listener: PosListener,
        *,
        every_s: float,
        max_orders: int,
        seed: int = 0,
    ) -> None:
        self.service, self.listener = service, listener
        self.every_s, self.max_orders = every_s, max_orders
        self._rng = random.Random(seed or None)
        self._task: asyncio.Task[None] | None = None
        self.posted = 0

    def start(self) -> None:
        if self.every_s > 0 and self.max_orders > 0 and self._task is None:
            self._task = asyncio.create_task(self._run(), name="rehearsal-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def post_one(self) -> bool:
        """Post one sample order through the real, signed POS API."""
        payload = make_order_payload(self._rng, self.service.settings.store, self.posted + 1)
        url = f"{self.listener.base_url}/api/v1/orders"
        stats = await post_orders(url, self.service.pos_secret(), [payload], rate=0, concurrency=1)
        self.posted += 1
        return bool(stats.ok_ids)

    async def _run(self) -> None:
        await asyncio.sleep(2.0)
        while self.posted < self.max_orders:
            try:
                await self.post_one()
            except Exception:  # a rehearsal nicety must never take the app down
                log.info("rehearsal feed: post failed", exc_info=True)
            await asyncio.sleep(self.every_s * self._rng.uniform(0.6, 1.4))
        log.info("rehearsal feed: %d sample orders posted, stopping", self.posted)


class RehearsalDriver:
    """The scripted demo's door to the sandboxes (``--screenshot``): make one carrier's
    rider bring the goods back, move the sandbox clock, poll riders and positions. The
    UI drives the demo through this, never through the sandbox or the dispatcher."""

    def __init__(
        self, service: AppService, dispatcher: DispatchEngine, sandbox: SandboxServer | None
    ) -> None:
        self.service, self.dispatcher, self.sandbox = service, dispatcher, sandbox

    def goods_come_back(self, carrier: str) -> None:
        from app.core.sandbox.engine import Scenario

        if self.sandbox is not None:
            self.sandbox.engine.set_scenario(carrier, Scenario.RETURN)

    def advance(self, seconds: float) -> None:
        if self.sandbox is not None:
            self.sandbox.engine.advance(seconds)

    async def poll(self, order_ids: list[int]) -> None:
        """Status and rider position of each order's live attempt, now."""
        disp = self.dispatcher
        for oid in order_ids:
            try:
                await disp.refresh(oid)
                detail = await self.service.order_detail(oid)
                a = detail.attempt if detail else None
                if a is not None and a.status.live:
                    await disp.tracker.positions(a.carrier, [a])
            except Exception as e:  # a demo nicety: one failed poll is only logged
                log.info("demo: poll %s: %s", oid, e)
