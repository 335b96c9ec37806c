"""Shansong adapter: thin I/O around ``mapping``. Every request goes through CarrierHttp.

The quote's ``orderNumber`` (``quote.token``, persisted by the caller as
``attempt.quote_token``) is Shansong's order number ``issOrderNo`` from then on, so an
outcome-unknown ``orderPlace`` is resolved by ``orderInfo(issOrderNo, thirdOrderNo)``.
Our key is ``receiverList[].orderNo`` / ``thirdOrderNo``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from app.core.carriers.base import (
    CallbackRequest,
    CallbackResult,
    CarrierContext,
    CreateResult,
    NotFoundError,
    RejectedError,
    RiderPosition,
    StatusSnapshot,
)
from app.core.carriers.kit import AdapterBase, Wire, body_unwrap, is_duplicate
from app.core.carriers.shansong import codes, mapping
from app.core.carriers.shansong.rules import RULES, Options
from app.core.domain import DeliveryAttempt, Order, Quote

log = logging.getLogger(__name__)


class Adapter(AdapterBase[Options]):
    id = "shansong"
    rules = RULES
    OPTIONS = Options

    def __init__(self, ctx: CarrierContext) -> None:
        super().__init__(ctx)
        self._unwrap = body_unwrap(mapping.unwrap, overrides=self.opts.error_codes)

    # ------------------------------------------------------------ transport
    async def _call(self, path: str, params: Mapping[str, object] | None, *, mutating: bool) -> Any:
        data = mapping.dumps(params) if params else None
        ts_ms = int(self._now().timestamp() * 1000)
        content = mapping.form(self.ctx.credentials, data, ts_ms)
        wire = Wire(path, content, mapping.CONTENT_TYPE)
        return await self._exchange(wire, mutating=mutating, unwrap=self._unwrap)

    @staticmethod
    def _iss(attempt: DeliveryAttempt) -> str:
        return attempt.carrier_order_id or attempt.quote_token

    # ------------------------------------------------------------ operations
    async def quote(self, order: Order, *, key: str = "") -> Quote:
        order_no = key or order.pos_order_id
        body = mapping.calculate_body(order, self.ctx.store, order_no, self.opts)
        data = await self._call(mapping.PATH_QUOTE, body, mutating=False)
        return mapping.parse_quote(
            data or {},
            order_no=order_no,
            now=self.ctx.clock.now(),
            ttl_s=self.opts.quote_ttl_s,
        )

    async def create(self, order: Order, quote: Quote, attempt: DeliveryAttempt) -> CreateResult:
        iss = quote.token or attempt.quote_token
        if not iss:
            raise RejectedError(self.id, "no orderNumber: quote before placing")
        try:
            data = await self._call(mapping.PATH_PLACE, mapping.iss_body(iss), mutating=True)
            return mapping.parse_place(data, iss_order_no=iss, fallback_fee_fen=quote.fee_fen)
        except RejectedError as e:
            if not is_duplicate(codes.ERRORS, e, self.opts.error_codes):
                raise
        log.info("shansong: %s already placed, resolving by orderInfo", iss)
        snap = await self.query(attempt.with_(carrier_order_id=iss))
        fee = snap.actual_fee_fen if snap.actual_fee_fen is not None else quote.fee_fen
        return CreateResult(carrier_order_id=iss, fee_fen=fee, raw=snap.raw)

    async def query(self, attempt: DeliveryAttempt) -> StatusSnapshot:
        iss = self._iss(attempt)
        body = mapping.info_body(iss, attempt.idempotency_key)
        data = await self._call(mapping.PATH_INFO, body, mutating=False)
        if not data:
            raise NotFoundError(self.id, "no such order", code=None)
        return mapping.parse_info(
            data,
            iss_order_no=str(data.get("orderNumber") or iss),
            order_no=attempt.idempotency_key,
            returned_after_pickup=self.opts.returned_after_pickup,
        )

    async def cancel_preview(self, attempt: DeliveryAttempt) -> int:
        data = await self._call(
            mapping.PATH_PRE_ABORT, mapping.iss_body(self._iss(attempt)), mutating=False
        )
        return mapping.parse_abort_fee(data)

    async def cancel(self, attempt: DeliveryAttempt, reason: str) -> int:
        """abortOrder takes no reason; ``reason`` stays on our side."""
        body = mapping.abort_body(self._iss(attempt), self.opts.deduct_flag)
        data = await self._call(mapping.PATH_ABORT, body, mutating=True)
        return mapping.parse_abort_fee(data)

    async def add_tip(self, attempt: DeliveryAttempt, amount_fen: int) -> int:
        tips = RULES.tips
        why = tips.validate(attempt.tip_fen, amount_fen, 0)
        if why:
            raise RejectedError(self.id, why)
        body = mapping.addition_body(self._iss(attempt), amount_fen)
        await self._call(mapping.PATH_ADDITION, body, mutating=True)
        return attempt.tip_fen + amount_fen

    async def rider_positions(self, attempts: Sequence[DeliveryAttempt]) -> list[RiderPosition]:
        """One courierInfo call per attempt (no batch endpoint)."""

        async def one(a: DeliveryAttempt) -> RiderPosition | None:
            body = mapping.iss_body(self._iss(a))
            data = await self._call(mapping.PATH_COURIER, body, mutating=False)
            return mapping.parse_courier(data, order_no=a.idempotency_key)

        return await self._each_position(attempts, one, skip=(NotFoundError,))

    def parse_callback(self, request: CallbackRequest) -> CallbackResult:
        return mapping.parse_callback(
            request.body,
            self.ctx.credentials,
            check_ids=self.opts.check_callback_ids,
            returned_after_pickup=self.opts.returned_after_pickup,
        )

    # ------------------------------------------------------------ extras (capabilities)
    async def confirm_return(self, attempt: DeliveryAttempt) -> None:
        """Goods are back at the shop: 40 (物品送回中) -> 60."""
        await self._call(
            mapping.PATH_CONFIRM_RETURN, mapping.iss_body(self._iss(attempt)), mutating=True
        )
