"""Shansong's rules as data (shared/carriers/shansong.md). Facts tagged [?]/[M] upstream
are knobs read from ``ctx.options``; their defaults are listed in ``unverified``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from app.core.carriers.meta import BillColumns
from app.core.carriers.rules import CancelRules, CarrierRules, TipRules
from app.core.domain import DeliveryStatus


@dataclass(frozen=True, slots=True)
class Options:
    """ctx.options knobs and their defaults (each one is an unverified fact, see UNVERIFIED)."""

    lbs_type: int = 0  # 0: BD-09 on the wire (default); 1: GCJ-02 (lbsType, Ledc only)
    quote_ttl_s: int = 1800  # orderNumber validity
    good_type: int = 6  # 餐饮: a category missing from GOOD_TYPES
    # per-category overrides of GOOD_TYPES, keyed by category id ({"fresh": 15})
    good_types: Mapping[str, object] = field(default_factory=dict)
    deduct_flag: bool = True  # abortOrder: accept a send-back fee above what was paid
    returned_after_pickup: bool = True  # 60 reached through 40 (or with sendBackFee) = RETURNED
    check_callback_ids: bool = True  # callbacks must carry our clientId and shopId
    # {"auth": [..], ...} replaces codes.ERROR_CODES per kind
    error_codes: Mapping[str, object] = field(default_factory=dict)


# goods category -> goodType (shared/carriers/shansong.md §5, [H]): 6 餐饮, 15 商超, 7 鲜花,
# 5 蛋糕, 1 文件, 13 医药健康; 生鲜 has no code of its own: 16 水果 (ASSUMED, see UNVERIFIED)
GOOD_TYPES: Mapping[str, int] = {
    "food": 6,
    "fresh": 16,
    "market": 15,
    "flowers": 7,
    "cake": 5,
    "documents": 1,
    "medicine": 13,
}

UNVERIFIED: tuple[str, ...] = (
    "good_types: 生鲜 (fresh) sent as goodType 16 水果 - the list has no 生鲜; 15 商超 is the "
    "other candidate (override good_types.fresh)",
    "goodsSizeId (cake size, 尊享送 only) is not sent: a 蛋糕 order goes as goodType 5 alone",
    "lbs_type=0: coordinates sent as BD-09; lbsType=1 (GCJ-02) is documented by one SDK only",
    "quote_ttl_s=1800: orderNumber valid 30 min (one SDK)",
    "error_codes: Shansong's error table is not public; codes + message keywords guessed",
    "rate_limit_per_s=5: Shansong's QPS limit is not public",
    "orderPlace twice with one issOrderNo: assumed an error, resolved by orderInfo",
    "callbacks carry no signature: only clientId/shopId are checked (check_callback_ids)",
    "callback reply {'status':200,'msg':'','data':null}; retry policy on non-200 unknown",
    "callback `token` field: meaning unknown, ignored",
    "returned_after_pickup=True: 60 after 40 (or with sendBackFee) is read as RETURNED",
    "abortType 1 ('customer') is read as the merchant (Shansong's customer is the shop)",
    "preAbortOrder answer fields: deductAmount + sendBackFee assumed like abortOrder",
    "deduct_flag=True: abortOrder accepts a send-back fee (else the cancel fails)",
    "orderInfo statusChangeLog updateTime format (ms or 'yyyy-MM-dd HH:mm:ss' accepted)",
)

RULES = CarrierRules(
    id="shansong",
    name_zh="闪送",
    name_en="Shansong",
    production_base_url="https://open.ishansong.com",
    sandbox_base_url="http://open.s.bingex.com",
    quote_binding=True,
    quote_ttl_s=1800,
    tips=TipRules(
        supported=True,
        mode="add",
        min_fen=100,
        step_fen=100,
        max_total_fen=10000,
        only_before_accept=True,
        note="addition: fen, multiples of 100, at most 10000; only before a courier accepts",
    ),
    cancel=CancelRules(
        allowed_until=DeliveryStatus.AT_DROPOFF,
        has_preview=True,
        free_after_accept_s=0,
        free_before_accept=True,
        note="preAbortOrder previews; after pickup the goods come back (send-back fee) "
        "and confirmGoodsReturn closes the order",
    ),
    position_batch=1,
    rate_limit_per_s=5.0,
    coord_system="bd09",
    money_unit="fen",
    accept_timeout_s=300,
    capabilities=frozenset(
        {"tip", "cancel_preview", "rider_position", "callback", "return_confirm"}
    ),
    credential_keys=("client_id", "app_secret", "shop_id"),
    secret_keys=("app_secret",),
    rehearsal_credentials={
        "client_id": "rehearsal-shansong",
        "app_secret": "rehearsal-shansong-secret",
        "shop_id": "2000000000000001",
    },
    unverified=UNVERIFIED,
)

COLOUR = "#fa8c16"  # report charts

# statement columns: guesses, to be confirmed against a real statement (editable)
BILL_COLUMNS = BillColumns(
    "闪送订单号|订单号", "商家订单号|第三方订单号", "实付金额(元)|金额(元)", "yuan", "下单时间|日期"
)
