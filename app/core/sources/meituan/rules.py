"""美团外卖 rules as data, plus options for what shared/sources/meituan_waimai.md leaves
open ([~]/[?]). Every such option is listed in ``RULES.unverified`` and marked ASSUMED
where the code uses it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.core.sources.kit import read_options, split_list
from app.core.sources.rules import SourceRules

DEFAULT_OPTIONS: dict[str, object] = {
    "variant": "waimaiopen",  # or "mtop" (技术服务合作中心, api-open-cater)
    "mtop_business_id": 16,  # 16 非接单 (reads + rider sync), 2 接单
    "push_sig_decode": "once_then_full",  # "once" | "full" | "once_then_full"
    "coord_e6_threshold": 1000.0,  # |value| above this is degrees x 1e6
    "sync_api": "logistics_sync",  # or "delivering_arrived" (order/delivering + arrived)
    "self_delivery_codes": "0000,00009003",
    "poi_self_path": "order/logistics/change/poi_self",
    "yesterday_until_hour": 3,  # before 03:00 local the day_seq scan also reads yesterday
    "max_day_seq_scan": 500,
}


@dataclass(frozen=True, slots=True)
class MtWmOptions:
    variant: str = "waimaiopen"
    mtop_business_id: int = 16
    push_sig_decode: str = "once_then_full"
    coord_e6_threshold: float = 1000.0
    sync_api: str = "logistics_sync"
    self_delivery_codes: tuple[str, ...] = ("0000", "00009003")
    poi_self_path: str = "order/logistics/change/poi_self"
    yesterday_until_hour: int = 3
    max_day_seq_scan: int = 500

    @classmethod
    def from_mapping(cls, options: Mapping[str, object]) -> MtWmOptions:
        m = read_options(DEFAULT_OPTIONS, options)
        return cls(
            variant=str(m["variant"]),
            mtop_business_id=int(str(m["mtop_business_id"])),
            push_sig_decode=str(m["push_sig_decode"]),
            coord_e6_threshold=float(str(m["coord_e6_threshold"])),
            sync_api=str(m["sync_api"]),
            self_delivery_codes=split_list(m["self_delivery_codes"]),
            poi_self_path=str(m["poi_self_path"]),
            yesterday_until_hour=int(str(m["yesterday_until_hour"])),
            max_day_seq_scan=int(str(m["max_day_seq_scan"])),
        )


RULES = SourceRules(
    id="meituan",
    name_zh="美团外卖",
    name_en="Meituan Waimai",
    production_base_url="https://waimaiopen.meituan.com/api/v1/",
    sandbox_base_url="https://waimaiopen.meituan.com/api/v1/",  # test store on prod host [?]
    push_kinds=("order", "confirm", "cancel", "refund", "status"),
    money_unit="yuan",
    # waimaiopen: app_id, app_secret, app_poi_code; MTOp: developer_id, sign_key,
    # app_auth_token (per store), e_poi_id (our store code bound in 美团)
    credential_keys=(
        "app_id",
        "app_secret",
        "app_poi_code",
        "developer_id",
        "sign_key",
        "app_auth_token",
        "e_poi_id",
    ),
    secret_keys=("app_secret", "sign_key", "app_auth_token"),
    rehearsal_credentials={
        "app_id": "1000",
        "app_secret": "rehearsal-mt-wm-secret",
        "app_poi_code": "S001",
        "developer_id": "100000",
        "sign_key": "rehearsal-mtop-sign-key",
        "app_auth_token": "rehearsal-mtop-token",
        "e_poi_id": "S001",
    },
    default_options=DEFAULT_OPTIONS,
    unverified=(
        "push_sig_decode: push sig over once-decoded values, retried over fully decoded "
        "values on mismatch [? §3]",
        "error envelope {'data':'ng','error':{'code','msg'}} [~ §2]; codes 701-705 (auth), "
        "711 (rate limit), 808 (no such order) guessed, messages matched as a fallback [?]",
        "reply to a refused push: HTTP 400 {'data':'ng','error':{'code':703}} [?]",
        "sync-back latitude/longitude sent as degrees with 6 decimals (not x1e6) [~ §7]",
        "sync-back without rider details (all fields required) sends the shop's name and "
        "phone (credentials store_name/store_phone) [~ §7 practice]",
        "yesterday's day_seq scan (before 03:00) stops at the first missing seq [~ §11]",
        "coord_e6_threshold: push latitude/longitude may be degrees or degrees x 1e6 [~ §6]",
        "sync_api: ecommerce/order/logistics/sync assumed callable by 餐饮 apps [~ §4]; "
        "'delivering_arrived' falls back to order/delivering + order/arrived",
        "self_delivery_codes: logistics_code 0000/00009003 (and an empty code) mean "
        "商家自配 [~ §6]",
        "poi_self_path: 转自配送 via order/logistics/change/poi_self [~ §4]",
        "order status 6 (MTOp) treated as confirmed [~ §7]",
        "push dedupe key (order_id, push kind, status, utime): Meituan has no message id [§4 README]",
        "MTOp variant: order fields, detail reply and getUnConfirmedOrders params unknown "
        "[? §4]: reads and pulls refused until a test store settles them",
        "MTOp error code names (OP_SIGN_ERROR...) [?]; only OP_SUCCESS is known",
        "MTOp variant: push sign rule assumed equal to the request rule (SHA-1) [~ §3b]",
        "MTOp reply to pushes {'data':'OK'} [✓ B, H]; 非接单 handler's {'code':0} not used [~]",
        "rate limits and retry schedule of pushes unknown [? §11]",
        "rider position sync: the current logistics_status is sent again with the new "
        "point, at most every 30 s (repeats tolerated [~ README §3])",
    ),
)
