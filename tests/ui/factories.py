"""Synthetic board rows for UI tests (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.core.board import BoardRow, Lane
from app.core.domain import (
    Address,
    Channel,
    Customer,
    DeliveryAttempt,
    DeliveryStatus,
    Order,
    OrderState,
    Rider,
)
from app.core.domain.attention import Attention, AttentionReason

T0 = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
_LANES = list(Lane)


def make_row(i: int, lane: Lane | None = None, status=DeliveryStatus.ACCEPTED) -> BoardRow:
    lane = lane or _LANES[i % len(_LANES)]
    order = Order(
        pos_order_id=f"P{i:06d}",
        channel=Channel.POS,
        created_at=T0 + timedelta(seconds=i),
        customer=Customer(
            f"顾客{i}", f"138{i:08d}"[-11:], Address(f"上海市黄浦区测试路{i}号", 31.23, 121.47)
        ),
        pickup_no=f"A{i}",
        id=i,
        state=OrderState.DISPATCHING if lane is Lane.DELIVERING else OrderState.NEW,
        received_at=T0 + timedelta(seconds=i),
        distance_m=1500 + i % 3000,
    )
    attempt = None
    if lane in (Lane.DELIVERING, Lane.AWAITING):
        attempt = DeliveryAttempt(
            order_id=i, attempt_no=1, carrier="dada", idempotency_key=f"k{i}", status=status,
            id=i, quoted_fee_fen=900, rider=Rider("李师傅", "13900001111"),
        )  # fmt: skip
    attention = Attention(AttentionReason.NO_RIDER) if lane is Lane.ATTENTION else None
    return BoardRow(order, attempt, lane, attention)


def make_rows(n: int) -> list[BoardRow]:
    """Newest first, like ``service.board``."""
    return [make_row(i) for i in range(n, 0, -1)]


def make_source_row(
    i: int, source: str, display_no: int, fulfilment: str = "self_delivery", lane=Lane.NEW
) -> BoardRow:
    """A platform order as ``to_order`` puts it on the board (美团 #12, extra facts)."""
    name = {"meituan": "美团", "eleme": "饿了么"}[source]
    row = make_row(i, lane)
    order = Order(
        pos_order_id=f"{source}:{27061900338318741 + i}",
        channel=Channel(source),
        created_at=row.order.created_at,
        customer=row.order.customer,
        pickup_no=f"{name} #{display_no}",
        id=i,
        received_at=row.order.received_at,
        extra={
            "source": source,
            "source_order_id": str(27061900338318741 + i),
            "fulfilment": fulfilment,
            "dispatch": fulfilment == "self_delivery",
        },
    )
    return BoardRow(order, row.attempt, lane, row.attention)
