"""Fengniao status codes and error codes -> the unified model and the CarrierError tree.

v3 codes are assumed to equal the verified v2 tables (shared/carriers/fengniao.md §6, §9);
both can be extended through ``ctx.options`` (``status_overrides``, ``extra_error_codes``).
"""

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
from app.core.domain import DeliveryStatus

CARRIER = "fengniao"

STATUS: dict[str, DeliveryStatus] = {
    "0": DeliveryStatus.PENDING_ACCEPT,  # 订单生成 (v3 only, [?])
    "1": DeliveryStatus.PENDING_ACCEPT,  # 系统已接单
    "20": DeliveryStatus.ACCEPTED,  # 已分配骑手
    "80": DeliveryStatus.AT_PICKUP,  # 骑手已到店
    "2": DeliveryStatus.PICKED_UP,  # 配送中
    "3": DeliveryStatus.DELIVERED,  # 已送达
    "4": DeliveryStatus.CANCELLED,  # 已取消
    # 异常: v2 pushes it with error codes that all end the order ("建议商户改派"), so it is
    # terminal here: cancelled by the carrier system, the description kept as exception.
    "5": DeliveryStatus.CANCELLED,
}
EXCEPTION_CODES = frozenset({"5"})

AUTH_CODES = frozenset({"40001", "40002", "40003", "40004"})
DUPLICATE_CODES = frozenset({"50011"})
NOT_FOUND_CODES = frozenset({"50018", "50019", "50025", "50026", "50037"})
RATE_LIMIT_WORDS = ("频繁", "限流", "too many")
BALANCE_WORDS = ("余额",)


def status_of(code: object, overrides: Mapping[str, str] | None = None) -> DeliveryStatus:
    key = str(code).strip()
    if overrides and key in overrides:
        return DeliveryStatus(overrides[key])
    return STATUS.get(key, DeliveryStatus.UNKNOWN)


def is_duplicate(err: CarrierError) -> bool:
    return str(err.code) in DUPLICATE_CODES or "重复" in err.message


def _extra(extra: Mapping[str, object] | None, kind: str) -> set[str]:
    return {str(c) for c in (extra or {}).get(kind, ())}  # type: ignore[union-attr]


def error_for(code: object, msg: str, extra: Mapping[str, object] | None = None) -> CarrierError:
    """The CarrierError for a non-success envelope ``code``/``msg``."""
    key = str(code)
    low = msg.lower()
    if key in AUTH_CODES | _extra(extra, "auth"):
        return AuthError(CARRIER, msg or "signature or token refused", code=key)
    if key in _extra(extra, "rate_limit") or any(w in low for w in RATE_LIMIT_WORDS):
        return RateLimitedError(CARRIER, msg or "rate limited", code=key)
    if key in _extra(extra, "balance") or any(w in msg for w in BALANCE_WORDS):
        return InsufficientBalanceError(CARRIER, msg or "insufficient balance", code=key)
    if key in NOT_FOUND_CODES | _extra(extra, "not_found"):
        return NotFoundError(CARRIER, msg or "no such order", code=key)
    return RejectedError(CARRIER, msg or "rejected", code=key)
