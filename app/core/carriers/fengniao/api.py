"""Fengniao v3 adapter: thin I/O over ``mapping`` through the shared ``CarrierHttp``.

Quotes are estimates (``preCreateOrder``); ``createOrder`` is keyed by
``partner_order_code`` = ``attempt.idempotency_key``, and a duplicate answer (50011
重复提交) is resolved by ``getOrderDetail``, never by a second order. Cancels go
``getCancelReasonList`` -> ``preCancelOrder`` -> ``cancelOrder`` echoing the fee.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
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
from app.core.carriers.fengniao import codes, mapping
from app.core.carriers.fengniao.rules import RULES, Options
from app.core.carriers.kit import AdapterBase, Unwrap, guarded, is_duplicate
from app.core.domain import DeliveryAttempt, Order, Quote

log = logging.getLogger(__name__)
CARRIER = "fengniao"


class Adapter(AdapterBase[Options]):
    id = CARRIER
    rules = RULES
    OPTIONS = Options

    # ------------------------------------------------------------------ plumbing
    def _creds(self) -> dict[str, str]:
        return self._required_creds((*RULES.credential_keys, "access_token"))

    def _now_ms(self) -> int:
        return int(self.ctx.clock.now().timestamp() * 1000)

    async def _call(self, api: str, business: dict[str, Any], *, mutating: bool) -> Any:
        wire = mapping.envelope(api, business, self._creds(), self._now_ms(), self.opts.version)
        return await self._exchange(wire, mutating=mutating, unwrap=self._unwrap_for(api))

    def _unwrap_for(self, api: str) -> Unwrap:
        def read(body: bytes, mutating: bool) -> Any:
            success, extra = self.opts.success_code, self.opts.extra_error_codes
            return mapping.unwrap(body, success, extra, mutating=mutating)

        return guarded(CARRIER, api, read)

    def _shop(self) -> dict[str, str]:
        return mapping.store_fields(self.ctx.credentials["shop_id"], self.opts.store_id_field)

    @staticmethod
    def _ref(attempt: DeliveryAttempt) -> dict[str, str]:
        return mapping.order_ref(attempt.idempotency_key, attempt.carrier_order_id)

    # ------------------------------------------------------------------ operations
    async def quote(self, order: Order, *, key: str = "") -> Quote:
        body = mapping.quote_body(
            order,
            self.ctx.store,
            self._shop(),
            order.pos_order_id,
            transport=self.opts.send_transport_point,
            category_field=self.opts.category_field,
            categories=self.opts.categories,
        )
        data = await self._call("preCreateOrder", body, mutating=False)
        try:
            return mapping.parse_quote(
                data,
                self.ctx.clock.now(),
                token_field=self.opts.quote_token_field,
                validity_s=self.opts.quote_validity_s,
            )
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            raise UnavailableError(CARRIER, f"malformed quote ({type(e).__name__})") from None

    async def create(self, order: Order, quote: Quote, attempt: DeliveryAttempt) -> CreateResult:
        cb_field = self.opts.callback_url_field
        body = mapping.create_body(
            order,
            self.ctx.store,
            self._shop(),
            attempt.idempotency_key,
            quote,
            link_field=self.opts.create_link_field,
            transport=self.opts.send_transport_point,
            callback=(cb_field, self.ctx.callback_url),
            category_field=self.opts.category_field,
            categories=self.opts.categories,
        )
        try:
            data = await self._call("createOrder", body, mutating=True)
        except RejectedError as e:
            if not is_duplicate(codes.ERRORS, e, self.opts.extra_error_codes):
                raise
            log.info("fengniao: %s already exists, resolving by query", attempt.idempotency_key)
            snap = await self.query(attempt.with_(carrier_order_id=""))
            return CreateResult(snap.carrier_order_id, fee_fen=snap.actual_fee_fen, raw=snap.raw)
        try:
            return mapping.parse_create(data)
        except (ValueError, TypeError) as e:
            raise OutcomeUnknownError(CARRIER, f"malformed create answer: {e}") from None

    async def query(self, attempt: DeliveryAttempt) -> StatusSnapshot:
        data = await self._call("getOrderDetail", self._ref(attempt), mutating=False)
        if not data or not isinstance(data, dict) or "order_status" not in data:
            raise NotFoundError(CARRIER, "no such order", code="50037")
        return mapping.parse_status(data, self.opts.status_overrides)

    async def _reason_code(self, attempt: DeliveryAttempt) -> object:
        fixed = self.opts.cancel_reason_code
        if fixed is not None:
            return fixed
        data = await self._call("getCancelReasonList", self._ref(attempt), mutating=False)
        return mapping.parse_reason_code(data)

    async def _pre_cancel(self, attempt: DeliveryAttempt, code: object) -> int:
        data = await self._call(
            "preCancelOrder", {**self._ref(attempt), "order_cancel_code": code}, mutating=False
        )
        return int(data["actual_cancel_cost_cent"])

    async def cancel_preview(self, attempt: DeliveryAttempt) -> int:
        return await self._pre_cancel(attempt, await self._reason_code(attempt))

    async def cancel(self, attempt: DeliveryAttempt, reason: str) -> int:
        code = await self._reason_code(attempt)
        fee = await self._pre_cancel(attempt, code)
        body = mapping.cancel_body(self._ref(attempt), code, fee, reason, self.opts.cancel_role)
        await self._call("cancelOrder", body, mutating=True)
        return fee

    async def add_tip(self, attempt: DeliveryAttempt, amount_fen: int) -> int:
        why = RULES.tips.validate(attempt.tip_fen, amount_fen, 0)
        if why:
            raise RejectedError(CARRIER, why)
        total = attempt.tip_fen + amount_fen
        fields = (self.opts.tip_amount_field, self.opts.tip_serial_field)
        await self._call(
            "addTip", mapping.tip_body(self._ref(attempt), amount_fen, total, fields), mutating=True
        )
        return total

    async def rider_positions(self, attempts: Sequence[DeliveryAttempt]) -> list[RiderPosition]:
        async def one(a: DeliveryAttempt) -> RiderPosition | None:
            data = await self._call("getKnightInfo", self._ref(a), mutating=False)
            return mapping.parse_knight(data, a.idempotency_key, self.opts.rider_coord_system)

        return await self._each_position(attempts, one)

    def parse_callback(self, request: CallbackRequest) -> CallbackResult:
        return mapping.parse_callback(
            request.body,
            self.ctx.credentials,
            verify=self.opts.callback_verify,
            reply=self.opts.callback_reply,
            sign_keys=self.opts.callback_sign_keys,
            overrides=self.opts.status_overrides,
        )
