"""Pure per-attempt money rules and streaming aggregations (per carrier, per day).

Durations are kept as a ``Counter`` of 6-second buckets (0.1 minute, the precision the
sheets show), so memory stays flat however many attempts stream through; the mean is
exact (a running total), p90 is the nearest-rank percentile to the nearest 0.1 minute.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
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


_FEE_STATUSES = frozenset({DeliveryStatus.DELIVERED.value, DeliveryStatus.RETURNED.value})


def record_net_cost(r: AttemptRecord) -> int:
    """``net_cost_fen`` without building a ``DeliveryAttempt`` per row (that was a third
    of computing an export row); a test holds it equal to the domain rule."""
    if r.status in _FEE_STATUSES:
        fee = r.actual_fee_fen if r.actual_fee_fen is not None else r.quoted_fee_fen
        return fee + r.tip_fen + r.insurance_fee_fen - r.refund_fen
    return r.cancel_fee_fen


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

    def merge(self, other: Durations) -> None:
        self.counts.update(other.counts)
        self.n += other.n
        self.total += other.total


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


class Cell:
    """Accumulates one (business day, carrier) cell; carrier, day and total rows are
    sums of cells (``merge``), so each attempt costs one dict lookup and one ``add``."""

    __slots__ = (
        "accept",
        "attempts",
        "cancel_fee",
        "cancels",
        "deliver",
        "delivered",
        "failovers",
        "last_order_id",
        "net",
        "orders",
        "tips",
    )  # fmt: skip

    def __init__(self) -> None:
        self.orders = self.attempts = self.delivered = self.cancels = 0
        self.cancel_fee = self.tips = self.net = self.failovers = 0
        self.last_order_id: int | None = None
        self.accept, self.deliver = Durations(), Durations()

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


def merge(key: str, cells: Iterable[Cell], orders: int | None = None) -> SummaryRow:
    """One summary row from cells. ``orders`` overrides the sum of the cells' distinct
    orders where an order can span cells (a day's failover to another carrier)."""
    m, accept, deliver = Cell(), Durations(), Durations()
    for c in cells:
        m.orders += c.orders
        m.attempts += c.attempts
        m.delivered += c.delivered
        m.cancels += c.cancels
        m.cancel_fee += c.cancel_fee
        m.tips += c.tips
        m.net += c.net
        m.failovers += c.failovers
        accept.merge(c.accept)
        deliver.merge(c.deliver)
    return SummaryRow(key, m.orders if orders is None else orders, m.attempts, m.delivered,
                      m.cancels, m.cancel_fee, m.tips, m.net, accept.mean_min(),
                      accept.p90_min(), deliver.mean_min(), deliver.p90_min(),
                      m.failovers)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Summary:
    carriers: list[SummaryRow]
    days: list[SummaryRow]
    day_carrier: dict[tuple[str, str], SummaryRow]
    total: SummaryRow


class Aggregator:
    """Feed every attempt once (``add``); ``result`` gives the carrier/day summaries.

    Attempts must arrive grouped by order (``iter_attempts`` orders by day, order,
    attempt): distinct orders are then counted without remembering order ids. State is
    one ``Cell`` per (day, carrier) plus a distinct-order count per day, so memory does
    not grow with the number of rows; an order belongs to one business day, so a
    carrier's distinct orders are the sum over its cells."""

    def __init__(self, *, day_carrier: bool = True) -> None:
        self.with_day_carrier = day_carrier
        self.cells: dict[tuple[str, str], Cell] = {}
        self.day_orders: dict[str, int] = {}
        self.last_order_id: int | None = None

    def add(self, r: AttemptRecord, net: int | None = None) -> None:
        net = record_net_cost(r) if net is None else net
        key = (r.business_date, r.carrier)
        if (cell := self.cells.get(key)) is None:
            cell = self.cells[key] = Cell()
        cell.add(r, net)
        if r.order_id != self.last_order_id:
            self.last_order_id = r.order_id
            self.day_orders[r.business_date] = self.day_orders.get(r.business_date, 0) + 1

    def result(self) -> Summary:
        by_carrier: dict[str, list[Cell]] = {}
        by_day: dict[str, list[Cell]] = {}
        for (day, carrier), cell in self.cells.items():
            by_carrier.setdefault(carrier, []).append(cell)
            by_day.setdefault(day, []).append(cell)
        cells = sorted(self.cells.items())
        return Summary(
            [merge(k, v) for k, v in sorted(by_carrier.items())],
            [merge(k, v, self.day_orders[k]) for k, v in sorted(by_day.items())],
            {k: merge(f"{k[0]} {k[1]}", [c]) for k, c in cells if self.with_day_carrier},
            merge("total", self.cells.values(), sum(self.day_orders.values())),
        )
