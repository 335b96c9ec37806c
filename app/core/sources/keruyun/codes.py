"""客如云 三方配送 codes (shared/sources/keruyun.md §4)."""

from __future__ import annotations

from app.core.domain.status import DeliveryStatus
from app.core.sources.base import SourceAuthError, SourceNotFoundError, SourceRateLimitedError
from app.core.sources.kit import ErrorRule

# deliveryStatus of 商家自配送状态推送 [✓ iseV…]
PENDING = 1  # 待处理
ACCEPTED = 2  # 已接单/待取餐
DELIVERING = 3  # 配送中
DELIVERED = 4  # 已送达
CANCELLED = 5  # 已取消
AT_SHOP = 100  # 骑手已到店

SYNC_STATUS: dict[DeliveryStatus, int] = {
    DeliveryStatus.PENDING_ACCEPT: PENDING,
    DeliveryStatus.ACCEPTED: ACCEPTED,
    DeliveryStatus.AT_PICKUP: AT_SHOP,
    DeliveryStatus.PICKED_UP: DELIVERING,
    # 客如云 has no "at the customer's door": still 配送中 (positions keep flowing)
    DeliveryStatus.AT_DROPOFF: DELIVERING,
    DeliveryStatus.DELIVERED: DELIVERED,
    DeliveryStatus.CANCELLED: CANCELLED,
}
# rider fields are required except for these [✓]
NO_RIDER_NEEDED = frozenset({PENDING})

# cancelCode [✓]
CANCEL_REASON: dict[int, str] = {
    1: "配送员取消",
    2: "无人接单超时",
    3: "商户取消",
    4: "客服取消",
    99: "系统取消",  # 未完成超过24小时
}

BIZ_TYPES = frozenset({1, 2, 399})  # 餐饮配送, 电商配送, 其他
SEX = {1: "先生", 0: "女士"}  # -1 未知

OK_CODE = 0
NOT_FOUND_CODE = 2003  # 订单不存在 [✓]
ERRORS = (
    ErrorRule(SourceNotFoundError, {NOT_FOUND_CODE}, fallback="订单不存在"),
    # ASSUMED: only 2003 is documented; sign/token/timestamp complaints read as auth
    ErrorRule(SourceAuthError, words=("sign", "签名", "token", "时间戳")),
    ErrorRule(SourceRateLimitedError, words=("频繁", "limit")),
)
