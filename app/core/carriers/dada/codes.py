"""Dada status codes -> unified status, and Dada error answers -> the CarrierError tree.

Dada publishes no error-code table, so errors are classified by code (configurable,
``ERROR_CODES`` defaults are guesses) and then by message keywords."""

from __future__ import annotations

from app.core.carriers.kit import ErrorTable, to_int
from app.core.domain import CancelledBy, DeliveryStatus

CARRIER = "dada"

EXPIRED = 7  # 已过期
EXPIRED_REASON = "已过期"

STATUS: dict[int, DeliveryStatus] = {
    1: DeliveryStatus.PENDING_ACCEPT,
    8: DeliveryStatus.PENDING_ACCEPT,  # appended, waiting for the same rider
    2: DeliveryStatus.ACCEPTED,
    100: DeliveryStatus.AT_PICKUP,
    3: DeliveryStatus.PICKED_UP,
    4: DeliveryStatus.DELIVERED,
    5: DeliveryStatus.CANCELLED,
    # 7 已过期 (older doc copies: Digiwin, Kotlin and PHP SDKs; audit F10): nobody took it
    # in time and Dada closed it, i.e. a cancel by the carrier's system
    7: DeliveryStatus.CANCELLED,
    9: DeliveryStatus.RETURNING,
    10: DeliveryStatus.RETURNED,
    1000: DeliveryStatus.CREATE_FAILED,
}

CANCEL_FROM: dict[int, CancelledBy] = {
    0: CancelledBy.UNKNOWN,
    1: CancelledBy.RIDER,
    2: CancelledBy.MERCHANT,
    3: CancelledBy.CARRIER_SYSTEM,
}

REPEAT_REASON: dict[int, str] = {1: "rider reassigned", 2: "rider transferred the order"}

# [?] guessed defaults; the first code of each kind is what the sandbox answers with
ERROR_CODES: dict[str, tuple[int, ...]] = {
    "auth": (2003, 2004, 2005),
    "rate_limit": (2999,),
    "balance": (2076,),
    "not_found": (2012,),
    "duplicate": (2105,),
    "state": (2062,),
    "invalid": (2001,),
    "quote_expired": (2108,),
}

KEYWORDS: dict[str, tuple[str, ...]] = {
    "auth": ("签名", "app_key", "appkey", "source_id"),
    "rate_limit": ("频繁", "限流", "超过调用频率"),
    "balance": ("余额",),
    "not_found": ("不存在",),
    "duplicate": ("已存在", "重复"),
}


def expired(code: object) -> bool:
    return to_int(code) == EXPIRED


def status_of(code: object) -> DeliveryStatus:
    num = to_int(code)
    return DeliveryStatus.UNKNOWN if num is None else STATUS.get(num, DeliveryStatus.UNKNOWN)


def code_for(state_code: DeliveryStatus) -> int:
    """Unified -> Dada code (first match), for the sandbox."""
    for code, st in STATUS.items():
        if st is state_code:
            return code
    raise KeyError(state_code)


# configured ``error_codes`` replace a kind's guessed codes
ERRORS = ErrorTable(CARRIER, ERROR_CODES, KEYWORDS, replace_on_override=True)
