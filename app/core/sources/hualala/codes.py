"""哗啦啦 codes: the v3 envelope's fixed values [✓ SDK] and our delivery states by the
names the ASSUMED ``sync_status`` option uses."""

from __future__ import annotations

from app.core.domain.status import DeliveryStatus
from app.core.sources.base import SourceAuthError, SourceNotFoundError, SourceRateLimitedError
from app.core.sources.kit import ErrorRule

SIGN_VERSION = "3"  # [✓ SDK v3]
# our states reported to 哗啦啦 (the values come from the ``sync_status`` option)
SYNC_NAME: dict[DeliveryStatus, str] = {
    DeliveryStatus.ACCEPTED: "accepted",
    DeliveryStatus.AT_PICKUP: "at_pickup",
    DeliveryStatus.PICKED_UP: "picked_up",
    DeliveryStatus.AT_DROPOFF: "picked_up",  # no "at the door": still delivering
    DeliveryStatus.DELIVERED: "delivered",
    DeliveryStatus.CANCELLED: "cancelled",
}
STATUS_TEXT: dict[str, str] = {
    "accepted": "骑手已接单",
    "at_pickup": "骑手已到店",
    "picked_up": "配送中",
    "delivered": "已送达",
    "cancelled": "配送已取消",
}

# ASSUMED: no error codes are public; read the message
ERRORS = (
    ErrorRule(SourceAuthError, words=("签名", "sign", "appkey", "时间戳")),
    ErrorRule(SourceRateLimitedError, words=("频繁", "limit")),
    ErrorRule(SourceNotFoundError, words=("不存在", "not found")),
)
