"""Uber Direct (DaaS) rules as data, plus the knobs for what shared/carriers/uber_direct.md
tags [L]/[?] (each one ``ASSUMED`` and listed in ``RULES.unverified``).

International edition: money is integer minor units (cents) with the store's currency,
coordinates go out as WGS-84 (GCJ-02 only differs inside China). A store in China does
should not see this carrier unless ``[carriers.uber_direct] enabled`` is set explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.carriers.meta import BillColumns
from app.core.carriers.rules import CancelRules, CarrierRules, TipRules
from app.core.domain import DeliveryStatus

AUTH_URL = "https://auth.uber.com/oauth/v2/token"
PRODUCTION = "https://api.uber.com"


@dataclass(frozen=True, slots=True)
class Options:
    """Every knob with its most likely default; ``ctx.options`` may override each."""

    scope: str = "eats.deliveries"  # [H]
    # "" = auth.uber.com for the production host, ``<base_url>/oauth/v2/token`` otherwise
    # (the rehearsal sandbox serves both on one port)
    token_url: str = ""
    # renew the cached token this long before it expires ([M] tokens live ~30 days)
    token_margin_s: int = 3600
    quote_validity_s: int = 900  # [H] FAQ: 15 minutes
    # ASSUMED [L]: coordinates on the wire are WGS-84
    wire_coord_system: str = "wgs84"
    # "line" (one-line address) or "structured" (JSON-encoded {street_address[], city,
    # state, zip_code, country}); both documented, structured recommended but we hold no
    # zip/state, so ASSUMED "line" is accepted for a store abroad
    address_format: str = "line"
    # ASSUMED [?]: field of the cancel answer (a delivery) carrying the charged fee, cents
    cancel_fee_field: str = "cancelation_fee"
    # proof of delivery asked for once the delivery is delivered ("" = never): picture,
    # signature or pincode [M]
    proof_type: str = "picture"


RULES = CarrierRules(
    id="uber_direct",
    name_zh="Uber Direct",
    name_en="Uber Direct",
    production_base_url=PRODUCTION,
    sandbox_base_url=PRODUCTION,  # same host, test credentials [M]
    quote_binding=True,  # create carries quote_id at the quoted fee
    quote_ttl_s=900,
    tips=TipRules(
        supported=False,
        note="tip is sent with the create only (cents); no documented call raises it later",
    ),
    cancel=CancelRules(
        allowed_until=DeliveryStatus.AT_PICKUP,
        has_preview=False,
        free_after_accept_s=0,
        free_before_accept=True,
        note="cancellation fees depend on the contract and the courier's progress [?]",
    ),
    position_batch=1,
    rate_limit_per_s=0.3,  # sandbox: 200 requests / 10 minutes per application [H]
    coord_system="wgs84",
    money_unit="cents",
    accept_timeout_s=600,
    poll_interval_s=30,
    capabilities=frozenset({"quote", "rider_position", "callback", "proof_of_delivery"}),
    credential_keys=("client_id", "client_secret", "customer_id"),
    # the webhook signing key is optional: without webhooks the desk polls
    secret_keys=("client_secret", "webhook_signing_key"),
    rehearsal_credentials={
        "client_id": "rehearsal-uber-client",
        "client_secret": "rehearsal-uber-secret",
        "customer_id": "rehearsal-customer-1",
        "webhook_signing_key": "rehearsal-uber-signing-key",
    },
    overseas=True,
    unverified=(
        "wire_coord_system: coordinates are WGS-84 [L] (default wgs84)",
        "address_format: one-line address accepted for every country (default line)",
        "cancel_fee_field: the cancel answer's fee field (default cancelation_fee) [?]",
        "duplicate external_id: a re-sent create with the same external_id is assumed"
        " to return the existing delivery (never sent blind: unknown outcomes are resolved"
        " by listing deliveries and matching external_id)",
        "token lifetime ~30 days [M]; renewed token_margin_s before expires_in",
        "webhook retry schedule [?]",
        "error codes other than unauthorized/customer_limited (invalid_params,"
        " delivery_not_found, customer_suspended, expired_quote) [?]",
    ),
)

COLOUR = "#276ef1"  # report charts

# statement columns: guesses, to be confirmed against a real Direct statement (editable)
BILL_COLUMNS = BillColumns("Delivery ID|delivery_id", "External ID|external_id", "Fee|fee", "fen")
