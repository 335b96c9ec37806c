"""SF same-city rules as data, plus the knobs for facts the public spec leaves open.

Every ``[?]`` fact of shared/carriers/sf_tongcheng.md is read from ``ctx.options`` with
the default in ``DEFAULT_OPTIONS`` and described in ``RULES.unverified``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.core.carriers.rules import CancelRules, CarrierRules, TipRules
from app.core.domain import DeliveryStatus

DEFAULT_OPTIONS: dict[str, object] = {
    "version": 17,  # doc major+minor without the dot; newer docs may be 19
    "product_type": 1,  # 1 快餐/送餐; the full list is not public
    "shop_type": 1,  # 1 = SF shop id, 2 = our own shop id
    "cancel_code": 313,  # 商家发起取消 / 其他
    "send_shop_block": False,  # shop{} only for platform-type developers
    "return_flag": 511,
}


@dataclass(frozen=True, slots=True)
class SfOptions:
    version: int = 17
    product_type: int = 1
    shop_type: int = 1
    cancel_code: int = 313
    send_shop_block: bool = False
    return_flag: int = 511

    @classmethod
    def from_mapping(cls, options: Mapping[str, object]) -> SfOptions:
        merged = {**DEFAULT_OPTIONS, **{k: v for k, v in options.items() if k in DEFAULT_OPTIONS}}
        return cls(
            version=int(merged["version"]),  # type: ignore[call-overload]
            product_type=int(merged["product_type"]),  # type: ignore[call-overload]
            shop_type=int(merged["shop_type"]),  # type: ignore[call-overload]
            cancel_code=int(merged["cancel_code"]),  # type: ignore[call-overload]
            send_shop_block=bool(merged["send_shop_block"]),
            return_flag=int(merged["return_flag"]),  # type: ignore[call-overload]
        )


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
        "version: createorder doc version, default 17 (newer docs may be 19)",
        "product_type: default 1 (快餐/送餐); full list not public",
        "shop_type: default 1 (shop_id is the SF shop id); 2 for our own shop id",
        "cancel_code: default 313 (商家发起取消/其他) [M]",
        "send_shop_block: default False; shop{} is for platform-type developers only",
        "rate_limit_per_s: QPS not published; 5/s chosen",
        "error codes: no public table; classified by guessed codes plus message keywords",
        "getorderstatus/riderlatestposition result field names (rider_name/operator_name, "
        "real_pay_money, rider_lat/rider_lng) inferred from callbacks and samples",
        "status 14 (picked up, [L]) mapped to PICKED_UP; 28 (可疑单被拒单, [L]) to CANCELLED",
        "url_index names for rider-withdraw callbacks; status is read from order_status",
    ),
)
