"""The unified delivery status model and its pure transition rules.

States and ranks follow shared/carriers/README.md §2. ``apply_update`` is the one place
that decides whether a carrier report moves an attempt: duplicates and out-of-order
reports are ignored, explicit reassignment may step back, terminal states are final and
unknown codes are kept raw without moving the watermark.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DeliveryStatus(StrEnum):
    QUOTED = "quoted"
    SUBMITTING = "submitting"
    CREATE_FAILED = "create_failed"
    PENDING_ACCEPT = "pending_accept"
    ACCEPTED = "accepted"
    AT_PICKUP = "at_pickup"
    PICKED_UP = "picked_up"
    AT_DROPOFF = "at_dropoff"
    DELIVERED = "delivered"
    CANCEL_REQUESTED = "cancel_requested"
    CANCELLED = "cancelled"
    RETURNING = "returning"
    RETURNED = "returned"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def terminal(self) -> bool:
        return self in TERMINAL

    @property
    def live(self) -> bool:
        """A carrier order exists (or may exist) and is not finished."""
        return not self.terminal and self is not DeliveryStatus.QUOTED


class CancelledBy(StrEnum):
    MERCHANT = "merchant"
    CUSTOMER = "customer"
    RIDER = "rider"
    CARRIER_SYSTEM = "carrier_system"
    UNKNOWN = "unknown"


_RANK = {
    DeliveryStatus.QUOTED: 0,
    DeliveryStatus.SUBMITTING: 5,
    DeliveryStatus.PENDING_ACCEPT: 10,
    DeliveryStatus.ACCEPTED: 20,
    DeliveryStatus.AT_PICKUP: 30,
    DeliveryStatus.PICKED_UP: 40,
    DeliveryStatus.AT_DROPOFF: 50,
    DeliveryStatus.CANCEL_REQUESTED: 60,
    DeliveryStatus.RETURNING: 70,
    DeliveryStatus.CREATE_FAILED: 90,
    DeliveryStatus.DELIVERED: 90,
    DeliveryStatus.CANCELLED: 90,
    DeliveryStatus.RETURNED: 90,
    DeliveryStatus.UNKNOWN: -1,
}

TERMINAL = frozenset(
    {
        DeliveryStatus.CREATE_FAILED,
        DeliveryStatus.DELIVERED,
        DeliveryStatus.CANCELLED,
        DeliveryStatus.RETURNED,
    }
)
RIDER_ASSIGNED = frozenset(
    {
        DeliveryStatus.ACCEPTED,
        DeliveryStatus.AT_PICKUP,
        DeliveryStatus.PICKED_UP,
        DeliveryStatus.AT_DROPOFF,
    }
)


@dataclass(frozen=True, slots=True)
class Transition:
    """Outcome of offering a carrier report to an attempt."""

    accepted: bool
    status: DeliveryStatus
    reason: str
    clear_rider: bool = False


def apply_update(
    current: DeliveryStatus, new: DeliveryStatus, *, reassignment: bool = False
) -> Transition:
    """Decide the attempt's next status when a carrier reports ``new``.

    ``reassignment`` is set by an adapter only for the carrier's explicit signals
    (Dada repeat_reason_type, Shansong 20/sub 2, SF 22, UU 2, Meituan repeated 20 with a
    new courier).
    """
    if current.terminal:
        return Transition(False, current, "terminal state is final")
    if new is DeliveryStatus.UNKNOWN:
        return Transition(False, current, "unknown carrier code kept raw")
    if new is DeliveryStatus.QUOTED:
        return Transition(False, current, "quotes never move a dispatched attempt")
    if new.terminal or new in (DeliveryStatus.RETURNING, DeliveryStatus.CANCEL_REQUESTED):
        if new is current:
            return Transition(False, current, "duplicate")
        if current is DeliveryStatus.RETURNING and new is DeliveryStatus.CANCEL_REQUESTED:
            return Transition(False, current, "already returning")
        return Transition(True, new, "forward")
    if current is DeliveryStatus.CANCEL_REQUESTED:
        # the carrier refused or has not yet processed the cancel: progress is still news
        return Transition(True, new, "cancel not effective yet", clear_rider=_drops_rider(new))
    if reassignment and new.rank <= current.rank:
        return Transition(True, new, "reassignment", clear_rider=_drops_rider(new))
    if new.rank > current.rank:
        return Transition(True, new, "forward")
    if new is current:
        return Transition(False, current, "duplicate")
    return Transition(False, current, "out of order")


def _drops_rider(status: DeliveryStatus) -> bool:
    return status in (DeliveryStatus.PENDING_ACCEPT, DeliveryStatus.SUBMITTING)
