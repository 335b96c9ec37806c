"""One try at one carrier for one order, and the rider doing it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from app.core.domain.status import CancelledBy, DeliveryStatus


@dataclass(frozen=True, slots=True)
class Rider:
    name: str = ""
    phone: str = ""
    lat: float | None = None  # GCJ-02
    lng: float | None = None
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    order_id: int
    attempt_no: int
    carrier: str
    idempotency_key: str  # our origin id at the carrier; committed before create
    status: DeliveryStatus = DeliveryStatus.SUBMITTING
    id: int | None = None
    carrier_order_id: str = ""
    quote_token: str = ""
    raw_status: str = ""
    rider: Rider = field(default_factory=Rider)
    quoted_fee_fen: int = 0
    actual_fee_fen: int | None = None
    tip_fen: int = 0
    insurance_fee_fen: int = 0
    cancel_fee_fen: int = 0
    refund_fen: int = 0
    distance_m: int | None = None
    created_at: datetime | None = None
    dispatched_at: datetime | None = None
    accepted_at: datetime | None = None
    picked_up_at: datetime | None = None
    finished_at: datetime | None = None  # delivered, cancelled, returned or failed
    cancelled_by: CancelledBy | None = None
    cancel_reason: str = ""
    error: str = ""
    tracking_url: str = ""
    exception: str = ""  # rider-reported exception flag text
    last_seen_at: datetime | None = None  # last time the carrier told us anything
    # the dispatch engine's own state for this attempt (typed, and stored in columns, so
    # a restart resumes exactly where it stopped)
    race_group: str = ""  # attempts created together in race mode share it
    accept_deadline: datetime | None = None  # set: overrides dispatched_at + accept timeout
    ladder_step: int = 0  # next rung of [dispatch] tip_ladder_fen
    tip_count: int = 0  # tips added so far (carriers cap the number)
    recreates: int = 0  # creates re-sent with the same key after NotFound
    failover_pending: bool = False  # re-dispatch once the carrier confirms our cancel
    cancel_requested_at: datetime | None = None  # set: we asked the carrier to cancel
    # carrier-private ids only (delivery_id, sf_pushed...): the adapters own these keys
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def with_(self, **changes: Any) -> DeliveryAttempt:
        return replace(self, **changes)

    @property
    def net_cost_fen(self) -> int:
        """What this attempt costs the shop: delivered fee + tip, or the cancel fee."""
        if self.status is DeliveryStatus.DELIVERED or self.status is DeliveryStatus.RETURNED:
            fee = self.actual_fee_fen if self.actual_fee_fen is not None else self.quoted_fee_fen
            return fee + self.tip_fen + self.insurance_fee_fen - self.refund_fen
        return self.cancel_fee_fen
