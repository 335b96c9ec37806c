"""SF status codes -> unified status, and SF error codes -> the CarrierError tree.

SF publishes no error-code table, so classification is by a few codes seen in SDKs
(and used by our sandbox) plus message keywords; everything else is ``RejectedError``.
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

CARRIER = "sf"

STATUS: dict[int, DeliveryStatus] = {
    1: DeliveryStatus.PENDING_ACCEPT,
    2: DeliveryStatus.CANCELLED,
    10: DeliveryStatus.ACCEPTED,
    12: DeliveryStatus.AT_PICKUP,
    14: DeliveryStatus.PICKED_UP,  # [L] seen once in a listorderfeed sample
    15: DeliveryStatus.PICKED_UP,
    17: DeliveryStatus.DELIVERED,
    22: DeliveryStatus.PENDING_ACCEPT,  # rider withdrew: re-dispatch (reassignment)
    28: DeliveryStatus.CANCELLED,  # [L] 可疑单被拒单
    31: DeliveryStatus.CANCEL_REQUESTED,
}
REASSIGNMENT = frozenset({22})
EXCEPTION = frozenset({91})  # rider-reported exception: a flag, not a phase

# Codes our sandbox speaks (guessed from SDKs; the real table is [?]).
AUTH_SIGN = 1003
AUTH_DEV = 1004
RATE_LIMITED = 1010
BAD_PARAM = 1001
NOT_FOUND = 2002
DUPLICATE = 2003
NOT_CANCELLABLE = 2005
BALANCE = 3004

_AUTH = {AUTH_SIGN, AUTH_DEV}
_AUTH_WORDS = ("签名", "sign", "dev_id", "开发者")
_RATE_WORDS = ("频繁", "限流", "流控")
_BALANCE_WORDS = ("余额",)
_NOT_FOUND_WORDS = ("不存在", "未找到")
_DUP_WORDS = ("重复", "已存在")


class DuplicateOrderError(RejectedError):
    """createorder refused a shop_order_id that already exists in the shop."""


def map_status(code: int) -> DeliveryStatus:
    return STATUS.get(code, DeliveryStatus.UNKNOWN)


def error_for(code: int, message: str) -> CarrierError:
    msg = message or "error"

    def has(words: tuple[str, ...]) -> bool:
        return any(w in msg for w in words)

    if code in _AUTH or has(_AUTH_WORDS):
        return AuthError(CARRIER, msg, code=code)
    if code == RATE_LIMITED or has(_RATE_WORDS):
        return RateLimitedError(CARRIER, msg, code=code)
    if code == BALANCE or has(_BALANCE_WORDS):
        return InsufficientBalanceError(CARRIER, msg, code=code)
    if code == DUPLICATE or has(_DUP_WORDS):
        return DuplicateOrderError(CARRIER, msg, code=code)
    if code == NOT_FOUND or has(_NOT_FOUND_WORDS):
        return NotFoundError(CARRIER, msg, code=code)
    return RejectedError(CARRIER, msg, code=code)
