"""美团外卖 (waimaiopen) codes: order status, delivery type, cancel reasons, and the
self-delivery sync-back table (shared/sources/meituan_waimai.md §6–§8)."""

from __future__ import annotations

from app.core.domain.source_order import FulfilmentMode, SourceOrderState
from app.core.domain.status import DeliveryStatus
from app.core.sources.base import SourceAuthError, SourceNotFoundError, SourceRateLimitedError
from app.core.sources.kit import ErrorRule

# order ``status`` [✓ A order_status.go]; 6 only on MTOp 餐饮 pushes [~]
ORDER_STATE: dict[int, SourceOrderState] = {
    1: SourceOrderState.NEW,  # 用户已提交
    2: SourceOrderState.NEW,  # 向商家推送: awaiting confirm
    4: SourceOrderState.CONFIRMED,  # 商家已确认
    6: SourceOrderState.CONFIRMED,  # ASSUMED: MTOp "delivering"
    8: SourceOrderState.COMPLETED,
    9: SourceOrderState.CANCELLED,
}

# ``logistics_code`` prefixes of 商家自配 [~ inferred]; everything else is Meituan's rider
SELF_DELIVERY_CODES: tuple[str, ...] = ("0000", "00009003")
PLATFORM_CODES: dict[str, str] = {
    "1001": "美团专送-加盟",
    "1002": "美团专送-自建",
    "1003": "美团跑腿",
    "1004": "美团专送-城市代理",
    "2002": "快送",
    "3001": "混合送",
    "5001": "聚合配送",
}


def fulfilment(
    logistics_code: str, pick_type: int | None, self_codes: tuple[str, ...]
) -> FulfilmentMode:
    if pick_type == 1:
        return FulfilmentMode.PICKUP
    code = logistics_code.strip()
    if not code or code in self_codes or code.startswith("0000"):
        # ASSUMED: an empty code (订阅字段 #22 off) is treated as self-delivery so the
        # order is not silently left undispatched; rules.self_delivery_codes narrows it.
        return FulfilmentMode.SELF_DELIVERY
    return FulfilmentMode.PLATFORM_DELIVERY


# user / customer-service cancel ``reason_code`` [✓ A cancel_order_reason.go]
CANCEL_REASON: dict[int, str] = {
    1001: "超时未确认",
    1002: "15分钟未支付",
    1101: "用户取消(支付中)",
    1102: "用户取消(确认前)",
    1103: "用户取消(退款)",
    1201: "客服取消",
    1202: "客服取消",
    1203: "客服取消",
    1204: "客服取消",
    1301: "其他",
}

# merchant cancel ``reason_code`` [✓ A app_cancel_order_reason.go]
MERCHANT_CANCEL_DEFAULT = 2007  # 其他
MERCHANT_CANCEL: dict[int, str] = {
    2001: "超时接单",
    2004: "配送延迟",
    2006: "用户要求",
    2007: "其他",
    2008: "店铺太忙",
    2009: "商品已售完",
    2010: "地址无法配送",
    2011: "已打烊",
    2012: "联系不上用户",
    2013: "重复订单",
}

# self-delivery ``logistics_status`` for ecommerce/order/logistics/sync [✓ A doc 355, B]
SYNC_STATUS: dict[DeliveryStatus, int] = {
    DeliveryStatus.PENDING_ACCEPT: 0,
    DeliveryStatus.ACCEPTED: 10,
    DeliveryStatus.AT_PICKUP: 15,
    DeliveryStatus.PICKED_UP: 20,
    DeliveryStatus.AT_DROPOFF: 20,  # no "at drop-off" value: still 配送中
    DeliveryStatus.DELIVERED: 40,
    DeliveryStatus.CANCELLED: 100,
}
SYNC_STATUS_VALUES: frozenset[int] = frozenset({0, 1, 5, 10, 15, 20, 40, 100})

# ``logistics_provider_code`` by our carrier id [✓ A, B]
PROVIDER_CODE: dict[str, int] = {
    "sf": 10001,
    "dada": 10002,
    "shansong": 10003,
    "fengniao": 10004,
    "uupt": 10005,
    "self": 10015,  # 商家自建配送
    "meituan": 10032,  # 美团跑腿
}
PROVIDER_OTHER = 10017

# Meituan-delivery ``logistics_status`` pushed for platform riders [✓ A]
PLATFORM_LOGISTICS: dict[int, DeliveryStatus] = {
    0: DeliveryStatus.PENDING_ACCEPT,
    5: DeliveryStatus.PENDING_ACCEPT,
    10: DeliveryStatus.ACCEPTED,
    15: DeliveryStatus.AT_PICKUP,
    20: DeliveryStatus.PICKED_UP,
    40: DeliveryStatus.DELIVERED,
    100: DeliveryStatus.CANCELLED,
}

# ASSUMED: error codes are not in our sources; the message words back them up
AUTH_CODES = frozenset({701, 702, 703, 705})
RATE_CODES = frozenset({711})
NOT_FOUND_CODES = frozenset({808})
ERRORS = (
    ErrorRule(SourceAuthError, AUTH_CODES, ("签名", "sig", "token")),
    ErrorRule(SourceRateLimitedError, RATE_CODES, ("限流", "频繁")),
    ErrorRule(SourceNotFoundError, NOT_FOUND_CODES, ("不存在",)),
)
