"""Row <-> domain conversions (the only place that knows both shapes)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from app.core.domain import (
    Address,
    CancelledBy,
    Channel,
    CoordSystem,
    Customer,
    DeliveryAttempt,
    DeliveryStatus,
    DispatchMode,
    Item,
    Order,
    OrderState,
    Quote,
    Rider,
)


def order_to_row(o: Order) -> dict[str, Any]:
    a = o.customer.address
    return {
        "pos_order_id": o.pos_order_id,
        "channel": o.channel.value,
        "state": o.state.value,
        "created_at": o.created_at,
        "pickup_no": o.pickup_no,
        "customer_name": o.customer.name,
        "customer_phone": o.customer.phone,
        "address": a.text,
        "lat": a.lat,
        "lng": a.lng,
        "orig_system": a.orig_system.value,
        "orig_lat": a.orig_lat,
        "orig_lng": a.orig_lng,
        "items": [{"name": i.name, "qty": i.qty, "price_fen": i.price_fen} for i in o.items],
        "total_fen": o.total_fen,
        "goods_value_fen": o.goods_value_fen,
        "delivery_fee_fen": o.delivery_fee_fen,
        "weight_g": o.weight_g,
        "note": o.note,
        "expected_ready_at": o.expected_ready_at,
        "scheduled_at": o.scheduled_at,
        "dispatch_mode": o.dispatch_mode.value,
        "distance_m": o.distance_m,
        "extra": o.extra or {},
    }


def row_to_order(r: Row[Any]) -> Order:
    m = r._mapping
    addr = Address(
        m["address"],
        m["lat"],
        m["lng"],
        CoordSystem(m["orig_system"]),
        m["orig_lat"],
        m["orig_lng"],
    )
    return Order(
        pos_order_id=m["pos_order_id"],
        channel=Channel(m["channel"]),
        created_at=m["created_at"],
        customer=Customer(m["customer_name"], m["customer_phone"], addr),
        items=tuple(Item(i["name"], int(i["qty"]), int(i["price_fen"])) for i in m["items"]),
        total_fen=m["total_fen"],
        goods_value_fen=m["goods_value_fen"],
        delivery_fee_fen=m["delivery_fee_fen"],
        weight_g=m["weight_g"],
        note=m["note"],
        pickup_no=m["pickup_no"],
        expected_ready_at=m["expected_ready_at"],
        scheduled_at=m["scheduled_at"],
        dispatch_mode=DispatchMode(m["dispatch_mode"]),
        id=m["id"],
        state=OrderState(m["state"]),
        received_at=m["received_at"],
        distance_m=m["distance_m"],
        extra=dict(m["extra"] or {}, attention=m["attention"], source=m["source"]),
    )


_ATTEMPT_FIELDS = [
    "order_id",
    "attempt_no",
    "carrier",
    "idempotency_key",
    "carrier_order_id",
    "quote_token",
    "raw_status",
    "quoted_fee_fen",
    "actual_fee_fen",
    "tip_fen",
    "insurance_fee_fen",
    "cancel_fee_fen",
    "refund_fen",
    "distance_m",
    "created_at",
    "dispatched_at",
    "accepted_at",
    "picked_up_at",
    "finished_at",
    "cancel_reason",
    "error",
    "tracking_url",
    "exception",
    "last_seen_at",
    "race_group",
    "accept_deadline",
    "ladder_step",
    "tip_count",
    "recreates",
    "failover_pending",
    "cancel_requested_at",
]


def attempt_to_row(a: DeliveryAttempt) -> dict[str, Any]:
    row = {f: getattr(a, f) for f in _ATTEMPT_FIELDS}
    row.update(
        status=a.status.value,
        cancelled_by=a.cancelled_by.value if a.cancelled_by else None,
        rider_name=a.rider.name,
        rider_phone=a.rider.phone,
        rider_lat=a.rider.lat,
        rider_lng=a.rider.lng,
        rider_at=a.rider.at,
        extra=a.extra or {},
    )
    return row


def row_to_attempt(r: Row[Any]) -> DeliveryAttempt:
    m = r._mapping
    kw = {f: m[f] for f in _ATTEMPT_FIELDS}
    return DeliveryAttempt(
        **kw,
        id=m["id"],
        status=DeliveryStatus(m["status"]),
        cancelled_by=CancelledBy(m["cancelled_by"]) if m["cancelled_by"] else None,
        rider=Rider(
            m["rider_name"], m["rider_phone"], m["rider_lat"], m["rider_lng"], m["rider_at"]
        ),
        extra=dict(m["extra"] or {}),
    )


def quote_to_row(order_id: int, q: Quote) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "carrier": q.carrier,
        "fee_fen": q.fee_fen,
        "distance_m": q.distance_m,
        "quoted_at": q.quoted_at,
        "expires_at": q.expires_at,
        "binding": q.binding,
        "token": q.token,
        "accept_eta_s": q.accept_eta_s,
        "pickup_eta_s": q.pickup_eta_s,
        "delivery_eta_s": q.delivery_eta_s,
        "raw": q.raw or {},
    }


def row_to_quote(r: Row[Any]) -> Quote:
    m = r._mapping
    return Quote(
        carrier=m["carrier"],
        fee_fen=m["fee_fen"],
        distance_m=m["distance_m"],
        quoted_at=m["quoted_at"],
        binding=m["binding"],
        expires_at=m["expires_at"],
        token=m["token"],
        accept_eta_s=m["accept_eta_s"],
        pickup_eta_s=m["pickup_eta_s"],
        delivery_eta_s=m["delivery_eta_s"],
        raw=m["raw"] or {},
    )
