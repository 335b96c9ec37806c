"""What the POS API answers with: JSON views of stored orders (phones masked), and the
cancel operation (through the dispatcher when a carrier attempt is live)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from app.core.domain import DeliveryAttempt, OrderState
from app.core.privacy import mask_phone, mask_phones_in

if TYPE_CHECKING:  # the service imports the POS parts: only the names, for the checker
    from app.core.dispatch import Dispatcher
    from app.core.domain import Order
    from app.core.service import AppService, OrderDetail

log = logging.getLogger(__name__)
FINISHED = frozenset({OrderState.DELIVERED, OrderState.SELF_DELIVERED})


def iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.isoformat().replace("+00:00", "Z")


def order_ref(order: Order, status: str | None = None) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "pos_order_id": order.pos_order_id,
        "status": status or order.state.value,
    }


def _delivery(a: DeliveryAttempt | None) -> dict[str, Any] | None:
    if a is None:
        return None
    r = a.rider
    return {
        "attempt_no": a.attempt_no,
        "status": a.status.value,
        "carrier": a.carrier,
        "carrier_order_id": a.carrier_order_id,
        "rider": {
            "name": r.name,
            "phone": mask_phone(r.phone),
            "lat": r.lat,
            "lng": r.lng,
            "at": iso(r.at),
        },
        "fees": {
            "quoted_fee_fen": a.quoted_fee_fen,
            "actual_fee_fen": a.actual_fee_fen,
            "tip_fen": a.tip_fen,
            "insurance_fee_fen": a.insurance_fee_fen,
            "cancel_fee_fen": a.cancel_fee_fen,
            "refund_fen": a.refund_fen,
        },
        "distance_m": a.distance_m,
        "tracking_url": a.tracking_url,
        "timestamps": {
            "created_at": iso(a.created_at),
            "dispatched_at": iso(a.dispatched_at),
            "accepted_at": iso(a.accepted_at),
            "picked_up_at": iso(a.picked_up_at),
            "finished_at": iso(a.finished_at),
        },
        "cancelled_by": a.cancelled_by.value if a.cancelled_by else None,
        "cancel_reason": a.cancel_reason,
    }


def order_detail(detail: OrderDetail) -> dict[str, Any]:
    """The ``GET /api/v1/orders/{pos_order_id}`` body."""
    o = detail.order
    a = detail.attempt
    return {
        **order_ref(o),
        "channel": o.channel.value,
        "dispatch": o.dispatch_mode.value,
        "delivery_status": a.status.value if a else None,
        "delivery": _delivery(a),
        "attempts": len(detail.attempts),
        "cost_fen": sum(x.net_cost_fen for x in detail.attempts),
        "delivery_fee_fen": o.delivery_fee_fen,
        "timestamps": {
            "created_at": iso(o.created_at),
            "received_at": iso(o.received_at),
            "expected_ready_at": iso(o.expected_ready_at),
            "scheduled_at": iso(o.scheduled_at),
        },
        "events": [
            {
                "at": iso(e.at),
                "kind": e.kind,
                "actor": e.actor,
                "message": mask_phones_in(e.message),
            }
            for e in detail.events
        ],
    }


class CancelRefused(Exception):
    def __init__(self, code: str, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


async def cancel(
    service: AppService, detail: OrderDetail, reason: str, confirm: bool
) -> dict[str, Any]:
    """Preview (``confirm`` false) or perform the cancel; returns the response body.

    With a dispatcher, the cancel always goes through it (even with no live attempt): it
    also drops a queued auto-dispatch timer. Without one, the order is cancelled here."""
    o = detail.order
    assert o.id is not None  # a stored order
    if o.state in FINISHED:
        raise CancelRefused("not_cancellable", f"order is already {o.state.value}")
    if o.state is OrderState.CANCELLED:
        return {**order_ref(o), "cancel_fee_fen": 0, "cancelled": True}
    live = detail.attempt is not None and detail.attempt.status.live
    # typed as always there, but a core built for a tool or test may lack one
    disp: Dispatcher | None = service.dispatcher
    if not confirm:
        fee = await disp.cancel_preview(o.id) if live and disp is not None else 0
        return {**order_ref(o), "cancel_fee_fen": fee, "cancelled": False}
    if disp is not None:
        try:
            fee = await disp.cancel(o.id, reason, actor="pos")
        except Exception as e:  # the carrier did not confirm: the order needs a human
            log.exception("POS cancel of order %s failed", o.id)
            raise CancelRefused("cancel_failed", f"cancel not confirmed: {e}", 502) from e
        after = await service.db.run(service.db.get_order, o.id)
        return {**order_ref(after or o), "cancel_fee_fen": fee, "cancelled": True}
    now = service.clock.now()
    await service.db.run(service.db.set_order_state, o.id, OrderState.CANCELLED, now)
    msg = f"cancelled by POS: {reason}" if reason else "cancelled by POS"
    await service.log_event(o.id, "cancelled", "pos", msg, {"reason": reason, "fee_fen": 0})
    return {**order_ref(o, OrderState.CANCELLED.value), "cancel_fee_fen": 0, "cancelled": True}
