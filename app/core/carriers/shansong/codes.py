"""Shansong status / sub-status -> unified status (with reassignment), and Shansong error
answers -> the CarrierError tree. No error table is public: codes are configurable
guesses (``ERROR_CODES``), then message keywords decide."""

from __future__ import annotations

from app.core.carriers.kit import ErrorTable, to_int
from app.core.domain import CancelledBy, DeliveryStatus

CARRIER = "shansong"

# (status, subStatus) -> unified; subStatus None = any
STATUS: dict[tuple[int, int | None], DeliveryStatus] = {
    (20, None): DeliveryStatus.PENDING_ACCEPT,
    (30, 1): DeliveryStatus.ACCEPTED,
    (30, 2): DeliveryStatus.AT_PICKUP,
    (30, None): DeliveryStatus.ACCEPTED,
    (40, 1): DeliveryStatus.PICKED_UP,
    (40, 2): DeliveryStatus.CANCEL_REQUESTED,
    (40, 3): DeliveryStatus.RETURNING,
    (40, 4): DeliveryStatus.CANCEL_REQUESTED,
    (40, None): DeliveryStatus.PICKED_UP,
    (50, 2): DeliveryStatus.CANCELLED,  # 已退款: a refunded completion
    (50, None): DeliveryStatus.DELIVERED,
    (60, None): DeliveryStatus.CANCELLED,
}
REASSIGNING = (20, 2)  # 转单改派中

STATUS_DESC = {20: "派单中", 30: "待取货", 40: "闪送中", 50: "已完成", 60: "已取消"}
SUB_DESC = {
    (20, 1): "派单中", (20, 2): "转单改派中", (30, 1): "待取货", (30, 2): "已就位",
    (40, 1): "闪送中", (40, 2): "申请取消中", (40, 3): "物品送回中", (40, 4): "取消单客服介入中",
    (50, 1): "已完成", (50, 2): "已退款",
}  # fmt: skip

# abortType: who initiated. 1 is Shansong's "customer", i.e. the shop that ordered.
ABORT_TYPE: dict[int, CancelledBy] = {
    1: CancelledBy.MERCHANT,
    3: CancelledBy.RIDER,
    10: CancelledBy.CARRIER_SYSTEM,
}

ERROR_CODES: dict[str, tuple[int, ...]] = {
    "auth": (40001, 40002, 40003),
    "rate_limit": (42900,),
    "balance": (50010,),
    "not_found": (40400,),
    "duplicate": (40900,),
    "state": (40901,),
    "invalid": (40000,),
    "quote_expired": (40401,),
}

KEYWORDS: dict[str, tuple[str, ...]] = {
    "auth": ("签名", "clientId", "shopId", "鉴权"),
    "rate_limit": ("频繁", "限流"),
    "balance": ("余额",),
    "not_found": ("不存在",),
    "duplicate": ("已存在", "重复", "已提交"),
}


def status_of(status: object, sub: object = None) -> tuple[DeliveryStatus, bool]:
    """-> (unified status, explicit reassignment)."""
    st, sb = to_int(status), to_int(sub)
    if st is None:
        return DeliveryStatus.UNKNOWN, False
    found = STATUS.get((st, sb)) or STATUS.get((st, None)) or DeliveryStatus.UNKNOWN
    return found, (st, sb) == REASSIGNING


# configured ``error_codes`` replace a kind's guessed codes
ERRORS = ErrorTable(CARRIER, ERROR_CODES, KEYWORDS, replace_on_override=True)
