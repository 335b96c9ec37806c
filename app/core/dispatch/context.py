"""``DispatchContext``: the few things every dispatch part needs, and nothing else.

The parts (planning in the engine, ``Submitter``, ``Tracker``, ``AcceptTimers``,
``Reactions``, ``Actions``) take this context instead of the engine or the service, so
none of them can reach a sibling through a back-pointer: a part calls only the parts it
was built with, and asks for anything else through an event (``FailoverNeeded`` on the
context's own ``signals`` bus, ``AttemptStatusChanged`` on the app's bus).
"""

from __future__ import annotations

import asyncio
import secrets
import string
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.core.carriers.gateway import CarrierGateway
from app.core.clock import Clock
from app.core.config import AlertSettings, CallbackSettings, DispatchSettings, Settings
from app.core.dispatch.breaker import Breakers
from app.core.domain import Attention, DeliveryAttempt, DeliveryStatus, Order, OrderState
from app.core.events import AttemptStatusChanged, Event, EventBus, OrderChanged
from app.core.storage.repos import Database
from app.core.tasks import Supervisor

_ALNUM = string.ascii_letters + string.digits
FINAL_ORDER_STATES = (OrderState.DELIVERED, OrderState.SELF_DELIVERED, OrderState.CANCELLED)


class DispatchError(Exception):
    """Nothing was dispatched (the reason is in the message and the order's log)."""


class DispatchQueued(DispatchError):
    """No carrier reachable: the order waits as QUEUED and is retried by itself."""


@dataclass(frozen=True, slots=True)
class FailoverNeeded(Event):
    """A part finished an attempt that leaves the order undelivered: the engine plans the
    next carrier (dispatch-internal; published on ``DispatchContext.signals``)."""

    order_id: int
    reason: str


class DispatchContext:
    """Storage, the app's bus, the clock, the carriers, the live settings, per-order locks
    and the task owner. ``config`` is a getter because the service replaces its settings
    object when the manager saves them."""

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        clock: Clock,
        gateway: CarrierGateway,
        config: Callable[[], Settings],
        *,
        secret_get: Callable[[str], str | None] = lambda name: None,
        secret_set: Callable[[str, str], None] = lambda name, value: None,
    ) -> None:
        self.db, self.bus, self.clock, self.gateway = db, bus, clock, gateway
        self.config = config
        self.secret_get, self.secret_set = secret_get, secret_set
        self.signals = EventBus()
        self.sup = Supervisor()
        s = config().dispatch
        self.breakers = Breakers(s.breaker_failures, s.breaker_reset_s, clock.monotonic)
        self.install = ""
        self._locks: dict[int, asyncio.Lock] = {}

    # ------------------------------------------------------------------ settings
    @property
    def settings(self) -> DispatchSettings:
        return self.config().dispatch

    @property
    def alerts(self) -> AlertSettings:
        return self.config().alerts

    @property
    def callbacks(self) -> CallbackSettings:
        return self.config().callbacks

    # ------------------------------------------------------------------ plumbing
    def now(self) -> datetime:
        return self.clock.now()

    def lock(self, order_id: int) -> asyncio.Lock:
        """Every change to one order's attempts runs under this lock."""
        return self._locks.setdefault(order_id, asyncio.Lock())

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        return self.sup.spawn(coro, name)

    def key_for(self, order_id: int, attempt_no: int) -> str:
        """Install prefix + order id + attempt no: <= 32 chars of [A-Za-z0-9]."""
        return f"{self.install}{order_id}A{attempt_no}"[:32]

    async def ensure_install_id(self) -> None:
        value = await self.db.run(self.db.kv_get, "install_id")
        if not value:
            value = "".join(secrets.choice(_ALNUM) for _ in range(10))
            await self.db.run(self.db.kv_set, "install_id", value)
        self.install = str(value)

    # ------------------------------------------------------------------ storage
    async def get_order(self, order_id: int) -> Order:
        order = await self.db.run(self.db.get_order, order_id)
        if order is None:
            raise DispatchError(f"no order {order_id}")
        return order

    async def attempts(self, order_id: int) -> list[DeliveryAttempt]:
        return await self.db.run(self.db.attempts_for_order, order_id)

    async def live(self, order_id: int) -> list[DeliveryAttempt]:
        return [a for a in await self.attempts(order_id) if a.status.live]

    async def save(self, att: DeliveryAttempt) -> None:
        await self.db.run(self.db.save_attempt, att, self.clock.now())

    async def set_state(
        self,
        order_id: int,
        state: OrderState,
        attention: Attention | None = None,
        *,
        force: bool = False,
    ) -> None:
        """Move the order (never out of a final state unless ``force``); the attention
        reason is stored encoded, and cleared for any other state."""
        if not force:
            cur = await self.db.run(self.db.get_order, order_id)
            if cur is not None and cur.state in FINAL_ORDER_STATES and cur.state is not state:
                return
        text = attention.encode() if attention is not None else ""
        await self.db.run(self.db.set_order_state, order_id, state, self.clock.now(), text)
        self.bus.publish(OrderChanged(order_id, state.value))

    async def log_event(
        self,
        order_id: int,
        kind: str,
        actor: str,
        message: str,
        data: dict[str, Any] | None = None,
    ) -> None:
        await self.db.run(
            self.db.append_event, order_id, self.clock.now(), kind, actor, message, data
        )
        self.bus.publish(OrderChanged(order_id))

    def published(self, att: DeliveryAttempt, prev: DeliveryStatus | None) -> None:
        """Tell everyone (the reactions included) that ``att`` moved from ``prev``."""
        assert att.id is not None
        self.bus.publish(
            AttemptStatusChanged(
                att.order_id, att.id, att.carrier, att.status.value, prev.value if prev else ""
            )
        )
