"""DoorDash Drive v2 (international edition) rules as data, plus the [L]/[?] knobs.

Facts from shared/carriers/doordash.md. Money is integer minor units (cents) of the
store's currency; coordinates WGS-84 on the wire. Every fact tagged [L]/[?] there is a
field of ``Options`` (ASSUMED defaults) and listed in ``RULES.unverified``.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.carriers.meta import BillColumns
from app.core.carriers.rules import CancelRules, CarrierRules, TipRules
from app.core.domain import DeliveryStatus

QUOTE_TTL_S = 300  # "about 5 minutes" [M]; the answer's expires_at wins when present


@dataclass(frozen=True, slots=True)
class Options:
    """ASSUMED defaults for the facts the public sources leave open."""

    # ASSUMED [L]: HMAC key = signing_secret base64url-decoded ("base64url") or raw ("raw")
    secret_decoding: str = "base64url"
    jwt_ttl_s: int = 300  # samples use 5 or 30 minutes; <= 1800 [M]
    # ASSUMED [?]: which field of the cancel answer carries the charged cancellation fee
    # (cancellation fees are not in the sources); "" = never charged
    cancel_fee_field: str = "fee"
    # ASSUMED [M]: the webhook auth header value we configured in the Developer Portal
    # (Basic or a custom token); checked when the credential ``webhook_auth`` is set
    webhook_auth_header: str = "Authorization"
    dasher_allowed_vehicles: tuple[str, ...] = ()
    action_if_undeliverable: str = "return_to_pickup"


RULES = CarrierRules(
    id="doordash",
    name_zh="DoorDash Drive",
    name_en="DoorDash Drive",
    production_base_url="https://openapi.doordash.com",
    sandbox_base_url="https://openapi.doordash.com",  # sandbox is chosen by the key [M]
    quote_binding=True,  # POST /drive/v2/quotes/{id}/accept creates at the quoted fee
    quote_ttl_s=QUOTE_TTL_S,
    tips=TipRules(
        supported=True,
        mode="replace",  # PATCH /deliveries/{id} {tip}: the new total
        min_fen=1,
        step_fen=1,
        only_before_accept=False,
        note="tip in cents via PATCH; how late a tip may change is unverified [?]",
    ),
    cancel=CancelRules(
        allowed_until=DeliveryStatus.AT_PICKUP,  # ASSUMED: not once picked up
        has_preview=False,
        free_before_accept=True,
        note="PUT /deliveries/{id}/cancel; cancellation fees not in the sources [?]",
    ),
    position_batch=1,
    rate_limit_per_s=5.0,  # ~300 requests / 60 s per access key [M]
    coord_system="wgs84",
    money_unit="cents",
    accept_timeout_s=600,
    poll_interval_s=30,
    capabilities=frozenset({"quote", "binding_quote", "tip", "rider_position", "callback"}),
    credential_keys=("developer_id", "key_id", "signing_secret"),
    secret_keys=("signing_secret", "webhook_auth"),
    rehearsal_credentials={
        "developer_id": "rehearsal-dd-developer",
        "key_id": "rehearsal-dd-key",
        # base64url of b"rehearsal-doordash-signing-secret!"
        "signing_secret": "cmVoZWFyc2FsLWRvb3JkYXNoLXNpZ25pbmctc2VjcmV0IQ",
        # the webhook auth header value we would set in the Developer Portal
        "webhook_auth": "Basic cmVoZWFyc2FsOmRvb3JkYXNo",
    },
    overseas=True,
    unverified=(
        "secret_decoding: HMAC key is the signing_secret base64url-decoded [L] (or raw)",
        "cancel_fee_field: the cancel answer's field holding the charged fee [?] (default fee)",
        "cancel after pickup refused (allowed_until at_pickup) [?]",
        "duplicate external_delivery_id answered 409 [?]",
        "webhook auth: Basic or custom header we define [M]; no body signature",
        "wire coordinates WGS-84 [L]",
        "tip changes: until when DoorDash accepts a PATCH of tip [?]",
    ),
)

COLOUR = "#ff3008"

BILL_COLUMNS = BillColumns(
    "Delivery ID|delivery_id", "External Delivery ID|external_delivery_id", "Fee|fee", "fen", "Date"
)
