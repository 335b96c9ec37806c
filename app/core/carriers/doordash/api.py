"""DoorDash Drive v2 adapter: REST verbs over the shared ``CarrierHttp``, a fresh JWT
per request.

Quote -> accept: the quote is made under ``external_delivery_id`` = the attempt's
idempotency key, so ``POST /quotes/{id}/accept`` creates it at the quoted fee; a quote
made without a key (the settings' test) is created directly. A duplicate id (409) is
resolved by ``GET``, never by a second delivery. Cancel: ``PUT .../cancel``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from app.core.carriers.base import (
    CallbackRequest,
    CallbackResult,
    CreateResult,
    OutcomeUnknownError,
    RejectedError,
    RiderPosition,
    StatusSnapshot,
    UnavailableError,
)
from app.core.carriers.doordash import codes, mapping
from app.core.carriers.doordash.rules import RULES, Options
from app.core.carriers.kit import AdapterBase, guarded, is_duplicate
from app.core.domain import DeliveryAttempt, DeliveryStatus, Order, Quote

log = logging.getLogger(__name__)
CARRIER = "doordash"
_MALFORMED = (ValueError, TypeError, AttributeError, KeyError)


class Adapter(AdapterBase[Options]):
    id = CARRIER
    rules = RULES
    OPTIONS = Options

    async def _call(
        self, method: str, path: str, body: dict[str, Any] | None, *, mutating: bool
    ) -> dict[str, Any]:
        creds = self._required_creds(RULES.credential_keys)
        token = mapping.jwt(
            creds,
            self.ctx.clock.now(),
            ttl_s=self.opts.jwt_ttl_s,
            decoding=self.opts.secret_decoding,
        )
        headers = {"Authorization": "Bearer " + token}
        headers.update(self._callback_headers() or {})
        resp = await self.ctx.http.call(
            CARRIER,
            method,
            self.ctx.base_url.rstrip("/") + mapping.PREFIX + path,
            content=mapping.dumps(body).encode("utf-8") if body is not None else None,
            content_type=mapping.CONTENT_TYPE,
            headers=headers,
            mutating=mutating,
        )
        read = guarded(CARRIER, path, lambda b, m: mapping.read_answer(resp.status, b, mutating=m))
        result: dict[str, Any] = read(resp, mutating)
        return result

    def _key(self, attempt: DeliveryAttempt) -> str:
        return attempt.carrier_order_id or attempt.idempotency_key

    # ------------------------------------------------------------------ operations
    async def quote(self, order: Order, *, key: str = "") -> Quote:
        body = mapping.delivery_body(order, self.ctx.store, key or order.pos_order_id, self.opts)
        data = await self._call("POST", "/quotes", body, mutating=False)
        try:
            return mapping.parse_quote(data, self.ctx.clock.now(), currency=self.ctx.store.currency)
        except _MALFORMED as e:
            raise UnavailableError(CARRIER, f"malformed quote ({e})") from None

    async def create(self, order: Order, quote: Quote, attempt: DeliveryAttempt) -> CreateResult:
        key = attempt.idempotency_key
        try:
            if quote.token == key and not quote.expired(self.ctx.clock.now()):
                body: dict[str, Any] = {"tip": attempt.tip_fen} if attempt.tip_fen else {}
                data = await self._call("POST", f"/quotes/{key}/accept", body, mutating=True)
            else:  # no live quote under this id: create directly (priced anew)
                body = mapping.delivery_body(order, self.ctx.store, key, self.opts)
                data = await self._call("POST", "/deliveries", body, mutating=True)
        except RejectedError as e:
            if not is_duplicate(codes.ERRORS, e):
                raise
            log.info("doordash: %s already exists, resolving by GET", key)
            snap = await self.query(attempt.with_(carrier_order_id=key))
            return CreateResult(key, fee_fen=snap.actual_fee_fen, raw=snap.raw)
        try:
            return mapping.parse_create(data, quote)
        except _MALFORMED as e:
            raise OutcomeUnknownError(CARRIER, f"malformed create answer: {e}") from None

    async def query(self, attempt: DeliveryAttempt) -> StatusSnapshot:
        data = await self._call("GET", f"/deliveries/{self._key(attempt)}", None, mutating=False)
        return mapping.parse_status(data, cancel_fee_field=self.opts.cancel_fee_field)

    async def cancel_preview(self, attempt: DeliveryAttempt) -> int:
        """Drive has no fee preview: 0 before a Dasher is assigned; after that the
        delivery fee is the worst case shown (ASSUMED, the fee rules are unpublished)."""
        snap = await self.query(attempt)
        if snap.status is DeliveryStatus.PENDING_ACCEPT:
            return 0
        return snap.actual_fee_fen or 0

    async def cancel(self, attempt: DeliveryAttempt, reason: str) -> int:
        path = f"/deliveries/{self._key(attempt)}/cancel"
        data = await self._call("PUT", path, None, mutating=True)
        return mapping.cancel_fee(data, self.opts.cancel_fee_field)

    async def add_tip(self, attempt: DeliveryAttempt, amount_fen: int) -> int:
        why = RULES.tips.validate(attempt.tip_fen, amount_fen, 0)
        if why:
            raise RejectedError(CARRIER, why)
        total = attempt.tip_fen + amount_fen
        data = await self._call(
            "PATCH", f"/deliveries/{self._key(attempt)}", {"tip": total}, mutating=True
        )
        tip = data.get("tip")
        return int(tip) if isinstance(tip, int) else total

    async def rider_positions(self, attempts: Sequence[DeliveryAttempt]) -> list[RiderPosition]:
        async def one(a: DeliveryAttempt) -> RiderPosition | None:
            data = await self._call("GET", f"/deliveries/{self._key(a)}", None, mutating=False)
            return mapping.parse_position(data, a.idempotency_key)

        return await self._each_position(attempts, one)

    def parse_callback(self, request: CallbackRequest) -> CallbackResult:
        return mapping.parse_webhook(
            request.body,
            request.headers,
            expected_auth=self.creds.get("webhook_auth") or None,
            header_name=self.opts.webhook_auth_header,
            cancel_fee_field=self.opts.cancel_fee_field,
        )
