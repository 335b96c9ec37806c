"""Dada status codes -> unified status, and Dada error answers -> the CarrierError tree.

Dada publishes no error-code table, so errors are classified by code (configurable,
``ERROR_CODES`` defaults are guesses) and then by message keywords."""

from __future__ import annotations

from collections.abc import Mapping

from app.core.carriers.base import (
    AuthError,
    CarrierError,
    InsufficientBalanceError,
    NotFoundError,
    RateLimitedError,
    RejectedError,
)
from app.core.domain import CancelledBy, DeliveryStatus

CARRIER = "dada"

STATUS: dict[int, DeliveryStatus] = {
    1: DeliveryStatus.PENDING_ACCEPT,
    8: DeliveryStatus.PENDING_ACCEPT,  # appended, waiting for the same rider
    2: DeliveryStatus.ACCEPTED,
    100: DeliveryStatus.AT_PICKUP,
    3: DeliveryStatus.PICKED_UP,
    4: DeliveryStatus.DELIVERED,
    5: DeliveryStatus.CANCELLED,
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


def status_of(code: object) -> DeliveryStatus:
    try:
        return STATUS.get(int(code), DeliveryStatus.UNKNOWN)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DeliveryStatus.UNKNOWN


def code_for(state_code: DeliveryStatus) -> int:
    """Unified -> Dada code (first match), for the sandbox."""
    for code, st in STATUS.items():
        if st is state_code:
            return code
    raise KeyError(state_code)


def classify(code: object, msg: str, overrides: Mapping[str, object] | None = None) -> str:
    """Which kind of error a Dada answer is: auth, rate_limit, balance, not_found, ..."""
    table = {**ERROR_CODES, **{k: tuple(v) for k, v in (overrides or {}).items()}}  # type: ignore[call-overload]
    try:
        num = int(code)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        num = None
    for kind, nums in table.items():
        if num is not None and num in nums:
            return kind
    for kind, words in KEYWORDS.items():
        if any(w in (msg or "") for w in words):
            return kind
    return "other"


def error_for(
    code: object, msg: str, overrides: Mapping[str, object] | None = None
) -> CarrierError:
    kind = classify(code, msg, overrides)
    text = msg or "rejected"
    if kind == "auth":
        return AuthError(CARRIER, text, code=code)  # type: ignore[arg-type]
    if kind == "rate_limit":
        return RateLimitedError(CARRIER, text, code=code)
    if kind == "balance":
        return InsufficientBalanceError(CARRIER, text, code=code)  # type: ignore[arg-type]
    if kind == "not_found":
        return NotFoundError(CARRIER, text, code=code)  # type: ignore[arg-type]
    return RejectedError(CARRIER, text, code=code)  # type: ignore[arg-type]


def is_duplicate(err: CarrierError, overrides: Mapping[str, object] | None = None) -> bool:
    return (
        isinstance(err, RejectedError) and classify(err.code, err.message, overrides) == "duplicate"
    )
