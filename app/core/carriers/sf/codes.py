"""SF status codes -> unified status, and SF error codes -> the CarrierError tree.

SF publishes no error-code table, so classification is by a few codes seen in SDKs
(and used by our sandbox) plus message keywords; everything else is ``RejectedError``.
"""

from __future__ import annotations

from app.core.carriers.base import RejectedError
from app.core.carriers.kit import ErrorTable
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
    # 22 配送员撤单: our notes read re-dispatch (reassignment); a production POS (Digiwin)
    # files it with 2 and 28 as cancelled. ASSUMED: ``Options.status_22`` chooses.
    22: DeliveryStatus.PENDING_ACCEPT,
    28: DeliveryStatus.CANCELLED,  # 可疑单被拒单 (settled by the audit: Digiwin, cancel-type)
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


class DuplicateOrderError(RejectedError):
    """createorder refused a shop_order_id that already exists in the shop."""


def map_status(code: int, status_22: str = "reassign") -> DeliveryStatus:
    """``status_22``: "reassign" (22 = back to dispatch) or "cancelled" (22 is terminal)."""
    if code == 22 and status_22 == "cancelled":
        return DeliveryStatus.CANCELLED
    return STATUS.get(code, DeliveryStatus.UNKNOWN)


ERRORS = ErrorTable(
    CARRIER,
    codes={
        "auth": (AUTH_SIGN, AUTH_DEV),
        "rate_limit": (RATE_LIMITED,),
        "balance": (BALANCE,),
        "duplicate": (DUPLICATE,),
        "not_found": (NOT_FOUND,),
    },
    words={
        "auth": ("签名", "sign", "dev_id", "开发者"),
        "rate_limit": ("频繁", "限流", "流控"),
        "balance": ("余额",),
        "duplicate": ("重复", "已存在"),
        "not_found": ("不存在", "未找到"),
    },
    classes={"duplicate": DuplicateOrderError},
    default_message="error",
)
