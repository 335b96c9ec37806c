"""Meituan status codes -> unified status, and error codes -> the CarrierError tree.

Only code 11 (接口流控) is documented; the rest are the codes our sandbox speaks,
backed by message keywords so a real answer still lands in the right class.
"""

from __future__ import annotations

from app.core.carriers.base import (
    AuthError,
    CarrierError,
    InsufficientBalanceError,
    NotFoundError,
    RateLimitedError,
    RejectedError,
)
from app.core.domain import DeliveryStatus

CARRIER = "meituan"

STATUS: dict[int, DeliveryStatus] = {
    0: DeliveryStatus.PENDING_ACCEPT,
    20: DeliveryStatus.ACCEPTED,
    30: DeliveryStatus.PICKED_UP,
    50: DeliveryStatus.DELIVERED,
    99: DeliveryStatus.CANCELLED,
}
RIDER_STATES = frozenset({20, 30})  # a repeat with another courier is a reassignment

RATE_LIMITED = 11  # documented for order/status/query
PARAM_ERROR = 5
SIGN_ERROR = 7
APPKEY_ERROR = 8
BALANCE = 16
NOT_FOUND = 19
BAD_STATE = 21

_AUTH_WORDS = ("签名", "sign", "appkey")
_RATE_WORDS = ("流控", "频繁", "限流")
_BALANCE_WORDS = ("余额",)
_NOT_FOUND_WORDS = ("不存在", "未找到")


def map_status(code: int) -> DeliveryStatus:
    return STATUS.get(code, DeliveryStatus.UNKNOWN)


def error_for(code: int, message: str) -> CarrierError:
    msg = message or "error"

    def has(words: tuple[str, ...]) -> bool:
        return any(w in msg for w in words)

    if code == RATE_LIMITED or has(_RATE_WORDS):
        return RateLimitedError(CARRIER, msg, code=code)
    if code in (SIGN_ERROR, APPKEY_ERROR) or has(_AUTH_WORDS):
        return AuthError(CARRIER, msg, code=code)
    if code == BALANCE or has(_BALANCE_WORDS):
        return InsufficientBalanceError(CARRIER, msg, code=code)
    if code == NOT_FOUND or has(_NOT_FOUND_WORDS):
        return NotFoundError(CARRIER, msg, code=code)
    return RejectedError(CARRIER, msg, code=code)
