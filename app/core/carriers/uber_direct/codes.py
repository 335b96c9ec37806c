"""Uber Direct statuses and error codes -> the unified model and the CarrierError tree.

Errors are HTTP status + ``{"code": "...", "message": "..."}``
(shared/carriers/uber_direct.md §5: 429 ``customer_limited`` [H]; the others ASSUMED).
"""

from __future__ import annotations

from app.core.carriers.kit import ErrorTable
from app.core.domain import DeliveryStatus

CARRIER = "uber_direct"


def status_of(status: str, courier_imminent: bool) -> DeliveryStatus:
    """§3: the status plus ``courier_imminent`` (about a minute away)."""
    if status == "pickup":
        return DeliveryStatus.AT_PICKUP if courier_imminent else DeliveryStatus.ACCEPTED
    if status == "dropoff":
        return DeliveryStatus.AT_DROPOFF if courier_imminent else DeliveryStatus.PICKED_UP
    return STATUS.get(status, DeliveryStatus.UNKNOWN)


STATUS: dict[str, DeliveryStatus] = {
    "pending": DeliveryStatus.PENDING_ACCEPT,
    "pickup_complete": DeliveryStatus.PICKED_UP,
    "delivered": DeliveryStatus.DELIVERED,
    "canceled": DeliveryStatus.CANCELLED,
    "returned": DeliveryStatus.RETURNED,
}

ERRORS = ErrorTable(
    CARRIER,
    codes={
        "auth": ("unauthorized", "invalid_client", "invalid_grant", "invalid_scope"),
        "rate_limit": ("customer_limited", "rate_limit_exceeded"),
        "balance": ("customer_suspended", "customer_blocked"),
        "not_found": ("delivery_not_found", "not_found"),
        "quote_expired": ("expired_quote", "quote_expired"),
        "invalid": ("invalid_params", "bad_request"),
    },
    words={"balance": ("payment", "suspended"), "not_found": ("not found",)},
    default_messages={
        "auth": "credentials refused",
        "rate_limit": "rate limited",
        "balance": "account cannot pay",
        "not_found": "no such delivery",
    },
    code_as_text=True,
)
