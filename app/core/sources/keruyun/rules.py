"""客如云 rules as data, plus options for what shared/sources/keruyun.md leaves open
([~]/[?]). Every such option is listed in ``RULES.unverified`` and marked ASSUMED where
the code uses it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.core.sources.keruyun.codes import BIZ_TYPES, CANCEL_REASON
from app.core.sources.kit import read_options
from app.core.sources.rules import SourceRules

DEFAULT_OPTIONS: dict[str, object] = {
    # "1.0": SHA256 over the sorted system params + token (the doc's worked example);
    # "2.0": the same with the JSON body before the token [✓ rule, ? exact literal]
    "sign_version": "1.0",
    # v2: the literal "body" before the JSON? The doc example's plaintext shows it, the
    # rule text and the doc's printed sign (779d7041…, = our hash without it) do not [?]
    "v2_body_key": False,
    "timestamp_unit": "s",  # the parameter table says seconds, v2 examples show ms [?]
    "skew_s": 300,  # |timestamp - now| above this is refused [✓]
    "biz_type": 1,  # 1 餐饮配送, 2 电商配送, 399 其他 (sync-back when the order gave none)
    "cancel_code": 1,  # our attempt cancelled: 1 配送员取消
    "reject_code": 3,  # the shop refuses the delivery request: 3 商户取消
    "coords_text": True,  # rider longitude/latitude sent as decimal text [?]
    "reservation_after_min": 60,  # an expected delivery later than this is a 预订单
}


@dataclass(frozen=True, slots=True)
class KeruyunOptions:
    sign_version: str = "1.0"
    v2_body_key: bool = False
    timestamp_unit: str = "s"
    skew_s: int = 300
    biz_type: int = 1
    cancel_code: int = 1
    reject_code: int = 3
    coords_text: bool = True
    reservation_after_min: int = 60

    @classmethod
    def from_mapping(cls, options: Mapping[str, object]) -> KeruyunOptions:
        m = read_options(DEFAULT_OPTIONS, options)
        version = str(m["sign_version"])
        unit = str(m["timestamp_unit"])
        if version not in ("1.0", "2.0"):
            raise ValueError(f"keruyun sign_version must be 1.0 or 2.0, not {version!r}")
        if unit not in ("s", "ms"):
            raise ValueError(f"keruyun timestamp_unit must be s or ms, not {unit!r}")
        if int(str(m["biz_type"])) not in BIZ_TYPES or int(str(m["cancel_code"])) not in (
            CANCEL_REASON
        ):
            raise ValueError("keruyun biz_type or cancel_code is not one of 客如云's codes")
        return cls(
            sign_version=version,
            v2_body_key=bool(m["v2_body_key"]),
            timestamp_unit=unit,
            skew_s=int(str(m["skew_s"])),
            biz_type=int(str(m["biz_type"])),
            cancel_code=int(str(m["cancel_code"])),
            reject_code=int(str(m["reject_code"])),
            coords_text=bool(m["coords_text"]),
            reservation_after_min=int(str(m["reservation_after_min"])),
        )


RULES = SourceRules(
    id="keruyun",
    name_zh="客如云",
    name_en="Keruyun",
    production_base_url="https://openapi.keruyun.com",
    sandbox_base_url="",  # gldopenapi.keruyun.com is retired: test on production [✓]
    push_kinds=("delivery", "status"),
    modes=("off", "push"),  # delivery requests are pushed only: nothing to pull
    money_unit="fen",
    credential_keys=("app_key", "shop_identy", "token"),
    secret_keys=("token",),
    rehearsal_credentials={
        "app_key": "301001",
        "shop_identy": "247900001",
        "token": "rehearsal-keruyun-token",
    },
    default_options=DEFAULT_OPTIONS,
    unverified=(
        "sign_version / v2_body_key: whether v2 signs the literal key 'body' before the JSON "
        "(the doc example's plaintext) or the JSON alone (the rule text, and the sign the "
        "Apifox copy of the page prints, 779d7041…, which is our hash without it); v1 is the "
        "default because its worked example is reproduced [? §3]",
        "timestamp_unit: the parameter table says seconds, the v2 examples use 13-digit "
        "milliseconds [? §3]",
        "客如云 signs its pushes 'the same way'; where the system params travel is not "
        "stated: the query string is read, else the JSON body's top level [? §3]",
        "the reply to a push is {'code':0,'message':'成功[OK]','messageUuid':…} for the "
        "delivery request too (its response table is truncated) [~ §4.1]; a refused push gets "
        "{'code':1,'message':'签名错误'} [?]",
        "delivery requests have no pull: a request 客如云 could not deliver must be re-sent "
        "from the POS; no order read either (catch-up re-reads nothing) [~ §5]",
        "addrLat/addrLng are GCJ-02 (高德, as the status push says) [~ §4.1]",
        "a re-dispatch after our status 5 is reported as 1/2 again for the same orderId [? §4.3]",
        "tpOrderId is the carrier's order id, else our attempt key [~]",
        "delivererId is the rider's phone, else the carrier's order id [?]",
        "error codes other than 2003 订单不存在; signature/token errors read as auth [?]",
        "a delivery request whose expectedDeliveredTime is more than "
        "reservation_after_min ahead is a 预订单 [~]",
    ),
)
