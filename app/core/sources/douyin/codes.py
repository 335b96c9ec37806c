"""抖音来客 codes (shared/sources/wechat_miniprogram.md §3)."""

from __future__ import annotations

from app.core.domain.status import DeliveryStatus
from app.core.sources.base import SourceAuthError, SourceRateLimitedError, SourceUnavailableError
from app.core.sources.kit import ErrorRule

VERIFY_EVENT = "verify_webhook"  # [✓ DY2, DY6]
ORDER_EVENT = "life_trade_order_notify"  # [✓ DY3]
PAY_SUCCESS = "pay_success"
DELIVERY_EVENT = "life_takeout_delivery_change"  # [✓ DY4]

# Douyin's own rider (``delivery_status``) as our unified status [✓ DY4 names]
PLATFORM_STATUS: dict[int, DeliveryStatus] = {
    102: DeliveryStatus.ACCEPTED,
    103: DeliveryStatus.AT_PICKUP,
    104: DeliveryStatus.PICKED_UP,
    200: DeliveryStatus.DELIVERED,
    300: DeliveryStatus.CANCELLED,
}

# update_fulfill_status ``fulfill_status`` [✓ DY5]
MERCHANT_ACCEPTED = 101
MERCHANT_REJECTED = 102
WAIT_RIDER = 200
RIDER_ACCEPTED = 201
RIDER_IN_SHOP = 202
RIDER_TAKING = 203
DELIVERED = 500
FULFIL: dict[DeliveryStatus, int] = {
    DeliveryStatus.PENDING_ACCEPT: WAIT_RIDER,
    DeliveryStatus.ACCEPTED: RIDER_ACCEPTED,
    DeliveryStatus.AT_PICKUP: RIDER_IN_SHOP,
    DeliveryStatus.PICKED_UP: RIDER_TAKING,
    DeliveryStatus.DELIVERED: DELIVERED,
    # AT_DROPOFF has no code; CANCELLED: Douyin has no cancel sync [✓ DY5]
}
RIDER_REQUIRED = frozenset({RIDER_ACCEPTED, RIDER_IN_SHOP, RIDER_TAKING})  # [✓ DY5]

# ASSUMED [~ DY5 page]: error codes
BUSY_CODES = frozenset({2100001, 2100004, 2119002})
RATE_CODES = frozenset({2119003})
AUTH_CODES = frozenset({28001003, 28001008, 2190008})
ERRORS = (
    ErrorRule(SourceAuthError, AUTH_CODES),
    ErrorRule(SourceRateLimitedError, RATE_CODES),
    ErrorRule(SourceUnavailableError, BUSY_CODES),
)
