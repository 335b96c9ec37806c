"""When the platform's own delivery stalls (a 美团专送 / 蜂鸟 order with no platform rider
after ``platform_stall_min``), the board says so and offers 转自配送. Pure."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.core.domain.source_order import FulfilmentMode, SourceOrder
from app.core.domain.status import DeliveryStatus


def platform_stalled(
    order: SourceOrder,
    platform_status: DeliveryStatus | None,
    waiting_since: datetime,
    now: datetime,
    stall_min: int = 10,
) -> bool:
    """True when a live platform-delivered order has had no platform rider for
    ``stall_min`` minutes since ``waiting_since`` (confirmation, or the platform's last
    cancel/failure of its delivery)."""
    if order.fulfilment is not FulfilmentMode.PLATFORM_DELIVERY or order.state.terminal:
        return False
    has_rider = (
        platform_status is not None
        and not platform_status.terminal
        and platform_status.rank >= DeliveryStatus.ACCEPTED.rank
    )
    if has_rider or platform_status is DeliveryStatus.DELIVERED:
        return False
    return now - waiting_since >= timedelta(minutes=stall_min)
