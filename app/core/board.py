"""Which lane of the counter board an order belongs in, and why it needs a human (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from app.core.domain import DeliveryAttempt, DeliveryStatus, Order, OrderState
from app.core.domain.attention import Attention, AttentionReason

R = AttentionReason


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
    attention: Attention | None = None  # set in the attention lane only
    # a platform order's unsettled customer request: "cancel", "refund" or "" (none; a
    # POS order); read with the row from source_orders, so it shows after a restart too
    platform_request: str = ""


def platform_request(state: str, cancel_requested: bool, refund_state: str) -> str:
    """The customer's pending request on a platform order ("" once the order is
    cancelled or completed: the lane says the rest). A refund request wins."""
    if state in ("cancelled", "completed"):
        return ""
    if refund_state == "applied":
        return "refund"
    return "cancel" if cancel_requested else ""


def current_attempt(attempts: list[DeliveryAttempt]) -> DeliveryAttempt | None:
    """The attempt that stands for the order's delivery: the most advanced live one
    (a race winner beats a loser still pending or being cancelled; the later on a tie),
    else the latest that reached the customer (a race winner that delivered beats the
    loser cancelled after it), else the latest."""
    live = [a for a in attempts if a.status.live]
    if live:
        return max(reversed(live), key=lambda a: progress(a.status))
    for a in reversed(attempts):
        if a.status in _REACHED:
            return a
    return attempts[-1] if attempts else None


_REACHED = frozenset({DeliveryStatus.DELIVERED, DeliveryStatus.RETURNING, DeliveryStatus.RETURNED})


def progress(status: DeliveryStatus) -> int:
    """How far a live attempt got, for picking the current one (the SQL board agrees)."""
    if status is DeliveryStatus.CANCEL_REQUESTED:
        return 0  # on its way out: never the delivery while another attempt is live
    return status.rank


def lane_for(
    order: Order,
    attempt: DeliveryAttempt | None,
    now: datetime,
    *,
    no_rider_after_s: float = 600,
    stale_after_s: float = 300,
) -> tuple[Lane, Attention | None]:
    if order.state is OrderState.CANCELLED:
        return Lane.CANCELLED, None
    if order.state in (OrderState.DELIVERED, OrderState.SELF_DELIVERED):
        return Lane.DONE, None
    if order.state is OrderState.ATTENTION:
        stored = Attention.decode((order.extra or {}).get("attention", ""))
        return Lane.ATTENTION, stored or Attention(R.OTHER)
    if attempt is None or not attempt.status.live:
        return Lane.NEW, None
    return _live_lane(attempt, now, no_rider_after_s, stale_after_s)


def _live_lane(
    attempt: DeliveryAttempt, now: datetime, no_rider_after_s: float, stale_after_s: float
) -> tuple[Lane, Attention | None]:
    s = attempt.status
    if attempt.exception:
        return Lane.ATTENTION, Attention(R.CARRIER_EXCEPTION, attempt.exception)
    if s is DeliveryStatus.RETURNING:
        return Lane.ATTENTION, Attention(R.GOODS_RETURNING)
    if s is DeliveryStatus.CANCEL_REQUESTED:
        return Lane.ATTENTION, Attention(R.CANCEL_PENDING)
    if s in (DeliveryStatus.SUBMITTING, DeliveryStatus.PENDING_ACCEPT):
        since = attempt.dispatched_at or attempt.created_at
        if since and (now - since).total_seconds() > no_rider_after_s:
            return Lane.ATTENTION, Attention(R.NO_RIDER)
        return Lane.AWAITING, None
    seen = attempt.last_seen_at or attempt.dispatched_at
    if seen and (now - seen).total_seconds() > stale_after_s:
        return Lane.ATTENTION, Attention(R.TRACKING_STALE)
    return Lane.DELIVERING, None
