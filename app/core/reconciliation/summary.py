"""Pure per-attempt money rules and streaming aggregations (per carrier, per day).

Durations are kept as a ``Counter`` of 6-second buckets (0.1 minute, the precision the
sheets show), so memory stays flat however many attempts stream through; the mean is
exact (a running total), p90 is the nearest-rank percentile to the nearest 0.1 minute.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from app.core.domain import DeliveryAttempt, DeliveryStatus
from app.core.storage.recon_repo import AttemptRecord

DELIVERED = {DeliveryStatus.DELIVERED.value}
CANCELLED = {DeliveryStatus.CANCELLED.value, DeliveryStatus.RETURNED.value}

BUCKET_S = 6  # duration resolution for percentiles: 0.1 minute

MATCH_OK = "matched"
MATCH_VARIANCE = "variance"
MATCH_NONE = "unbilled"
MATCH_LABELS = {
    MATCH_OK: ("一致", "Matched"),
    MATCH_VARIANCE: ("有差异", "Variance"),
    MATCH_NONE: ("未对账", "Not billed"),
}


def net_cost_fen(r: AttemptRecord) -> int:
    """The domain rule (``DeliveryAttempt.net_cost_fen``) applied to a record."""
    a = DeliveryAttempt(
        r.order_id,
        r.attempt_no,
        r.carrier,
        r.idempotency_key,
        status=DeliveryStatus(r.status),
        quoted_fee_fen=r.quoted_fee_fen,
        actual_fee_fen=r.actual_fee_fen,
        tip_fen=r.tip_fen,
        insurance_fee_fen=r.insurance_fee_fen,
        cancel_fee_fen=r.cancel_fee_fen,
        refund_fen=r.refund_fen,
    )
    return a.net_cost_fen


@dataclass(frozen=True, slots=True)
class Money:
    """The computed money columns of one attempt row (all fen)."""

    net_cost: int
    customer_fee: int  # only on the order's last attempt, so sums count it once
    margin: int
    variance: int | None  # bill - net cost, None when no bill line matched
    match: str


def attempt_money(r: AttemptRecord) -> Money:
    net = net_cost_fen(r)
    fee = r.order_delivery_fee_fen if r.is_last else 0
    if r.bill_amount_fen is None:
        return Money(net, fee, fee - net, None, MATCH_NONE)
    var = r.bill_amount_fen - net
    return Money(net, fee, fee - net, var, MATCH_OK if var == 0 else MATCH_VARIANCE)


@dataclass
class Durations:
    """Mean (exact) and nearest-rank p90 (0.1 min buckets), in flat memory."""

    counts: Counter[int] = field(default_factory=Counter)
    n: int = 0
    total: int = 0

    def add(self, start: datetime | None, end: datetime | None) -> None:
        if start is None or end is None or end < start:
            return
        s = round((end - start).total_seconds())
        self.counts[round(s / BUCKET_S)] += 1
        self.n += 1
        self.total += s

    def mean_min(self) -> float | None:
        return None if not self.n else self.total / self.n / 60.0

    def p90_min(self) -> float | None:
        return percentile_min(self.counts, 0.9)


def percentile_min(counts: Counter[int], q: float) -> float | None:
    """Nearest-rank percentile of bucket counts, in minutes."""
    n = sum(counts.values())
    if not n:
        return None
    rank = max(1, math.ceil(q * n))
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return value * BUCKET_S / 60.0
    raise AssertionError("unreachable")


@dataclass(frozen=True, slots=True)
class SummaryRow:
    key: str  # carrier id or business date
    orders: int  # distinct orders with an attempt in the group
    attempts: int
    delivered: int
    cancels: int
    cancel_fee_fen: int
    tip_fen: int
    net_cost_fen: int
    accept_mean_min: float | None
    accept_p90_min: float | None
    deliver_mean_min: float | None
    deliver_p90_min: float | None
    failovers: int

    @property
    def cancel_rate(self) -> float:
        return self.cancels / self.attempts if self.attempts else 0.0


@dataclass
class GroupAgg:
    """Accumulates one group (a carrier, a day, or a day x carrier)."""

    key: str
    orders: int = 0
    last_order_id: int | None = None
    attempts: int = 0
    delivered: int = 0
    cancels: int = 0
    cancel_fee: int = 0
    tips: int = 0
    net: int = 0
    failovers: int = 0
    accept: Durations = field(default_factory=Durations)
    deliver: Durations = field(default_factory=Durations)

    def add(self, r: AttemptRecord, net: int) -> None:
        if r.order_id != self.last_order_id:  # input is ordered by order: count once
            self.orders += 1
            self.last_order_id = r.order_id
        self.attempts += 1
        self.net += net
        self.tips += r.tip_fen
        self.cancel_fee += r.cancel_fee_fen
        if not r.is_last:
            self.failovers += 1  # this attempt was abandoned for another one
        start = r.dispatched_at or r.created_at
        self.accept.add(start, r.accepted_at)
        if r.status in DELIVERED:
            self.delivered += 1
            self.deliver.add(start, r.finished_at)
        elif r.status in CANCELLED:
            self.cancels += 1

    def row(self) -> SummaryRow:
        return SummaryRow(
            self.key,
            self.orders,
            self.attempts,
            self.delivered,
            self.cancels,
            self.cancel_fee,
            self.tips,
            self.net,
            self.accept.mean_min(),
            self.accept.p90_min(),
            self.deliver.mean_min(),
            self.deliver.p90_min(),
            self.failovers,
        )


@dataclass(frozen=True, slots=True)
class Summary:
    carriers: list[SummaryRow]
    days: list[SummaryRow]
    day_carrier: dict[tuple[str, str], SummaryRow]
    total: SummaryRow


class Aggregator:
    """Feed every attempt once (``add``); ``result`` gives the carrier/day summaries.

    Attempts must arrive grouped by order (``iter_attempts`` orders by day, order,
    attempt): distinct orders are then counted without remembering order ids, so memory
    does not grow with the number of rows."""

    def __init__(self, *, day_carrier: bool = True) -> None:
        self.with_day_carrier = day_carrier
        self.carriers: dict[str, GroupAgg] = {}
        self.days: dict[str, GroupAgg] = {}
        self.day_carrier: dict[tuple[str, str], GroupAgg] = {}
        self.total = GroupAgg("total")

    def add(self, r: AttemptRecord, net: int | None = None) -> None:
        net = net_cost_fen(r) if net is None else net
        self.carriers.setdefault(r.carrier, GroupAgg(r.carrier)).add(r, net)
        self.days.setdefault(r.business_date, GroupAgg(r.business_date)).add(r, net)
        if not self.with_day_carrier:
            self.total.add(r, net)
            return
        dc = (r.business_date, r.carrier)
        self.day_carrier.setdefault(dc, GroupAgg(f"{dc[0]} {dc[1]}")).add(r, net)
        self.total.add(r, net)

    def result(self) -> Summary:
        return Summary(
            [g.row() for _, g in sorted(self.carriers.items())],
            [g.row() for _, g in sorted(self.days.items())],
            {k: g.row() for k, g in sorted(self.day_carrier.items())},
            self.total.row(),
        )
