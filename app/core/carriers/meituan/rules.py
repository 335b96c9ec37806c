"""Meituan (legacy peisongopen) rules as data, plus knobs for what the spec leaves open.

Every ``[?]`` fact of shared/carriers/meituan.md is read from ``ctx.options`` with the
default in ``Options`` and described in ``RULES.unverified``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from app.core.carriers.meta import BillColumns
from app.core.carriers.rules import CancelRules, CarrierRules, TipRules
from app.core.domain import DeliveryStatus

SLA_S = {4002: 45 * 60, 4011: 60 * 60, 4012: 120 * 60, 4013: 120 * 60}


@dataclass(frozen=True, slots=True)
class Options:
    """ctx.options knobs with their defaults (each one an unverified fact, see unverified)."""

    delivery_service_code: int = 4011  # 快速达; depends on the account's products
    coordinate_type: int = 0  # 0 GCJ-02, 1 BD-09
    cancel_reason_id: int = 199  # 其他接入方原因
    tip_amount_field: str = "tip_amount"  # legacy addTip param name (MTOp name assumed)
    # ASSUMED off: the legacy doc marks mt_peisong_id required (F1); on: status/query by
    # delivery_id + order_id while it is unknown (an unknown create is re-sent instead)
    query_by_delivery_id: bool = False
    cancel_fee_estimate_fen: int = 0  # no preview API: estimate after acceptance
    expected_delivery_s: int = 0  # 0: per-product SLA (4002 45 min, 4011 1 h, else 2 h)
    # goods category: the legacy createByShop doc shows no goods-type field, so none is sent
    # unless named here (ASSUMED); goods_types maps category id -> the value to send
    goods_type_field: str = ""
    goods_types: Mapping[str, object] = field(default_factory=dict)
    # 蛋糕/药品: a handling line in goods_delivery_info (货物交付信息, <=100 chars)
    handling_notes: bool = True

    def sla_s(self) -> int:
        return self.expected_delivery_s or SLA_S.get(self.delivery_service_code, 120 * 60)


RULES = CarrierRules(
    id="meituan",
    name_zh="美团配送",
    name_en="Meituan Delivery",
    production_base_url="https://peisongopen.meituan.com/api",
    sandbox_base_url="https://peisongopen.meituan.com/api",  # same host, test account
    quote_binding=False,  # preCreateByShop is a preview; createByShop re-prices
    quote_ttl_s=None,
    tips=TipRules(
        supported=True,
        mode="add",
        min_fen=100,
        step_fen=100,  # integer yuan
        max_total_fen=2000,
        max_times=5,
        only_before_accept=True,
        note="order/addTip: integer yuan 1-20, at most 5 tips, serial_number idempotent",
    ),
    cancel=CancelRules(
        allowed_until=DeliveryStatus.PICKED_UP,  # 0/20/30
        has_preview=False,
        free_after_accept_s=0,
        free_before_accept=True,
        note="no fee preview; penalties unpublished, read pay_amount from a later query",
    ),
    position_batch=1,
    rate_limit_per_s=8.0,  # status/query is limited to 10/s per appkey (code 11)
    coord_system="gcj02_e6",
    money_unit="yuan",
    accept_timeout_s=300,
    # resend_resolves: "若因美团系统故障导致发单接口失败，可利用相同的delivery_id重新发单，系统视为
    # 同一次配送活动" -- an unknown create outcome is settled by re-sending createByShop
    capabilities=frozenset({"quote", "tip", "rider_position", "callbacks", "resend_resolves"}),
    credential_keys=("app_key", "app_secret", "shop_id"),
    secret_keys=("app_secret",),
    rehearsal_credentials={
        "app_key": "rehearsal-mt",
        "app_secret": "rehearsal-mt-secret",
        "shop_id": "test_0001",
    },
    unverified=(
        "goods_type_field: no goods-type field in the legacy createByShop doc; none sent "
        "unless named (with goods_types per category)",
        "handling_notes: 蛋糕/药品 handling line sent in goods_delivery_info (货物交付信息)",
        "delivery_service_code: default 4011 (快速达); must match the account's products",
        "tip_amount_field: legacy addTip param names assumed equal to MTOp "
        "(tip_amount, serial_number); tips assumed allowed only while waiting (status 0)",
        "query_by_delivery_id: default False (ASSUMED); the legacy doc marks delivery_id and "
        "mt_peisong_id both required for status/query, delete and rider/location, so an "
        "unknown create is settled by re-sending createByShop (same delivery_id: same "
        "delivery); True queries by delivery_id + order_id for an account that allows it",
        "cancel_fee_estimate_fen: default 0; no preview API and penalty rules unpublished, "
        "the real fee is taken from pay_amount of a query after cancel",
        "quote fee: delivery_fee taken as payable; whether coupons_amount is already "
        "deducted is not documented",
        "error codes: only 11 (接口流控) is documented; others classified by guessed codes "
        "plus message keywords",
        "rider/location answer for orders without a rider; treated as 'no position'",
        "exception callback codes (exception_code) kept as text; callback retry policy unknown",
        "reassignment: a repeated 20/30 with a new courier is detected against the known "
        "rider on query; callbacks cannot tell (stateless)",
    ),
)

COLOUR = "#fadb14"  # report charts

# statement columns: guesses, to be confirmed against a real statement (editable)
BILL_COLUMNS = BillColumns(
    "配送单号|美团配送单号", "商家订单号|订单号", "配送费(元)|实付金额(元)", "yuan", "日期|下单时间"
)
