"""The source desk, part: platform deliveries with no platform rider, and 转自配送.

Every ``every_s`` (a minute), open platform-delivery orders with no platform rider after
``[sources.<id>] platform_stall_min`` go to attention (``platform_stalled``,
"平台配送超时未接单，可转自配送"); ``convert_to_self_delivery`` calls the connector's
转自配送 and hands the board order to the carriers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

from app.core.domain.attention import Attention, AttentionReason
from app.core.domain.order import DispatchMode, OrderState
from app.core.domain.source_order import (
    FulfilmentMode,
    SourceOrder,
)
from app.core.events import (
    AlertCleared,
    AlertKind,
    AlertRaised,
    OrderChanged,
    Severity,
)
from app.core.sources.base import SourceRejectedError
from app.core.sources.desk_parts import FINAL, DeskParts
from app.core.sources.stall import platform_stalled

log = logging.getLogger(__name__)

STALL_MESSAGE = "平台配送超时未接单，可转自配送"


class StallWatch:
    def __init__(self, parts: DeskParts, every_s: float = 60.0) -> None:
        self.parts = parts
        self.every_s = every_s

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            try:
                await self.check_stalls()
            except Exception:  # the next minute tries again
                log.exception("stall check failed")

    async def check_stalls(self) -> list[int]:
        """Mark platform deliveries with no platform rider after ``platform_stall_min``;
        the board order ids newly marked."""
        now, marked = self.parts.clock.now(), []
        for sid in self.parts.connectors:  # the sources on (a runner each)
            stall_min = self.parts.settings.sources.get(sid).platform_stall_min
            for order_id, so, rider in await self.parts.store.open_linked(
                sid, FulfilmentMode.PLATFORM_DELIVERY
            ):
                if order_id in self.parts.stalled:
                    continue
                if rider is None:  # an order from before riders were recorded, or one the
                    # platform took over later: waiting from now (never all stalled at once)
                    rider = (None, now)
                    await self.parts.store.set_platform_rider(*so.key, None, now)
                status, since = rider
                if platform_stalled(so, status, since, now, stall_min) and await self._mark_stalled(
                    order_id, so
                ):
                    marked.append(order_id)
        return marked

    async def _mark_stalled(self, order_id: int, so: SourceOrder) -> bool:
        svc = self.parts.service
        order = await svc.db.run(svc.db.get_order, order_id)
        if order is None or order.state in FINAL or order.extra.get("dispatch") is True:
            return False
        self.parts.stalled.add(order_id)
        if str(order.extra.get("attention", "")).startswith(AttentionReason.PLATFORM_STALLED):
            return False  # marked before a restart: the board shows it already
        label = so.display_label()
        msg = f"{label} {STALL_MESSAGE}"
        attention = Attention(AttentionReason.PLATFORM_STALLED, STALL_MESSAGE).encode()
        await svc.db.run(
            svc.db.set_order_state,
            order_id,
            OrderState.ATTENTION,
            self.parts.clock.now(),
            attention,
        )
        self.parts.bus.publish(OrderChanged(order_id, OrderState.ATTENTION.value))
        stall_min = self.parts.settings.sources.get(so.source).platform_stall_min
        data = {"label": label, "stall_min": stall_min}
        await svc.log_event(order_id, "platform_stalled", "engine", msg, data)
        self.parts.bus.publish(
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
        return order_id in self.parts.stalled

    async def convert_to_self_delivery(self, order_id: int, *, actor: str = "cashier") -> None:
        """转自配送: tell the platform the shop delivers (ASSUMED endpoints: 美团
        ``order/logistics/change/poi_self``, 饿了么 ``deliveryBySelfLite``), then quote and
        dispatch the board order like any self-delivery order."""
        so, connector = await self.parts.source_of(order_id)
        if so.fulfilment is not FulfilmentMode.PLATFORM_DELIVERY:
            raise SourceRejectedError(so.source, "only a platform-delivered order can switch")
        switch: Callable[[str], Coroutine[Any, Any, None]] | None = getattr(
            connector, "switch_to_self_delivery", None
        )
        if switch is None:
            raise SourceRejectedError(so.source, "this source cannot switch to self-delivery")
        svc = self.parts.service
        order = await svc.db.run(svc.db.get_order, order_id)
        if order is None or order.state in FINAL:
            raise SourceRejectedError(so.source, "the order is finished")
        await switch(so.source_order_id)
        async with self.parts.lock(so.key):
            await self.parts.store.upsert(replace(so, fulfilment=FulfilmentMode.SELF_DELIVERY))
            mode = DispatchMode(self.parts.settings.dispatch.mode)
            await self.parts.store.set_fulfilment(
                order_id, FulfilmentMode.SELF_DELIVERY, mode, converted=True
            )
        self.parts.stalled.discard(order_id)
        self.parts.bus.publish(OrderChanged(order_id, OrderState.NEW.value))
        self.parts.bus.publish(AlertCleared(order_id, AlertKind.ATTENTION))
        await self.parts.service.log_event(
            order_id,
            "source_self_delivery",
            actor,
            f"{so.display_label()} 已转自配送，由聚配呼叫骑手",
            {"label": so.display_label()},
        )
        self.parts.after_dispatchable(order_id, mode)
