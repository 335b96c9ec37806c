"""UU跑腿 (UUPT open API v3) rules as data, plus the [?] knobs.

Public sources contradict each other on several v3 details (shared/carriers/uupt.md):
each [?] fact is a field of ``Options`` that ``CarrierContext.options`` may
override, and is listed in ``RULES.unverified`` for the first sandbox run to settle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from app.core.carriers.meta import BillColumns
from app.core.carriers.rules import CancelRules, CarrierRules, TipRules
from app.core.domain import DeliveryStatus

PRICE_TOKEN_TTL_S = 120


@dataclass(frozen=True, slots=True)
class Options:
    """Every [?] knob with its most likely default; ``ctx.options`` may override each."""

    # settled (audit §6): seconds, as all three UU-org tools and CRMEB send; "ms" kept
    timestamp_unit: str = "s"
    # settled (audit §6): both occur (UU skill 0 for cancelOrder, 1 for sendSmsCode; CRMEB 1).
    # Every documented UU error code is negative, so accepting both swallows no known error.
    success_codes: tuple[object, ...] = (0, 1)
    # ASSUMED (F2): request field names. "snake" = what UU's own tools send (uupt-open-cli:
    # receiver_phone to addOrder, order_code to orderDetail/cancelOrder/driverTrack);
    # "camel" = receiverPhone/orderCode (CRMEB, the MCP README). originId is camel in both
    # (no UU tool sends it). Answers are read in either style.
    field_style: str = "snake"
    price_token_ttl_s: int = PRICE_TOKEN_TTL_S  # "有时效性", TTL unpublished
    fee_field: str = "needPayMoney"  # quote: what the merchant pays (fen); else totalMoney
    # orderDetail's price (fen), UU api-reference ``body.orderPrice`` (F6); else fee_field
    detail_fee_field: str = "orderPrice"
    # {"code": "unified status"} e.g. if 11/20 differ in callbacks
    status_overrides: Mapping[str, str] = field(default_factory=dict)
    # {"auth"|"rate_limit"|"balance"|"not_found"|"duplicate": [...]}
    extra_error_codes: Mapping[str, object] = field(default_factory=dict)
    send_type: str = "SEND"
    goods_type: str = "OTHER"  # a category missing from goods_types
    # goods category id -> UU goodsType. Only "OTHER" is seen in UU's samples, so every
    # category goes as OTHER until a merchant's account confirms codes (ASSUMED)
    goods_types: Mapping[str, object] = field(default_factory=dict)
    push_type: str = "OPEN_ORDER"  # test accounts may need the test push type
    pay_type: str = "BALANCE_PAY"
    special_type: str = "NOT_NEED_WARM"
    ad_code: str = ""  # takes precedence over cityName/countyName when set
    county_name: str = ""  # override when store.city does not carry the district
    cancel_fee_field: str = "cancelFee"  # cancelFee preview / orderDetail answer field
    # the fee cancelOrder charged (fen): UU's MCP README ``deductFee`` (F5); else cancel_fee_field
    charged_fee_field: str = "deductFee"
    # ASSUMED (F7): driverTrack longitude/latitude use BD-09 like UU's other coordinates
    track_coords: str = "bd09"  # "bd09" | "gcj02"
    # F3: addOrder answered orderCode + orderUrl = the order waits for payment (balance too
    # low). Cancel that unpaid order (default) so paying the link later cannot bring a rider
    # to an order we already gave to someone else; the manager is shown the link either way.
    cancel_unpaid: bool = True
    tip_amount_field: str = "gratuityFee"  # addGratuity request field (fen)
    callback_verify: str = "md5"  # same MD5(biz + secret + timestamp) as requests; or "none"
    callback_reply: str = '{"code":0,"msg":"success"}'


RULES = CarrierRules(
    id="uupt",
    name_zh="UU跑腿",
    name_en="UU Paotui",
    production_base_url="https://api-open.uupt.com/openapi/v3",
    sandbox_base_url="http://api-open.test.uupt.com/openapi/v3",
    quote_binding=True,  # addOrder takes the priceToken from orderPrice
    quote_ttl_s=PRICE_TOKEN_TTL_S,
    tips=TipRules(
        supported=True,
        mode="add",
        min_fen=100,
        step_fen=100,
        max_total_fen=None,
        only_before_accept=True,
        note="addGratuity fields/limits unverified [?]; gratuityFee in fen assumed",
    ),
    cancel=CancelRules(
        allowed_until=DeliveryStatus.AT_PICKUP,  # not after pickup (customer service only)
        has_preview=True,
        free_after_accept_s=0,
        free_before_accept=True,
        note="cancelFee preview, then cancelOrder; after pickup call UU customer service",
    ),
    position_batch=1,
    rate_limit_per_s=5.0,  # unknown (-10001 发送频率过快 exists): modest default
    coord_system="bd09",
    money_unit="fen",
    accept_timeout_s=300,
    poll_interval_s=30,
    capabilities=frozenset(
        {"quote", "binding_quote", "cancel_preview", "tip", "rider_position", "callback"}
    ),
    credential_keys=("app_id", "app_secret", "open_id"),
    secret_keys=("app_secret",),
    rehearsal_credentials={
        "app_id": "rehearsal-uu",
        "app_secret": "rehearsal-uu-secret",
        "open_id": "rehearsal-open-id",
    },
    unverified=(
        "field_style: snake (receiver_phone/order_code, UU's own tools) or camel (F2)",
        "originId: sent camelCase in both styles; no UU tool sends it",
        "track_coords: coordinate system of driverTrack longitude/latitude (default BD-09, F7)",
        "cancel_unpaid: cancel an order UU holds for payment (orderUrl) before failing over",
        "price_token_ttl_s: priceToken lifetime (default 120 s)",
        "fee_field: needPayMoney vs totalMoney as the merchant's fee (default needPayMoney)",
        "status_overrides: orderDetail 11/20 vs callback 2/6/-1..-3 state tables",
        "extra_error_codes: v3 error codes assumed = v2 (-104 签名, -10001 频率, -4002 订单无效);"
        " balance/duplicate matched by message text",
        "push_type/pay_type/special_type/send_type/goods_type enum values",
        "goods_types: UU's goodsType list is unpublished; every category goes as OTHER "
        "unless mapped (goods_types.cake = ...)",
        "ad_code/county_name: city resolution from store.city",
        "cancel_fee_field: cancelFee (preview) response field name and unit (fen)",
        "tip_amount_field: addGratuity field (gratuityFee, fen) and limits",
        "callback_verify: callback signed like requests (md5) [M]",
        "callback_reply: reply body UU expects (default {code:0,msg:success})",
        "rate limit (default 5 req/s)",
    ),
)

COLOUR = "#eb2f96"  # report charts

# statement columns: guesses, to be confirmed against a real statement (editable)
BILL_COLUMNS = BillColumns(
    "订单编号|UU订单号", "商家订单号|第三方订单号", "实付金额(元)|金额(元)", "yuan", "下单时间|日期"
)
