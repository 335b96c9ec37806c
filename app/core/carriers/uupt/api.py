"""UU v3 adapter: thin I/O over ``mapping`` through the shared ``CarrierHttp``.

Quotes are binding (``priceToken``, short TTL); ``addOrder`` is keyed by ``originId`` =
``attempt.idempotency_key``; a "重复" answer is resolved by ``orderDetail``, never by a
second order. Cancels go ``cancelFee`` -> ``cancelOrder``; never after pickup; the fee
charged is ``deductFee``. An addOrder answer with ``orderUrl`` is an order waiting for
payment: it is cancelled (``cancel_unpaid``) and reported as ``PaymentRequiredError``
(insufficient balance, with the link), never recorded as placed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from app.core.carriers import kit
from app.core.carriers.base import (
    CallbackRequest,
    CallbackResult,
    CarrierError,
    CreateResult,
    NotFoundError,
    OutcomeUnknownError,
    RejectedError,
    RiderPosition,
    StatusSnapshot,
    UnavailableError,
)
from app.core.carriers.kit import AdapterBase, Unwrap, guarded, is_duplicate
from app.core.carriers.uupt import codes, mapping
from app.core.carriers.uupt.rules import RULES, Options
from app.core.domain import DeliveryAttempt, Order, Quote

log = logging.getLogger(__name__)
CARRIER = "uupt"
_MALFORMED = (ValueError, TypeError, AttributeError, KeyError)


class Adapter(AdapterBase[Options]):
    id = CARRIER
    rules = RULES
    OPTIONS = Options

    # ------------------------------------------------------------------ plumbing
    def _creds(self) -> dict[str, str]:
        return self._required_creds(RULES.credential_keys)

    @property
    def _fields(self) -> dict[str, str]:
        return {
            "fee": self.opts.fee_field,
            "tip": self.opts.tip_amount_field,
            "cancel": self.opts.cancel_fee_field,
            "detail_fee": self.opts.detail_fee_field,
        }

    async def _call(self, name: str, biz: dict[str, Any], *, mutating: bool) -> dict[str, Any]:
        ts = mapping.timestamp(self.ctx.clock.now(), self.opts.timestamp_unit)
        wire = mapping.envelope("/order/" + name, biz, self._creds(), ts)
        return await self._exchange_obj(wire, mutating=mutating, unwrap=self._unwrap_for(name))

    def _unwrap_for(self, name: str) -> Unwrap:
        def read(body: bytes, mutating: bool) -> dict[str, Any]:
            success = self.opts.success_codes
            extra = self.opts.extra_error_codes
            return mapping.unwrap(body, success, extra, mutating=mutating)

        return guarded(CARRIER, name, read)

    def _ref(self, attempt: DeliveryAttempt) -> dict[str, object]:
        return mapping.order_ref(
            attempt.idempotency_key, attempt.carrier_order_id, self.opts.field_style
        )

    # ------------------------------------------------------------------ operations
    async def quote(self, order: Order, *, key: str = "") -> Quote:
        data = await self._call(
            "orderPrice", mapping.price_body(order, self.ctx.store, self.opts), mutating=False
        )
        try:
            return mapping.parse_quote(
                data,
                self.ctx.clock.now(),
                ttl_s=self.opts.price_token_ttl_s,
                fee_field=self.opts.fee_field,
            )
        except _MALFORMED as e:
            raise UnavailableError(CARRIER, f"malformed quote ({type(e).__name__})") from None

    async def create(self, order: Order, quote: Quote, attempt: DeliveryAttempt) -> CreateResult:
        if quote.expired(self.ctx.clock.now()):
            raise RejectedError(CARRIER, "priceToken expired: quote again", code="-2002")
        body = mapping.add_order_body(
            order, quote, attempt.idempotency_key, self.ctx.callback_url, self.opts
        )
        try:
            data = await self._call("addOrder", body, mutating=True)
        except RejectedError as e:
            if not is_duplicate(codes.ERRORS, e, self.opts.extra_error_codes):
                raise
            log.info("uupt: %s already exists, resolving by query", attempt.idempotency_key)
            snap = await self.query(attempt.with_(carrier_order_id=""))
            return CreateResult(snap.carrier_order_id, fee_fen=snap.actual_fee_fen, raw=snap.raw)
        try:
            return mapping.parse_create(data, quote)
        except mapping.PaymentRequiredError as e:
            await self._drop_unpaid(attempt, e)
            raise
        except (ValueError, TypeError) as e:
            raise OutcomeUnknownError(CARRIER, f"malformed create answer: {e}") from None

    async def _drop_unpaid(self, attempt: DeliveryAttempt, e: mapping.PaymentRequiredError) -> None:
        """Cancel the order UU holds for payment, so paying the link later cannot send a
        rider to an order that went to another carrier; a failure is only logged."""
        log.info("uupt: %s waits for payment (balance too low)", attempt.idempotency_key)
        if not self.opts.cancel_unpaid:
            return
        ref = self._ref(attempt.with_(carrier_order_id=e.order_code))
        try:
            await self._call("cancelOrder", {**ref, "reason": "余额不足，未支付"}, mutating=True)
        except CarrierError as err:
            log.warning("uupt: could not cancel the unpaid order: %s", err)

    async def query(self, attempt: DeliveryAttempt) -> StatusSnapshot:
        data = await self._call("orderDetail", self._ref(attempt), mutating=False)
        if not mapping.pick(data, "orderCode") and data.get("state") in (None, ""):
            raise NotFoundError(CARRIER, "no such order", code="-4002")
        f = self._fields
        return mapping.parse_status(
            data,
            fee_field=f["fee"],
            tip_field=f["tip"],
            cancel_field=f["cancel"],
            overrides=self.opts.status_overrides,
            detail_fee_field=f["detail_fee"],
        )

    async def cancel_preview(self, attempt: DeliveryAttempt) -> int:
        data = await self._call("cancelFee", self._ref(attempt), mutating=False)
        return int(data.get(self._fields["cancel"]) or 0)

    async def cancel(self, attempt: DeliveryAttempt, reason: str) -> int:
        fee = await self.cancel_preview(attempt)
        data = await self._call(
            "cancelOrder", {**self._ref(attempt), "reason": reason or "商家取消"}, mutating=True
        )
        for name in (self.opts.charged_fee_field, self._fields["cancel"]):
            charged = kit.fen_from_fen(data.get(name))
            if charged is not None:
                return charged  # the fee UU actually deducted (deductFee, F5)
        return fee

    async def add_tip(self, attempt: DeliveryAttempt, amount_fen: int) -> int:
        why = RULES.tips.validate(attempt.tip_fen, amount_fen, 0)
        if why:
            raise RejectedError(CARRIER, why)
        body = {**self._ref(attempt), self._fields["tip"]: amount_fen}
        await self._call("addGratuity", body, mutating=True)
        return attempt.tip_fen + amount_fen

    async def rider_positions(self, attempts: Sequence[DeliveryAttempt]) -> list[RiderPosition]:
        async def one(a: DeliveryAttempt) -> RiderPosition | None:
            data = await self._call("driverTrack", self._ref(a), mutating=False)
            return mapping.parse_track(data, a.idempotency_key, self.opts.track_coords)

        return await self._each_position(attempts, one)

    def parse_callback(self, request: CallbackRequest) -> CallbackResult:
        return mapping.parse_callback(
            request.body,
            self.ctx.credentials,
            verify=self.opts.callback_verify,
            reply=self.opts.callback_reply,
            fields=self._fields,
            overrides=self.opts.status_overrides,
        )
