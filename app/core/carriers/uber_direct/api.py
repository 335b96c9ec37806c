"""Uber Direct adapter: OAuth client credentials (token cached, renewed before it
expires and once on a 401), quotes -> deliveries with ``quote_id``, cancel, proof of
delivery. REST + JSON under ``/v1/customers/{customer_id}``.

A create whose answer never came is resolved by listing deliveries and matching our
``external_id`` (the idempotency key), never by sending it again.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from app.core.carriers.base import (
    CallbackRequest,
    CallbackResult,
    CreateResult,
    NotFoundError,
    OutcomeUnknownError,
    RejectedError,
    RiderPosition,
    StatusSnapshot,
    UnavailableError,
)
from app.core.carriers.http import HttpResponse
from app.core.carriers.kit import AdapterBase, unreadable
from app.core.carriers.uber_direct import mapping
from app.core.carriers.uber_direct.rules import AUTH_URL, PRODUCTION, RULES, Options
from app.core.domain import DeliveryAttempt, DeliveryStatus, Order, Quote

log = logging.getLogger(__name__)
CARRIER = "uber_direct"
_MALFORMED = (ValueError, TypeError, KeyError, AttributeError)


class Adapter(AdapterBase[Options]):
    id = CARRIER
    rules = RULES
    OPTIONS = Options

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._token = ""
        self._until: datetime | None = None
        self._lock = asyncio.Lock()

    # ------------------------------------------------------------------ auth
    def _token_url(self) -> str:
        if self.opts.token_url:
            return self.opts.token_url
        base = self.ctx.base_url.rstrip("/")
        return AUTH_URL if base == PRODUCTION else base + "/oauth/v2/token"

    async def _fetch_token(self) -> None:
        creds = self._required_creds(("client_id", "client_secret"))
        resp = await self.ctx.http.post(
            CARRIER,
            self._token_url(),
            content=mapping.token_form(creds, self.opts.scope),
            content_type=mapping.FORM,
            mutating=False,
        )
        if resp.status != 200:
            raise mapping.read_error(resp.status, resp.body, mutating=False)
        try:
            self._token, until = mapping.parse_token(resp.body, self._now())
        except (*_MALFORMED, UnicodeDecodeError):
            raise unreadable(CARRIER, mutating=False, what="malformed token answer") from None
        self._until = until - timedelta(seconds=self.opts.token_margin_s)

    async def _bearer(self, *, renew: bool = False) -> str:
        async with self._lock:
            fresh = self._token and self._until is not None and self._now() < self._until
            if renew or not fresh:
                await self._fetch_token()
            return self._token

    # ------------------------------------------------------------------ plumbing
    def _url(self, path: str) -> str:
        cid = self._required_creds(("customer_id",))["customer_id"]
        return f"{self.ctx.base_url.rstrip('/')}/v1/customers/{cid}{path}"

    async def _send(
        self, method: str, path: str, body: dict[str, Any] | None, mutating: bool, token: str
    ) -> HttpResponse:
        headers = {"Authorization": f"Bearer {token}"}
        return await self.ctx.http.call(
            CARRIER,
            method,
            self._url(path),
            content=None if method == "GET" else mapping.dumps(body or {}),
            content_type=mapping.JSON,
            headers={**headers, **(self._callback_headers() or {})},
            mutating=mutating,
        )

    async def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, mutating: bool
    ) -> dict[str, Any]:
        resp = await self._send(method, path, body, mutating, await self._bearer())
        if resp.status == 401:  # expired or revoked: one new token, one more try
            resp = await self._send(method, path, body, mutating, await self._bearer(renew=True))
        return mapping.unwrap(resp.body, mutating=mutating, status=resp.status)

    def _country(self) -> str:
        return self.ctx.store.country

    # ------------------------------------------------------------------ operations
    async def quote(self, order: Order, *, key: str = "") -> Quote:
        body = mapping.quote_body(
            order,
            self.ctx.store,
            key or order.pos_order_id,
            system=self.opts.wire_coord_system,
            fmt=self.opts.address_format,
            country=self._country(),
        )
        doc = await self._call("POST", "/delivery_quotes", body, mutating=False)
        got, want = str(doc.get("currency") or "").upper(), self.ctx.store.currency.upper()
        if got and want and got != want:  # cents of another currency are not our money
            msg = f"fee in {got}, [store] currency is {want}"
            raise RejectedError(CARRIER, msg, code="currency")
        try:
            straight = mapping.straight_line_m(order, self.ctx.store)
            return mapping.parse_quote(doc, self._now(), self.opts.quote_validity_s, straight)
        except _MALFORMED as e:
            raise UnavailableError(CARRIER, f"malformed quote ({type(e).__name__})") from None

    async def create(self, order: Order, quote: Quote, attempt: DeliveryAttempt) -> CreateResult:
        body = mapping.create_body(
            order,
            self.ctx.store,
            attempt.idempotency_key,
            quote,
            system=self.opts.wire_coord_system,
            fmt=self.opts.address_format,
            country=self._country(),
        )
        doc = await self._call("POST", "/deliveries", body, mutating=True)
        try:
            return mapping.parse_create(doc)
        except _MALFORMED as e:
            raise OutcomeUnknownError(CARRIER, f"malformed create answer: {e}") from None

    async def _delivery(self, attempt: DeliveryAttempt) -> dict[str, Any]:
        if attempt.carrier_order_id:
            return await self._call(
                "GET", f"/deliveries/{attempt.carrier_order_id}", mutating=False
            )
        listing = await self._call("GET", "/deliveries", mutating=False)
        found = mapping.find_external(listing, attempt.idempotency_key)
        if found is None:
            raise NotFoundError(CARRIER, "no delivery with that external_id", code="not_found")
        return dict(found)

    async def query(self, attempt: DeliveryAttempt) -> StatusSnapshot:
        doc = await self._delivery(attempt)
        try:
            return mapping.parse_delivery(doc, cancel_fee_field=self.opts.cancel_fee_field)
        except _MALFORMED as e:
            raise UnavailableError(CARRIER, f"malformed delivery ({type(e).__name__})") from None

    async def cancel_preview(self, attempt: DeliveryAttempt) -> int:
        """No preview call exists: free while no courier is assigned, else unknown."""
        snap = await self.query(attempt)
        if snap.status is DeliveryStatus.PENDING_ACCEPT:
            return 0
        raise RejectedError(CARRIER, "Uber Direct gives no cancellation-fee preview")

    async def cancel(self, attempt: DeliveryAttempt, reason: str) -> int:
        ref = attempt.carrier_order_id or (await self.query(attempt)).carrier_order_id
        doc = await self._call("POST", f"/deliveries/{ref}/cancel", {}, mutating=True)
        fee = mapping.parse_delivery(doc, cancel_fee_field=self.opts.cancel_fee_field)
        if fee.cancel_fee_fen is None:
            log.info("uber_direct: cancel answer names no fee (%s)", self.opts.cancel_fee_field)
        return fee.cancel_fee_fen or 0

    async def add_tip(self, attempt: DeliveryAttempt, amount_fen: int) -> int:
        raise RejectedError(CARRIER, "carrier does not take tips after the create")

    async def proof_of_delivery(self, attempt: DeliveryAttempt) -> tuple[str, bytes]:
        """``(type, document bytes)`` of a delivered delivery ([M] endpoint)."""
        kind = self.opts.proof_type
        body = {"waypoint": "dropoff", "type": kind}
        path = f"/deliveries/{attempt.carrier_order_id}/proof-of-delivery"
        doc = await self._call("POST", path, body, mutating=False)
        try:
            return kind, base64.b64decode(str(doc["document"]), validate=True)
        except (*_MALFORMED, binascii.Error):
            raise UnavailableError(CARRIER, "malformed proof of delivery") from None

    async def rider_positions(self, attempts: Sequence[DeliveryAttempt]) -> list[RiderPosition]:
        async def one(a: DeliveryAttempt) -> RiderPosition | None:
            doc = await self._delivery(a)
            return mapping.parse_position(doc, a.idempotency_key, self.opts.wire_coord_system)

        return await self._each_position(attempts, one)

    def parse_callback(self, request: CallbackRequest) -> CallbackResult:
        key = self.creds.get("webhook_signing_key", "")
        return mapping.parse_callback(
            request.body, request.headers, key, cancel_fee_field=self.opts.cancel_fee_field
        )
