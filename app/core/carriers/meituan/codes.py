"""Meituan status codes -> unified status, and error codes -> the CarrierError tree.

Only code 11 (接口流控) is documented; the rest are the codes our sandbox speaks,
backed by message keywords so a real answer still lands in the right class.
"""

from __future__ import annotations

from app.core.carriers.kit import ErrorTable
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

RATE_LIMITED = 11  # verified (audit §4, legacy doc copy): 接口流控, >10 calls/s per appkey
PARAM_ERROR = 5
SIGN_ERROR = 7
APPKEY_ERROR = 8
BALANCE = 16
NOT_FOUND = 19
BAD_STATE = 21


def map_status(code: int) -> DeliveryStatus:
    return STATUS.get(code, DeliveryStatus.UNKNOWN)


ERRORS = ErrorTable(
    CARRIER,
    codes={
        "rate_limit": (RATE_LIMITED,),
        "auth": (SIGN_ERROR, APPKEY_ERROR),
        "balance": (BALANCE,),
        "not_found": (NOT_FOUND,),
    },
    words={
        "rate_limit": ("流控", "频繁", "限流"),
        "auth": ("签名", "sign", "appkey"),
        "balance": ("余额",),
        "not_found": ("不存在", "未找到"),
    },
    default_message="error",
    order=("rate_limit", "auth", "balance", "not_found"),  # 接口流控 wins over the rest
)
