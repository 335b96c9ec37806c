"""蜂鸟即配 (Ele.me anubis v3 openapi) rules as data, plus the [?] knobs.

The request signer (SHA-256 of ``secret + k=v&…``) is verified by three independent
implementations and success is code 200 (audit §5). The public v3 spec is thin
(shared/carriers/fengniao.md): everything tagged [?] there is
a field of ``Options`` that ``CarrierContext.options`` may override, and is
listed in ``RULES.unverified`` so the first run against exam-anubis can confirm it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from app.core.carriers.meta import BillColumns
from app.core.carriers.rules import CancelRules, CarrierRules, TipRules
from app.core.domain import DeliveryStatus


@dataclass(frozen=True, slots=True)
class Options:
    """Every knob with its most likely default; ``ctx.options`` may override each."""

    # envelope / responses
    success_code: int = 200  # verified (audit §5): meiquan and FengniaoService check 200
    version: str = "1.0"
    # v3 status table assumed = v2 (1/20/80/2/3/4/5, 0 = 订单生成); overrides: {"code": "status"}
    status_overrides: Mapping[str, str] = field(default_factory=dict)
    # v3 error codes assumed = v2; extra codes per class: {"auth": [..], "rate_limit": [..], ...}
    extra_error_codes: Mapping[str, object] = field(default_factory=dict)
    # store field: "chain_store_id" (Fengniao's id) / "out_shop_code" (ours) / "auto"
    # (digits -> chain_store_id, else out_shop_code)
    store_id_field: str = "auto"
    # quote -> create link: preCreateOrder is treated as an estimate; the chosen goods ids are
    # echoed into createOrder. If v3 turns out to need a token, name the fields here.
    quote_token_field: str = "t_index_id"  # response field carrying a link token, if any
    create_link_field: str = ""  # createOrder field that takes it ("" = not sent)
    quote_validity_s: int = 0  # 0 = estimate, no binding expiry
    # send transport_* (pickup point) next to the store id; the sandbox prices from it
    send_transport_point: bool = True
    # v3 callbacks go to the console-configured URL; a per-order field only if one exists
    callback_url_field: str = ""
    # cancel: reason code from getCancelReasonList unless fixed here (v3 example: 32)
    cancel_reason_code: object = None
    cancel_role: int = 1  # order_cancel_role 1 merchant
    # tips: field names of addTip [?]
    tip_amount_field: str = "add_tip_amount_cent"
    # goods category: no v3 SDK shows a category field, so none is sent unless named
    # here (ASSUMED); categories maps category id -> the value to send
    category_field: str = ""
    categories: Mapping[str, object] = field(default_factory=dict)
    tip_serial_field: str = "third_index_id"
    # rider position coordinate system of getKnightInfo [?]
    rider_coord_system: str = "gcj02"
    # callbacks: verification ("sha256" = same signer as requests, "none" = syntax only)
    callback_verify: str = "sha256"
    # ASSUMED (F9): which keys a callback signature covers: "varys" (app_id, business_data,
    # timestamp, the one independent verifier), "all" (every request key present) or
    # "either" (default: a match of either is accepted)
    callback_sign_keys: str = "either"
    # ASSUMED (F9): what Fengniao requires was not found; varys answers {"result":"OK"}
    callback_reply: str = '{"code":200,"msg":"success"}'


RULES = CarrierRules(
    id="fengniao",
    name_zh="蜂鸟即配",
    name_en="Fengniao (Ele.me)",
    production_base_url="https://open-anubis.ele.me/anubis-webapi",
    sandbox_base_url="https://exam-anubis.ele.me/anubis-webapi",
    # preCreateOrder returns a price but no documented binding token: createOrder re-prices
    # from the same goods ids, so the quote is an estimate (like SF/Meituan), never binding.
    quote_binding=False,
    quote_ttl_s=None,
    tips=TipRules(
        supported=True,
        mode="add",
        min_fen=100,
        step_fen=100,
        max_total_fen=None,
        only_before_accept=True,
        note="addTip fields/limits unverified [?]; add_tip_amount_cent in fen assumed",
    ),
    cancel=CancelRules(
        allowed_until=DeliveryStatus.AT_PICKUP,  # v2: cancellable in 1/20/80
        has_preview=True,
        free_after_accept_s=0,
        free_before_accept=True,
        note="preCancelOrder gives actual_cancel_cost_cent, which cancelOrder must echo",
    ),
    position_batch=1,
    rate_limit_per_s=5.0,  # unknown upstream: modest default
    coord_system="gcj02",  # position_source 3 = 高德
    money_unit="fen",
    accept_timeout_s=300,
    poll_interval_s=30,
    capabilities=frozenset(
        {"quote", "cancel_preview", "cancel_reasons", "tip", "rider_position", "callback"}
    ),
    credential_keys=("app_id", "app_secret", "merchant_id", "shop_id"),
    secret_keys=("app_secret", "access_token"),
    rehearsal_credentials={
        "app_id": "rehearsal-fn",
        "app_secret": "rehearsal-fn-secret",
        "merchant_id": "4103883",
        "shop_id": "JP-STORE-1",
        "access_token": "rehearsal-fn-token",
    },
    unverified=(
        "category_field: no v3 field for the goods category is known; none sent unless "
        "named (with categories per category)",
        "status_overrides: v3 order_status codes assumed = v2 1/20/80/2/3/4/5, 0 = 订单生成",
        "extra_error_codes: v3 error codes assumed = v2 (40002 签名失败, 50011 重复提交, ...);"
        " rate-limit and balance codes unknown (matched by message text)",
        "store_id_field: chain_store_id vs out_shop_code for shop_id (default auto)",
        "quote_token_field/create_link_field: preCreateOrder -> createOrder link (default none,"
        " goods ids echoed; quote treated as estimate)",
        "cancel_reason_code: default taken from getCancelReasonList",
        "tip_amount_field/tip_serial_field: addTip field names (add_tip_amount_cent,"
        " third_index_id) and limits",
        "rider_coord_system: getKnightInfo coordinates (default gcj02)",
        "callback_verify: v3 callback signed with the request signer (sha256); varys "
        "verifies the same way",
        "callback_sign_keys: keys a v3 callback signature covers (ASSUMED, default either: "
        "varys' app_id/business_data/timestamp or every request key present)",
        "callback_reply: reply body a v3 callback expects (ASSUMED, default "
        '{code:200,msg:success}; varys answers {"result":"OK"})',
        "send_transport_point: transport_* pickup fields sent alongside the store id",
        "callback_url_field: per-order callback URL field (default none: console-configured)",
        "access_token refresh endpoint: /openapi/refreshToken (ASSUMED, leaning: varys and "
        "MQEnergy's router; MQEnergy's code posts to /openapi/token); no refresh flow yet",
        "rate limit (default 5 req/s)",
    ),
)

COLOUR = "#13c2c2"  # report charts

# statement columns: guesses, to be confirmed against a real statement (editable)
BILL_COLUMNS = BillColumns(
    "运单号|蜂鸟运单号", "商户订单号|商家订单号", "实际配送费(元)|金额(元)", "yuan", "下单时间|日期"
)
