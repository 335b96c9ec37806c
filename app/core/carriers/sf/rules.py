"""SF same-city rules as data, plus the knobs for facts the public spec leaves open.

Every ``[?]`` fact of shared/carriers/sf_tongcheng.md is read from ``ctx.options`` with
the default in ``Options`` and described in ``RULES.unverified``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from app.core.carriers.meta import BillColumns
from app.core.carriers.rules import CancelRules, CarrierRules, TipRules
from app.core.domain import DeliveryStatus


@dataclass(frozen=True, slots=True)
class Options:
    """ctx.options knobs with their defaults (each one an unverified fact, see unverified)."""

    version: int = 17  # doc major+minor without the dot; settled 17 (two production SDKs)
    product_type: int = 1  # 1 快餐/送餐: a category missing from PRODUCT_TYPES
    # per-category overrides of PRODUCT_TYPES, keyed by category id ({"market": 33})
    product_types: Mapping[str, object] = field(default_factory=dict)
    shop_type: int = 1  # 1 = SF shop id, 2 = our own shop id
    cancel_code: int = 313  # 商家发起取消 / 其他
    send_shop_block: bool = False  # shop{} only for platform-type developers
    return_flag: int = 511
    # ASSUMED: status 22 配送员撤单 is "reassign" (SF re-dispatches; our notes [H]) or
    # "cancelled" (terminal, as a production POS files it: audit F8)
    status_22: str = "reassign"


# goods category -> product_type, from the list an independent PHP SDK carries
# (research/carrier-fidelity.md §3): 1 快餐, 6 生鲜, 3 百货, 14 鲜花, 13 蛋糕, 12 文件, 2 送药.
# 商超 -> 3 百货 is a choice (33 便利店 is the other candidate): ASSUMED, see unverified.
PRODUCT_TYPES: Mapping[str, int] = {
    "food": 1,
    "fresh": 6,
    "market": 3,
    "flowers": 14,
    "cake": 13,
    "documents": 12,
    "medicine": 2,
}

RULES = CarrierRules(
    id="sf",
    name_zh="顺丰同城",
    name_en="SF Express Same-City",
    production_base_url="https://openic.sf-express.com",
    sandbox_base_url="https://openic.sf-express.com",  # same host, test dev_id
    quote_binding=False,  # precreateorder is an estimate; createorder re-prices
    quote_ttl_s=None,
    tips=TipRules(
        supported=True,
        mode="add",
        min_fen=100,
        step_fen=1,
        only_before_accept=True,
        note="addordergratuityfee: fen, >=100 per call, additive, serial_number idempotent",
    ),
    cancel=CancelRules(
        allowed_until=DeliveryStatus.AT_DROPOFF,  # any time before completion
        has_preview=True,
        free_after_accept_s=0,
        free_before_accept=True,
        note="daily free-cancel quota per shop, then rule-based fees: trust precancelorder",
    ),
    position_batch=1,
    rate_limit_per_s=5.0,  # QPS not published
    coord_system="gcj02",  # lbs_type 2
    money_unit="fen",
    accept_timeout_s=300,
    capabilities=frozenset(
        {"quote", "cancel_preview", "tip", "rider_position", "callbacks", "status_feed"}
    ),
    credential_keys=("dev_id", "dev_key", "shop_id"),
    secret_keys=("dev_key",),
    rehearsal_credentials={
        "dev_id": "1234567",
        "dev_key": "rehearsal-sf-key",
        "shop_id": "3243279847393",
    },
    unverified=(
        "status_22: 22 配送员撤单 = re-dispatch (default) or cancelled (F8, evidence conflicts)",
        "product_types: codes from one independent SDK's list (not SF's own doc); 商超 sent "
        "as 3 百货 (33 便利店 the other candidate); override product_types.<category>",
        "shop_type: default 1 (shop_id is the SF shop id); 2 for our own shop id",
        "cancel_code: default 313 (商家发起取消/其他) [M]",
        "send_shop_block: default False; shop{} is for platform-type developers only",
        "rate_limit_per_s: QPS not published; 5/s chosen",
        "error codes: no public table; classified by guessed codes plus message keywords",
        "getorderstatus result: order_id/out_order_id (SDK sample) or sf_order_id/shop_order_id"
        " (callbacks): both read; rider_name/real_pay_money inferred from samples",
        "status 14 (picked up, [L]) mapped to PICKED_UP",
        "url_index names for rider-withdraw callbacks; status is read from order_status",
    ),
)

COLOUR = "#1a1a1a"  # report charts

# statement columns: guesses, to be confirmed against a real statement (editable)
BILL_COLUMNS = BillColumns(
    "顺丰订单号|运单号",
    "商家订单号|第三方订单号",
    "实付金额(元)|总费用(元)",
    "yuan",
    "下单时间|日期",
)
