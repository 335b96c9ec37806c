"""哗啦啦 rules as data. The public material (shared/sources/hualala.md) is thin: only the
signer, the headers and the endpoint paths are [✓]; every other fact is an option here,
marked ASSUMED where the code uses it and listed in ``RULES.unverified`` — the list the
merchant's 哗啦啦 account manager must confirm (README)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from app.core.sources.kit import read_options, split_list
from app.core.sources.rules import SourceRules

# ASSUMED: 哗啦啦's orderStatus values are not public
ORDER_STATES: dict[str, str] = {
    "10": "new",  # 待确认
    "20": "confirmed",  # 已确认
    "30": "confirmed",  # 配送中
    "40": "completed",  # 已完成
    "50": "cancelled",  # 已取消
}
# ASSUMED: thirdPartyStatus (and shipperInfoVo.statusCode) values per our delivery state
SYNC_STATUS: dict[str, int] = {
    "accepted": 21,  # 骑手已接单
    "at_pickup": 22,  # 骑手已到店
    "picked_up": 30,  # 配送中
    "delivered": 40,  # 已送达
    "cancelled": 51,  # 配送取消
}

DEFAULT_OPTIONS: dict[str, object] = {
    "success_code": "000",  # the answer's code on success
    "money_unit": "yuan",  # orderActualAmount / food prices: 元 text, or "fen"
    "coord_system": "gcj02",  # receiverLatitude/Longitude ("bd09" is converted)
    "pickup_types": "2",  # pickUpType values meaning 到店自取, comma-separated
    "order_states": ORDER_STATES,
    "sync_status": SYNC_STATUS,
    "confirm_status": 20,  # thirdPartyStatus of 接单
    "reject_status": 50,  # thirdPartyStatus of 拒单
    "page_size": 50,
    "max_pages": 20,
    "yesterday_until_hour": 2,  # before this local hour also pull yesterday's orders
}


@dataclass(frozen=True, slots=True)
class HualalaOptions:
    success_code: str = "000"
    money_unit: str = "yuan"
    coord_system: str = "gcj02"
    pickup_types: tuple[str, ...] = ("2",)
    order_states: dict[str, str] = field(default_factory=lambda: dict(ORDER_STATES))
    sync_status: dict[str, int] = field(default_factory=lambda: dict(SYNC_STATUS))
    confirm_status: int = 20
    reject_status: int = 50
    page_size: int = 50
    max_pages: int = 20
    yesterday_until_hour: int = 2

    @classmethod
    def from_mapping(cls, options: Mapping[str, object]) -> HualalaOptions:
        m = read_options(DEFAULT_OPTIONS, options)
        unit, coords = str(m["money_unit"]), str(m["coord_system"])
        if unit not in ("yuan", "fen") or coords not in ("gcj02", "bd09"):
            raise ValueError("hualala money_unit must be yuan/fen, coord_system gcj02/bd09")
        states = {str(k): str(v) for k, v in _mapping(m["order_states"]).items()}
        if not set(states.values()) <= {"new", "confirmed", "completed", "cancelled"}:
            raise ValueError(f"hualala order_states: unknown state in {states}")
        sync = {str(k): int(str(v)) for k, v in _mapping(m["sync_status"]).items()}
        return cls(
            success_code=str(m["success_code"]),
            money_unit=unit,
            coord_system=coords,
            pickup_types=split_list(m["pickup_types"]),
            order_states=states,
            sync_status=sync,
            confirm_status=int(str(m["confirm_status"])),
            reject_status=int(str(m["reject_status"])),
            page_size=int(str(m["page_size"])),
            max_pages=int(str(m["max_pages"])),
            yesterday_until_hour=int(str(m["yesterday_until_hour"])),
        )


def _mapping(value: object) -> Mapping[object, object]:
    if not isinstance(value, Mapping):
        raise ValueError(f"expected a table, got {value!r}")
    return value


RULES = SourceRules(
    id="hualala",
    name_zh="哗啦啦",
    name_en="Hualala",
    production_base_url="https://www-openapi.hualala.com",
    sandbox_base_url="https://dohko-open-api.hualala.com",
    push_kinds=(),  # no public push to a delivery partner: pull only
    modes=("off", "pull"),
    money_unit="yuan",
    credential_keys=("app_key", "app_secret", "group_id", "shop_id"),
    secret_keys=("app_secret",),
    rehearsal_credentials={
        "app_key": "1001key",
        "app_secret": "secretXYZ",
        "group_id": "1001",
        "shop_id": "2002",
    },
    default_options=DEFAULT_OPTIONS,
    unverified=(
        "that 哗啦啦 lets a delivery partner read a store's takeaway orders at all, and under "
        "which product/permission (no public 三方配送 scheme, no push, no callback) [? §4]",
        "the order list call: /order/queryOrder with {groupID, shopID, orderDate yyyyMMdd, "
        "pageNo, pageSize} answering data.orderList (the SDK bean only shows orderKey and "
        "targetStatus) [? §3]",
        "order fields: orderKey, orderStatus, orderTime (ms), serialNumber, receiverName/"
        "Phone/Address/Latitude/Longitude, orderActualAmount, shipFee, pickUpType, "
        "orderRemark, foodList[foodName, foodNumber, foodPrice] (names partly from "
        "DistribOrderInfoBean) [?]",
        "success_code '000' and the answer envelope {code, message, data, traceID} [~ SDK "
        "BaseResponse]",
        "money_unit: amounts are 元 text [?]",
        "coord_system: receiver coordinates are GCJ-02 (lnglatType values unknown) [?]",
        "order_states: orderStatus 10 待确认 / 20 已确认 / 30 配送中 / 40 已完成 / 50 已取消 [?]",
        "pickup_types: pickUpType 2 is 到店自取, anything else is delivered by the shop [?]",
        "sync_status: thirdPartyStatus values 21/22/30/40/51 for rider accepted, at the shop, "
        "delivering, delivered, delivery cancelled, with shipperInfoVo {shipperName, "
        "shipperPhone, statusCode, statusMsg, shippingMethod} [? §3]",
        "confirm_status 20 + takeoutConfirmTime (ms) for 接单; reject_status 50 + "
        "cancelOrderCause for 拒单 [?]",
        "v3 signing and headers as in the SDK notes (timestamp ms, version 3, MD5 of "
        "appKey+appSecret+timestamp+requestBody); the stored SDK copy still shows v2 with "
        "AES [~ §2]",
        "rate limits, token-free auth (no store authorisation step) [?]",
    ),
)
