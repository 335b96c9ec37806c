"""Fengniao status codes and error codes -> the unified model and the CarrierError tree.

v3 codes are assumed to equal the verified v2 tables (shared/carriers/fengniao.md §6, §9);
both can be extended through ``ctx.options`` (``status_overrides``, ``extra_error_codes``).
"""

from __future__ import annotations

from collections.abc import Mapping

from app.core.carriers.kit import ErrorTable
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


def status_of(code: object, overrides: Mapping[str, str] | None = None) -> DeliveryStatus:
    key = str(code).strip()
    if overrides and key in overrides:
        return DeliveryStatus(overrides[key])
    return STATUS.get(key, DeliveryStatus.UNKNOWN)


# configured ``extra_error_codes`` add to these (v3 codes assumed = v2)
ERRORS = ErrorTable(
    CARRIER,
    codes={"auth": AUTH_CODES, "duplicate": DUPLICATE_CODES, "not_found": NOT_FOUND_CODES},
    words={
        "rate_limit": ("频繁", "限流", "too many"),
        "balance": ("余额",),
        "duplicate": ("重复",),
    },
    default_messages={
        "auth": "signature or token refused",
        "rate_limit": "rate limited",
        "balance": "insufficient balance",
        "not_found": "no such order",
    },
    replace_on_override=False,
    code_as_text=True,
)
