"""Which lane of the counter board an order belongs in (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from app.core.domain import DeliveryAttempt, DeliveryStatus, Order, OrderState


class Lane(StrEnum):
    NEW = "new"
    AWAITING = "awaiting"  # waiting for a rider
    DELIVERING = "delivering"
    ATTENTION = "attention"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class BoardRow:
    order: Order
    attempt: DeliveryAttempt | None
    lane: Lane
    attention: str = ""


def current_attempt(attempts: list[DeliveryAttempt]) -> DeliveryAttempt | None:
    """The live attempt if any, else the latest."""
    for a in reversed(attempts):
        if a.status.live:
            return a
    return attempts[-1] if attempts else None


def lane_for(
    order: Order,
    attempt: DeliveryAttempt | None,
    now: datetime,
    *,
    no_rider_after_s: float = 600,
    stale_after_s: float = 300,
) -> tuple[Lane, str]:
    if order.state is OrderState.CANCELLED:
        return Lane.CANCELLED, ""
    if order.state in (OrderState.DELIVERED, OrderState.SELF_DELIVERED):
        return Lane.DONE, ""
    attention = (order.extra or {}).get("attention", "")
    if order.state is OrderState.ATTENTION:
        return Lane.ATTENTION, attention or "needs attention"
    if attempt is None or not attempt.status.live:
        return Lane.NEW, ""
    s = attempt.status
    if attempt.exception:
        return Lane.ATTENTION, attempt.exception
    if s in (DeliveryStatus.RETURNING, DeliveryStatus.CANCEL_REQUESTED):
        return (
            Lane.ATTENTION,
            "goods returning" if s is DeliveryStatus.RETURNING else "cancel pending",
        )
    if s in (DeliveryStatus.SUBMITTING, DeliveryStatus.PENDING_ACCEPT):
        since = attempt.dispatched_at or attempt.created_at
        if since and (now - since).total_seconds() > no_rider_after_s:
            return Lane.ATTENTION, "no rider yet"
        return Lane.AWAITING, ""
    seen = attempt.last_seen_at or attempt.dispatched_at
    if seen and (now - seen).total_seconds() > stale_after_s:
        return Lane.ATTENTION, "tracking stale"
    return Lane.DELIVERING, ""
