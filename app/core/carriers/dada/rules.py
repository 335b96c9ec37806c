"""Dada's rules as data (shared/carriers/dada.md). Facts tagged [?] upstream are knobs
read from ``ctx.options`` by the adapter; their defaults are listed in ``unverified``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from app.core.carriers.meta import BillColumns
from app.core.carriers.rules import CancelRules, CarrierRules, TipRules
from app.core.domain import DeliveryStatus


@dataclass(frozen=True, slots=True)
class Options:
    """ctx.options knobs and their defaults (each one is an unverified fact, see UNVERIFIED)."""

    # verified (audit §1, Dada's PHP demo ksort over every param; "body需要赋值为空字符串"):
    # an empty `body` keeps its key in the signed plaintext; the knob stays for tests
    sign_empty_body: bool = True
    send_city_code: bool = True  # city_code may no longer be required; harmless to send
    time_format: str = "%Y-%m-%d %H:%M:%S"  # createTime/acceptTime/... in status/query
    cancel_fee_fen: int = 200  # preview estimate: penalty 1-15 min after acceptance
    cancel_free_after_accept_s: int = 60  # preview estimate: free window after acceptance
    cancel_paid_until_s: int = 900  # preview estimate: free again if rider not at shop by then
    cancel_reason_id: int = 10000  # 其他 (then cancel_reason text is required)
    cargo_type: int = 1  # 食品小吃: a category missing from CARGO_TYPES
    # per-category overrides of CARGO_TYPES, keyed by category id ({"market": 9})
    cargo_types: Mapping[str, object] = field(default_factory=dict)
    quote_ttl_s: int = 180
    actual_fee_includes_tips: bool = True  # status/query actualFee = freight + tips
    # {"auth": [..], "rate_limit": [..], ...} replaces codes.ERROR_CODES per kind
    error_codes: Mapping[str, object] = field(default_factory=dict)
    # Dada requires a per-order callback URL; a counter PC behind NAT usually has none
    # (polling is first-class), so send a never-resolving placeholder (RFC 2606 .invalid).
    callback_placeholder: str = "https://callback.invalid/jupei/dada"


# goods category -> cargo_type (shared/carriers/dada.md §5, [H]): 1 食品小吃, 13 水果生鲜,
# 31 超市, 3 鲜花绿植, 21 蛋糕, 8 文印票务, 20 医药
CARGO_TYPES: Mapping[str, int] = {
    "food": 1,
    "fresh": 13,
    "market": 31,
    "flowers": 3,
    "cake": 21,
    "documents": 8,
    "medicine": 20,
}

# Settled by the fidelity audit (shared/research/carrier-fidelity.md §1, §7), no longer knobs
# to doubt: empty `body` signed with its key; callbacks answered non-200 are retried every
# minute, at most 10 times (Dada's Java demo: "响应非200，会每隔1分钟重试一次，最多重试10次"),
# so a refused callback (403 on a bad signature) is seen again and polling covers the rest;
# status 7 已过期 (older doc copies) is a cancel by Dada's system.

UNVERIFIED: tuple[str, ...] = (
    "send_city_code=True: city_code still sent although newer SDKs dropped it",
    "time_format='%Y-%m-%d %H:%M:%S': format of status/query createTime/acceptTime/...",
    "error_codes: Dada's error-code table is not public; codes + message keywords guessed",
    "rate_limit_per_s=5: Dada's QPS limit is not public",
    "duplicate origin_id on addOrder/addAfterQuery: answered with an error (code guessed)",
    "callback reply body {'code':200,'msg':'success'}: integrators reply three different "
    "bodies, so any HTTP 200 appears to be accepted",
    "cancel_fee_fen=200 / cancel_free_after_accept_s=60 / cancel_paid_until_s=900: "
    "preview is an estimate from the example rule; the real fee is deduct_fee",
    "actual_fee_includes_tips=True: status/query actualFee includes the tip",
    "sandbox host scheme http:// (some SDKs use https://)",
    "query result carries no Dada order number: carrier_order_id is our origin_id",
)

RULES = CarrierRules(
    id="dada",
    name_zh="达达",
    name_en="Dada",
    production_base_url="https://newopen.imdada.cn",
    sandbox_base_url="http://newopen.qa.imdada.cn",
    quote_binding=True,
    quote_ttl_s=180,
    tips=TipRules(
        supported=True,
        mode="replace",
        min_fen=10,
        step_fen=10,
        only_before_accept=True,
        note="each call replaces the previous tip with a larger total; yuan, 1 decimal; 待接单 only",
    ),
    cancel=CancelRules(
        allowed_until=DeliveryStatus.AT_PICKUP,
        has_preview=False,
        free_after_accept_s=60,
        free_before_accept=True,
        note="only before pickup; the preview is estimated locally, the fee is deduct_fee",
    ),
    position_batch=50,
    rate_limit_per_s=5.0,
    coord_system="gcj02",
    money_unit="yuan",
    accept_timeout_s=300,
    capabilities=frozenset(
        {"tip", "cancel_preview", "rider_position", "callback", "track_url", "return_confirm"}
    ),
    credential_keys=("app_key", "app_secret", "source_id", "shop_no"),
    secret_keys=("app_secret",),
    rehearsal_credentials={
        "app_key": "rehearsal-dada",
        "app_secret": "rehearsal-dada-secret",
        "source_id": "73753",
        "shop_no": "11047059",
    },
    unverified=UNVERIFIED,
)

COLOUR = "#1677ff"  # report charts

# statement columns: guesses, to be confirmed against a real statement (editable)
BILL_COLUMNS = BillColumns(
    "运单号", "订单号|商家订单号", "金额(元)|金额（元）|运费(元)", "yuan", "日期|下单时间"
)
