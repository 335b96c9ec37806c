"""饿了么 napos codes: order and refund status, push message types and what each means
for our copy of the order (shared/sources/eleme.md §4, §5, §7)."""

from __future__ import annotations

from app.core.domain.source_order import RefundState, SourceOrderState
from app.core.domain.status import DeliveryStatus
from app.core.sources.base import (
    SourceAuthError,
    SourceNotFoundError,
    SourceRateLimitedError,
    SourceUnavailableError,
)
from app.core.sources.kit import ErrorRule

# order ``status`` [✓ J OOrderStatus]
ORDER_STATE: dict[str, SourceOrderState] = {
    "pending": SourceOrderState.NEW,
    "unprocessed": SourceOrderState.NEW,
    "refunding": SourceOrderState.CONFIRMED,
    "valid": SourceOrderState.CONFIRMED,
    "invalid": SourceOrderState.CANCELLED,
    "settled": SourceOrderState.COMPLETED,
}

# ``refundStatus`` [✓ J]
REFUND_STATE: dict[str, RefundState] = {
    "noRefund": RefundState.NONE,
    "applied": RefundState.APPLIED,
    "arbitrating": RefundState.APPLIED,
    "rejected": RefundState.REJECTED,
    "failed": RefundState.REJECTED,
    "successful": RefundState.FULL,
}

NEW_ORDER = 10
# message type -> (new state, cancel_requested, refund_state) [✓ V table]
STATE_MESSAGES: dict[int, tuple[SourceOrderState | None, bool | None, RefundState | None]] = {
    12: (SourceOrderState.CONFIRMED, None, None),
    14: (SourceOrderState.CANCELLED, True, None),
    15: (SourceOrderState.CANCELLED, True, None),
    17: (SourceOrderState.CANCELLED, True, None),
    18: (SourceOrderState.COMPLETED, None, None),
    20: (None, True, None),  # 用户申请取消
    21: (None, False, None),  # 用户撤回
    22: (None, False, None),  # 商户拒绝
    23: (SourceOrderState.CANCELLED, True, None),  # 商户同意
    24: (None, True, None),  # 仲裁中
    25: (SourceOrderState.CANCELLED, True, None),  # 仲裁有效
    26: (None, False, None),  # 仲裁无效
    30: (None, None, RefundState.APPLIED),
    31: (None, None, RefundState.NONE),
    32: (None, None, RefundState.REJECTED),
    # ASSUMED: an agreed or arbitrated refund (退单) ends the order, like 23/25 (§7)
    33: (SourceOrderState.CANCELLED, None, RefundState.FULL),
    34: (None, None, RefundState.APPLIED),
    35: (SourceOrderState.CANCELLED, None, RefundState.FULL),
    36: (None, None, RefundState.REJECTED),
}
DELIVERY_MESSAGES = range(51, 77)  # 运单追踪
SELF_DELIVERY_MESSAGE = 71  # 自行配送
PLATFORM_DELIVERY_MESSAGES = frozenset(range(51, 57))  # Ele.me's own rider moves [~]
AUTH_REVOKED = 100
# the 2025 compensation doc's core messages that getPushFailMsg returns [✓ D]
CORE_MESSAGES = frozenset({10, 12, 14, 15, 17, 217, 218})

# API error codes [✓ P RpcClient, G]
AUTH_ERRORS = frozenset(
    {
        "UNAUTHORIZED",
        "ACCESS_DENIED",
        "PERMISSION_DENIED",
        "INVALID_SIGNATURE",
        "INVALID_TIMESTAMP",
    }
)
RATE_ERRORS = frozenset({"EXCEED_LIMIT"})
SERVER_ERRORS = frozenset({"SERVER_ERROR"})

# self-delivery ``stateInfo.state`` [~ S, one integrator]; the accept state is unknown
SYNC_STATE: dict[DeliveryStatus, str] = {
    DeliveryStatus.PICKED_UP: "DELIVERY_START",
    DeliveryStatus.DELIVERED: "DELIVERY_COMPLETE",
}

# 运单追踪 messages as the unified status of Ele.me's own rider [✓ V names; mapping ~]
PLATFORM_STATUS: dict[int, DeliveryStatus] = {
    51: DeliveryStatus.PENDING_ACCEPT,
    52: DeliveryStatus.PENDING_ACCEPT,
    53: DeliveryStatus.ACCEPTED,  # 取餐中: a rider is on the way to the shop
    54: DeliveryStatus.AT_PICKUP,
    55: DeliveryStatus.PICKED_UP,
    56: DeliveryStatus.DELIVERED,
    **dict.fromkeys(range(57, 71), DeliveryStatus.CANCELLED),  # cancelled / failed
    72: DeliveryStatus.CANCELLED,  # 不再配送
    **dict.fromkeys(range(73, 77), DeliveryStatus.CANCELLED),  # 物流拒单
}
ERRORS = (
    ErrorRule(SourceAuthError, AUTH_ERRORS),
    ErrorRule(SourceRateLimitedError, RATE_ERRORS),
    ErrorRule(SourceUnavailableError, SERVER_ERRORS),
    ErrorRule(SourceNotFoundError, words=("不存在",)),  # and any code with NOT_FOUND
)
