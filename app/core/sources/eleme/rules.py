"""饿了么 napos rules as data, plus options for what shared/sources/eleme.md leaves open
([~]/[?]). Every such option is listed in ``RULES.unverified`` and marked ASSUMED
where the code uses it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.core.sources.kit import read_options
from app.core.sources.rules import SourceRules

DEFAULT_OPTIONS: dict[str, object] = {
    "default_fulfilment": "self_delivery",  # the shop is 自配送 unless a message says not
    "state_sync": True,  # also send selfDeliveryStateSync beside start/complete
    "accept_state": "",  # stateInfo.state for a rider accepting; "" = send nothing
    "distributor_id": 201,
    "delivery_company_name": "",  # "" = our carrier's display name
    "location_sync": True,
    "page_size": 50,
    "max_pages": 20,
    "yesterday_until_hour": 2,
    "cancel_type": "others",  # cancelOrderLite reason enum value [?]
}


@dataclass(frozen=True, slots=True)
class ElemeOptions:
    default_fulfilment: str = "self_delivery"
    state_sync: bool = True
    accept_state: str = ""
    distributor_id: int = 201
    delivery_company_name: str = ""
    location_sync: bool = True
    page_size: int = 50
    max_pages: int = 20
    yesterday_until_hour: int = 2
    cancel_type: str = "others"

    @classmethod
    def from_mapping(cls, options: Mapping[str, object]) -> ElemeOptions:
        m = read_options(DEFAULT_OPTIONS, options)
        return cls(
            default_fulfilment=str(m["default_fulfilment"]),
            state_sync=bool(m["state_sync"]),
            accept_state=str(m["accept_state"]),
            distributor_id=int(str(m["distributor_id"])),
            delivery_company_name=str(m["delivery_company_name"]),
            location_sync=bool(m["location_sync"]),
            page_size=int(str(m["page_size"])),
            max_pages=int(str(m["max_pages"])),
            yesterday_until_hour=int(str(m["yesterday_until_hour"])),
            cancel_type=str(m["cancel_type"]),
        )


RULES = SourceRules(
    id="eleme",
    name_zh="饿了么",
    name_en="Ele.me",
    production_base_url="https://open-api.shop.ele.me/api/v1/",
    sandbox_base_url="https://open-api-sandbox.shop.ele.me/api/v1/",
    push_kinds=("push",),
    money_unit="yuan",
    credential_keys=("app_key", "app_secret", "shop_id", "access_token", "refresh_token"),
    secret_keys=("app_secret", "access_token", "refresh_token"),
    rehearsal_credentials={
        "app_key": "rehearsal-eleme-key",
        "app_secret": "rehearsal-eleme-secret",
        "shop_id": "720032",
        "access_token": "rehearsal-eleme-token",
        "refresh_token": "rehearsal-eleme-refresh",
    },
    default_options=DEFAULT_OPTIONS,
    unverified=(
        "default_fulfilment: an order is 自配送 unless platform-delivery messages (51–56) "
        "arrive; the order body has no delivery-mode field [~ §5]",
        "state_sync / accept_state / distributor_id: selfDeliveryStateSync shape and state "
        "enum from one integrator (DELIVERY_START, DELIVERY_COMPLETE); accept state unknown "
        "[~/? §6]",
        "no documented way to report a cancelled attempt: nothing is sent [? §6]",
        "shopPart/elemePart read as discounts by absolute value (sign convention) [~ §5]",
        "mgetOrders batch limit 50 [?]",
        "mgetOrders with an id the platform no longer knows: if the whole batch is refused "
        "(not-found), the open orders are re-read one by one with getOrder [?]",
        "refund messages 33/35 end the order like cancel agreement 23/25 [~ §7]",
        "push dedupe key requestId [~ §4]",
        "getPushFailMsg / confirmPullMsg params and answer shape (list of messages with "
        "msgId) [~ §9]",
        "getAllOrders answer {total, list} [~ J OOrderList]",
        "reply to a refused push: HTTP 403 {'message':'invalid signature'} [?]",
        "an empty push body is the console's URL check: answered ok [~ J demo]",
        "cancel_type: cancelOrderLite reason enum value 'others' [? §7]",
        "token refresh at <host>/token with HTTP Basic app_key:app_secret, form "
        "grant_type=refresh_token [~ J Token]",
        "token lifetime and refresh rules [? §1]; rate limits [? §11]",
        "OAuth code flow parameter names: /authorize?response_type=code&client_id&state&"
        "redirect_uri&scope=all, /token grant_type=authorization_code&code&redirect_uri&"
        "client_id with HTTP Basic (public SDKs; hosts ✓ §1) — eleme/oauth.py",
    ),
)
