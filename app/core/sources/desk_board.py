"""The source desk, part: a new source order onto the board.

``to_order`` → ``service.intake.submit(..., source=<id>)`` (pickup number "美团 #12", one
fingerprint per source order), linked to the board order (``source_orders.order_id``),
announced (``SourceOrderArrived``, ringing or not). Self-delivery follows the shop's
dispatch mode; platform delivery and pickup get ``extra["dispatch"] = False``. An order
the platform cancelled before it reached the board goes on to the cancel flow.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

from app.core.domain.order import DispatchMode
from app.core.domain.source_order import (
    FulfilmentMode,
    SourceOrder,
    SourceOrderState,
    to_order,
)
from app.core.events import (
    SourceOrderArrived,
)
from app.core.pos.schema import payload_hash
from app.core.sources.desk_parts import DeskParts

log = logging.getLogger(__name__)

# ASSUMED: a reservation (预订单) is ready this long before the customer's delivery time,
# so auto-dispatch calls the rider for it then (minus the carrier's lead), not at once
RESERVATION_READY_BEFORE = timedelta(minutes=30)


class BoardIntake:
    """``SourceRunner(on_new=...)``: called for every new source order (push, pull, adopt)."""

    def __init__(
        self, parts: DeskParts, cancelled: Callable[[int, SourceOrder], Awaitable[None]]
    ) -> None:
        self.parts = parts
        self.cancelled = cancelled  # ``PlatformChanges.platform_cancelled``

    async def on_new(self, so: SourceOrder, ring: bool) -> None:
        async with self.parts.lock(so.key):
            current = await self.parts.store.get(so.source, so.source_order_id) or so
            order_id = await self.parts.store.order_id(so.source, so.source_order_id)
            if order_id is None:
                order_id = await self._put_on_board(current)
                self.parts.bus.publish(
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
                await self.cancelled(order_id, current)

    async def _put_on_board(self, so: SourceOrder) -> int:
        order = to_order(so, received_at=self.parts.clock.now())
        dispatch = so.dispatchable
        mode = DispatchMode(self.parts.settings.dispatch.mode) if dispatch else DispatchMode.MANUAL
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
        out = await self.parts.service.intake.submit(order, fingerprint, so.source)
        order_id = out.order.id
        assert order_id is not None
        await self.parts.store.link_order(so.source, so.source_order_id, order_id)
        if so.fulfilment is FulfilmentMode.PLATFORM_DELIVERY:  # the stall clock starts
            waiting = await self.parts.store.platform_rider(*so.key)
            if waiting is None:  # unless a delivery push came first
                await self.parts.store.set_platform_rider(
                    *so.key, None, so.paid_at or so.created_at
                )
        return order_id
