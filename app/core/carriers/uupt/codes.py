"""UU v3 states and error codes -> the unified model and the CarrierError tree.

States follow the callback table corroborated twice (1, 2 rider withdrew, 3, 4, 5, 6,
10, negatives cancelled) plus the skill's detail codes 11 (cancelled) and 20 (异常).
Error codes are the v2 table, assumed for v3; more via ``extra_error_codes``.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.core.carriers.kit import ErrorTable
from app.core.domain import DeliveryStatus

CARRIER = "uupt"

STATUS: dict[str, DeliveryStatus] = {
    "1": DeliveryStatus.PENDING_ACCEPT,  # 下单成功
    "2": DeliveryStatus.PENDING_ACCEPT,  # 跑男取消 -> back to the pool (reassignment)
    "3": DeliveryStatus.ACCEPTED,
    "4": DeliveryStatus.AT_PICKUP,
    "5": DeliveryStatus.PICKED_UP,
    "6": DeliveryStatus.AT_DROPOFF,
    "10": DeliveryStatus.DELIVERED,
    "11": DeliveryStatus.CANCELLED,
    # 20 异常订单 is a flag, not a phase: UNKNOWN keeps the watermark, exception text set
}
REASSIGNMENT_CODES = frozenset({"2"})
EXCEPTION_CODES = frozenset({"20"})

AUTH_CODES = frozenset({"-102", "-103", "-104", "-105"})
RATE_LIMIT_CODES = frozenset({"-10001"})
NOT_FOUND_CODES = frozenset({"-4002", "-5001", "-5002", "-5003"})
TOKEN_CODES = frozenset({"-2001", "-2002"})  # price_token invalid/expired: re-quote


def status_of(code: object, overrides: Mapping[str, str] | None = None) -> DeliveryStatus:
    key = str(code).strip()
    if overrides and key in overrides:
        return DeliveryStatus(overrides[key])
    if key.startswith("-") and key[1:].isdigit():
        return DeliveryStatus.CANCELLED
    return STATUS.get(key, DeliveryStatus.UNKNOWN)


# configured ``extra_error_codes`` add to these (v3 codes assumed = v2)
ERRORS = ErrorTable(
    CARRIER,
    codes={"auth": AUTH_CODES, "rate_limit": RATE_LIMIT_CODES, "not_found": NOT_FOUND_CODES},
    words={"rate_limit": ("频率",), "balance": ("余额",), "duplicate": ("重复", "已存在")},
    default_messages={
        "auth": "signature or credentials refused",
        "rate_limit": "发送频率过快",
        "balance": "insufficient balance",
        "not_found": "no such order",
    },
    replace_on_override=False,
    code_as_text=True,
)
