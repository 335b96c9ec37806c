"""有赞 rules as data, plus options for what shared/sources/wechat_miniprogram.md §2
leaves open ([~]/[?]). Every such option is listed in ``RULES.unverified`` and marked
ASSUMED where the code uses it.

有赞 has no public self-delivery (商家自配送) status write-back API in our sources (§2,
Gap 1): ``syncs_back`` is False, so the sync-back worker never queues anything for it
and the cashier updates the order in the 有赞 back office if at all."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.core.sources.kit import read_options, split_list
from app.core.sources.rules import SourceRules

DEFAULT_OPTIONS: dict[str, object] = {
    "api_version": "4.0.0",  # youzan.trade.get version
    "token_path": "auth/token",
    "paid_types": "trade_TradePaid,trade_TradeBuyerPay",
    "closed_types": "trade_TradeClose",
    "success_types": "trade_TradeSuccess",
}


@dataclass(frozen=True, slots=True)
class YouzanOptions:
    api_version: str = "4.0.0"
    token_path: str = "auth/token"
    paid_types: tuple[str, ...] = ("trade_TradePaid", "trade_TradeBuyerPay")
    closed_types: tuple[str, ...] = ("trade_TradeClose",)
    success_types: tuple[str, ...] = ("trade_TradeSuccess",)

    @classmethod
    def from_mapping(cls, options: Mapping[str, object]) -> YouzanOptions:
        m = read_options(DEFAULT_OPTIONS, options)
        return cls(
            api_version=str(m["api_version"]),
            token_path=str(m["token_path"]).strip("/"),
            paid_types=split_list(m["paid_types"]),
            closed_types=split_list(m["closed_types"]),
            success_types=split_list(m["success_types"]),
        )


RULES = SourceRules(
    id="youzan",
    name_zh="有赞",
    name_en="Youzan",
    production_base_url="https://open.youzanyun.com/",
    sandbox_base_url="https://open.youzanyun.com/",
    push_kinds=("push",),
    modes=("off", "push"),  # no order pull: 有赞 re-pushes what was not acknowledged
    money_unit="yuan",
    credential_keys=("client_id", "client_secret", "kdt_id"),
    secret_keys=("client_secret",),
    rehearsal_credentials={
        "client_id": "rehearsal-youzan-client",
        "client_secret": "rehearsal-youzan-secret",
        "kdt_id": "46110001",
    },
    default_options=DEFAULT_OPTIONS,
    syncs_back=False,
    unverified=(
        "no self-delivery status write-back API is public: nothing is synced back [? §2]",
        "order details read with youzan.trade.get (api_version 4.0.0) at "
        "<host>/api/youzan.trade.get/<version>?access_token=… and its full_order_info "
        "shape (order_info, address_info, pay_info, orders, remark_info) [~ §2]",
        "the push msg of trade messages carries the same full_order_info when present; "
        "otherwise the order is read with youzan.trade.get [~]",
        "access token from <host>/auth/token, authorize_type silent, grant_id kdt_id, "
        "answer {success, data:{access_token, expires (ms)}} [? not in the notes]",
        "express_type: 0 快递 (not stored: not a same-city order), 1 到店自提 (shown), "
        "2 同城配送 (dispatched) [?]",
        "version: only the state never moves back; other fields take the message received "
        "last, even of a lower version [~ §2]",
        "address_extra lat/lon are GCJ-02 [?]",
        "paid_types / closed_types / success_types: which message types mean paid, "
        "closed (cancelled/refunded) and done; trade_TradeCreate (unpaid) is ignored [~ §2]",
        "reply to a refused push: HTTP 403 {'code':403,'msg':'invalid sign'} [?]",
        "display number: the last 4 digits of the tid (有赞 has no day number) [JuPei choice]",
        "no pull of missed pushes: 有赞 retries 4 times (5 s … 2 h) and an open order is "
        "re-read with youzan.trade.get after downtime [~ README §5]",
    ),
)
