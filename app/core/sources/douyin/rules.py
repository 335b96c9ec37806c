"""抖音来客 rules as data, plus options for what shared/sources/wechat_miniprogram.md §3
leaves open ([~]/[?]). Every such option is listed in ``RULES.unverified`` and marked
ASSUMED where the code uses it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.core.sources.kit import read_options, split_list
from app.core.sources.rules import SourceRules

DEFAULT_OPTIONS: dict[str, object] = {
    "default_fulfilment": "self_delivery",  # pay_success carries no delivery mode [?]
    "cancel_actions": "refund_success,cancel",  # life_trade_order_notify actions [?]
    "send_wait_rider": True,  # send 200 待骑手接单 before the first 201
    "position_repeats": False,  # re-send 201/202/203 with a new rider point
    "timestamp_ms": False,  # update_fulfill_status ``timestamp`` unit [?]
    "token_path": "oauth/client_token/",
}


@dataclass(frozen=True, slots=True)
class DouyinOptions:
    default_fulfilment: str = "self_delivery"
    cancel_actions: tuple[str, ...] = ("refund_success", "cancel")
    send_wait_rider: bool = True
    position_repeats: bool = False
    timestamp_ms: bool = False
    token_path: str = "oauth/client_token/"

    @classmethod
    def from_mapping(cls, options: Mapping[str, object]) -> DouyinOptions:
        m = read_options(DEFAULT_OPTIONS, options)
        return cls(
            default_fulfilment=str(m["default_fulfilment"]),
            cancel_actions=split_list(m["cancel_actions"]),
            send_wait_rider=bool(m["send_wait_rider"]),
            position_repeats=bool(m["position_repeats"]),
            timestamp_ms=bool(m["timestamp_ms"]),
            token_path=str(m["token_path"]).lstrip("/"),
        )


RULES = SourceRules(
    id="douyin",
    name_zh="抖音来客",
    name_en="Douyin",
    production_base_url="https://open.douyin.com/",
    sandbox_base_url="https://open-sandbox.douyin.com/",
    push_kinds=("webhook",),
    modes=("off", "push"),  # no order query/pull is built: webhooks only
    money_unit="fen",
    credential_keys=("client_key", "client_secret", "ma_app_id", "poi_id", "account_id"),
    secret_keys=("client_secret",),
    rehearsal_credentials={
        "client_key": "rehearsal-douyin-key",
        "client_secret": "rehearsal-douyin-secret",
        "ma_app_id": "tt0000rehearsal",
        "poi_id": "7000000000000000001",
        "account_id": "7100000000000000001",
    },
    default_options=DEFAULT_OPTIONS,
    unverified=(
        "which Douyin takeaway solution the merchant is on: the mini-app "
        "update_fulfill_status (built) or the older order_out_status sync (not built) [? §3]",
        "pay_success order fields beyond order_id/account_id/pay_amount/original_amount/"
        "create_time/pay_time: poi_id, receiver_info {name, phone, address, latitude, "
        "longitude}, items [{name, count, price}], remark [? §3]",
        "default_fulfilment: pay_success says nothing about who delivers; an order is "
        "self-delivery unless Douyin's own rider messages (from_third false) arrive [?]",
        "cancel_actions: life_trade_order_notify actions that mean the order is cancelled "
        "or refunded in full (refund_success, cancel) [?]",
        "confirm = fulfil status 101 商家接单, reject = 102 with reason [~ DY5 enum]",
        "send_wait_rider: 200 待骑手接单 is sent just before the first 201 (JuPei reports "
        "no 'waiting for a rider' state of its own) [~]",
        "rider_info fields rider_name / rider_phone / rider_longitude / rider_latitude "
        "(GCJ-02) [?]; required for 201/202/203 [✓ DY5]",
        "position_repeats: whether a repeated 201/202/203 with a new point is accepted [?]",
        "timestamp unit of update_fulfill_status (seconds by default) [?]",
        "answer envelope {data:{error_code, description}, extra:{error_code, logid}} and "
        "error codes 2100004/2119002 busy, 2119003 rate limit, 28001008 token [~ DY5 page]",
        "access-token from <host>/oauth/client_token/ (client_credential) [? §6 Gap 2]",
        "webhook reply for ordinary events: HTTP 200 {'err_no':0,'err_tips':'success'} [~]",
        "no order query or pull built (the APIs exist, not researched): a missed webhook is "
        "only recovered by Douyin's 3 retries [✓ DY1]; re-reads after downtime do nothing; "
        "a message about an order that never came by pay_success is passed over",
        "a re-dispatch after pickup (203) reports 201 again, which Douyin may refuse as out "
        "of order; such a refusal is parked for the cashier [?]",
    ),
)
