"""Meituan (legacy peisongopen) rules as data, plus knobs for what the spec leaves open.

Every ``[?]`` fact of shared/carriers/meituan.md is read from ``ctx.options`` with the
default in ``DEFAULT_OPTIONS`` and described in ``RULES.unverified``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.core.carriers.rules import CancelRules, CarrierRules, TipRules
from app.core.domain import DeliveryStatus

DEFAULT_OPTIONS: dict[str, object] = {
    "delivery_service_code": 4011,  # 快速达; depends on the account's products
    "coordinate_type": 0,  # 0 GCJ-02, 1 BD-09
    "cancel_reason_id": 199,  # 其他接入方原因
    "tip_amount_field": "tip_amount",  # legacy addTip param name (MTOp name assumed)
    "query_by_delivery_id": True,  # status/query without mt_peisong_id when unknown
    "cancel_fee_estimate_fen": 0,  # no preview API: estimate after acceptance
    "expected_delivery_s": 0,  # 0: per-product SLA (4002 45 min, 4011 1 h, else 2 h)
}
SLA_S = {4002: 45 * 60, 4011: 60 * 60, 4012: 120 * 60, 4013: 120 * 60}


@dataclass(frozen=True, slots=True)
class MtOptions:
    delivery_service_code: int = 4011
    coordinate_type: int = 0
    cancel_reason_id: int = 199
    tip_amount_field: str = "tip_amount"
    query_by_delivery_id: bool = True
    cancel_fee_estimate_fen: int = 0
    expected_delivery_s: int = 0

    @classmethod
    def from_mapping(cls, options: Mapping[str, object]) -> MtOptions:
        m = {**DEFAULT_OPTIONS, **{k: v for k, v in options.items() if k in DEFAULT_OPTIONS}}
        return cls(
            delivery_service_code=int(m["delivery_service_code"]),  # type: ignore[call-overload]
            coordinate_type=int(m["coordinate_type"]),  # type: ignore[call-overload]
            cancel_reason_id=int(m["cancel_reason_id"]),  # type: ignore[call-overload]
            tip_amount_field=str(m["tip_amount_field"]),
            query_by_delivery_id=bool(m["query_by_delivery_id"]),
            cancel_fee_estimate_fen=int(m["cancel_fee_estimate_fen"]),  # type: ignore[call-overload]
            expected_delivery_s=int(m["expected_delivery_s"]),  # type: ignore[call-overload]
        )

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
    capabilities=frozenset({"quote", "tip", "rider_position", "callbacks"}),
    credential_keys=("app_key", "app_secret", "shop_id"),
    secret_keys=("app_secret",),
    rehearsal_credentials={
        "app_key": "rehearsal-mt",
        "app_secret": "rehearsal-mt-secret",
        "shop_id": "test_0001",
    },
    unverified=(
        "delivery_service_code: default 4011 (快速达); must match the account's products",
        "tip_amount_field: legacy addTip param names assumed equal to MTOp "
        "(tip_amount, serial_number); tips assumed allowed only while waiting (status 0)",
        "query_by_delivery_id: default True; status/query sent without mt_peisong_id when "
        "an outcome-unknown create left it empty (legacy doc lists both as params)",
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
