"""DoorDash Drive ``delivery_status`` values and HTTP error answers -> the unified model.

Drive answers errors by HTTP status with ``{code, message, field_errors[]}`` [M]; the
status list is the Dart SDK's, cross-checked with the OpenAPI catalogue [H].
"""

from __future__ import annotations

from app.core.carriers.kit import ErrorTable
from app.core.domain import CancelledBy, DeliveryStatus

CARRIER = "doordash"

STATUS: dict[str, DeliveryStatus] = {
    "quote": DeliveryStatus.PENDING_ACCEPT,
    "created": DeliveryStatus.PENDING_ACCEPT,
    "confirmed": DeliveryStatus.ACCEPTED,
    "enroute_to_pickup": DeliveryStatus.ACCEPTED,
    "arrived_at_pickup": DeliveryStatus.AT_PICKUP,
    "picked_up": DeliveryStatus.PICKED_UP,
    "enroute_to_dropoff": DeliveryStatus.PICKED_UP,
    "arrived_at_dropoff": DeliveryStatus.AT_DROPOFF,
    "delivered": DeliveryStatus.DELIVERED,
    "enroute_to_return": DeliveryStatus.RETURNING,
    "arrived_at_return": DeliveryStatus.RETURNING,
    "returned": DeliveryStatus.RETURNED,
    "cancelled": DeliveryStatus.CANCELLED,
}

# cancellation_reason -> who cancelled [H values; attribution ours]
CANCELLED_BY: dict[str, CancelledBy] = {
    "cancelled_by_creator": CancelledBy.MERCHANT,
    "failed_to_process_payment": CancelledBy.CARRIER_SYSTEM,
    "failed_to_assign_and_refunded": CancelledBy.CARRIER_SYSTEM,
    "failed_to_pickup": CancelledBy.RIDER,
    "failed_to_deliver": CancelledBy.RIDER,
    "failed_to_return": CancelledBy.RIDER,
}


def status_of(value: object) -> DeliveryStatus:
    return STATUS.get(str(value or "").strip().lower(), DeliveryStatus.UNKNOWN)


# HTTP status codes as the error codes (401/403 are caught before this table)
ERRORS = ErrorTable(
    CARRIER,
    codes={
        "auth": (401, 403),
        "not_found": (404,),
        "duplicate": (409,),
        "rate_limit": (429,),
    },
    words={
        "duplicate": ("duplicate", "already exists"),
        "quote_expired": ("expired",),
        "balance": ("payment",),
    },
    default_messages={"not_found": "no such delivery", "duplicate": "duplicate delivery id"},
)
