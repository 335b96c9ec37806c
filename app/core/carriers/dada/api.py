"""Dada adapter: thin I/O around ``mapping``. Every request goes through CarrierHttp.

Dada keys everything by our ``origin_id`` (= ``attempt.idempotency_key``), so that is
also the carrier order id we report. A binding quote's ``deliveryNo`` carries the
origin_id it was quoted with; when that differs from the attempt's key (or the quote
has expired) the order is placed one-shot with ``addOrder`` instead.
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
    RejectedError,
    RiderPosition,
    StatusSnapshot,
)
from app.core.carriers.dada import codes, mapping
from app.core.carriers.dada.rules import RULES, Options
from app.core.carriers.kit import AdapterBase, Wire, body_unwrap, is_duplicate
from app.core.domain import DeliveryAttempt, DeliveryStatus, Order, Quote

log = logging.getLogger(__name__)


class Adapter(AdapterBase[Options]):
    id = "dada"
    rules = RULES
    OPTIONS = Options

    def __init__(self, ctx: CarrierContext) -> None:
        super().__init__(ctx)
        self._unwrap = body_unwrap(mapping.unwrap, overrides=self.opts.error_codes)

    # ------------------------------------------------------------ transport
    async def _call(self, path: str, params: Mapping[str, object], *, mutating: bool) -> Any:
        body = mapping.dumps(params)
        content = mapping.envelope(
            self.ctx.credentials, body, self._unix(), keep_empty=self.opts.sign_empty_body
        )
        wire = Wire(path, content, mapping.CONTENT_TYPE)
        return await self._exchange(wire, mutating=mutating, unwrap=self._unwrap)

    def _order_params(self, order: Order, origin_id: str) -> dict[str, Any]:
        callback = self.ctx.callback_url or self.opts.callback_placeholder
        return mapping.order_params(
            order, self.ctx.store, self.ctx.credentials, origin_id, callback, self.opts
        )

    async def city_codes(self) -> dict[str, str]:
        """Dada's city list, {cityName: cityCode}: a safe call for the first-day check
        (the store's ``city_code`` must be Dada's code for its city); body "" signed as
        ``sign_empty_body`` says."""
        content = mapping.envelope(
            self.ctx.credentials, "", self._unix(), keep_empty=self.opts.sign_empty_body
        )
        wire = Wire(mapping.PATH_CITY_CODES, content, mapping.CONTENT_TYPE)
        return mapping.parse_city_codes(
            await self._exchange(wire, mutating=False, unwrap=self._unwrap)
        )

    # ------------------------------------------------------------ operations
    async def quote(self, order: Order, *, key: str = "") -> Quote:
        origin_id = key or order.pos_order_id
        result = await self._call(
            mapping.PATH_QUOTE, self._order_params(order, origin_id), mutating=False
        )
        return mapping.parse_quote(
            result or {},
            origin_id=origin_id,
            now=self.ctx.clock.now(),
            ttl_s=self.opts.quote_ttl_s,
        )

    async def create(self, order: Order, quote: Quote, attempt: DeliveryAttempt) -> CreateResult:
        key = attempt.idempotency_key
        bound = (
            quote.carrier == self.id
            and quote.token
            and quote.raw.get("origin_id") == key
            and not quote.expired(self.ctx.clock.now())
        )
        try:
            if bound:
                result = await self._call(
                    mapping.PATH_ADD_AFTER_QUERY,
                    mapping.add_after_query_body(quote.token),
                    mutating=True,
                )
                return mapping.parse_create(result, origin_id=key, fallback_fee_fen=quote.fee_fen)
            result = await self._call(
                mapping.PATH_ADD_ORDER, self._order_params(order, key), mutating=True
            )
            return mapping.parse_create(result, origin_id=key, fallback_fee_fen=None)
        except RejectedError as e:
            if not is_duplicate(codes.ERRORS, e, self.opts.error_codes):
                raise
        log.info("dada: origin_id %s already exists, resolving by query", key)
        snap = await self.query(attempt)
        return CreateResult(
            carrier_order_id=key,
            fee_fen=snap.actual_fee_fen if snap.actual_fee_fen is not None else quote.fee_fen,
            raw=snap.raw,
        )

    async def query(self, attempt: DeliveryAttempt) -> StatusSnapshot:
        key = attempt.idempotency_key
        result = await self._call(mapping.PATH_QUERY, mapping.order_id_body(key), mutating=False)
        return mapping.parse_status(
            result or {},
            origin_id=key,
            time_format=self.opts.time_format,
            fee_includes_tips=self.opts.actual_fee_includes_tips,
        )

    async def cancel_preview(self, attempt: DeliveryAttempt) -> int:
        """Dada has no preview call: estimate from the status and the documented rule."""
        snap = await self.query(attempt)
        if snap.status in (DeliveryStatus.PENDING_ACCEPT, DeliveryStatus.SUBMITTING):
            return 0
        if snap.status not in (DeliveryStatus.ACCEPTED, DeliveryStatus.AT_PICKUP):
            raise RejectedError(self.id, f"not cancellable in status {snap.raw_status}")
        accepted = mapping.parse_time(snap.raw.get("acceptTime"), self.opts.time_format)
        if accepted is None:
            return self.opts.cancel_fee_fen
        since = (self.ctx.clock.now() - accepted).total_seconds()
        free_s = self.opts.cancel_free_after_accept_s
        paid_until = self.opts.cancel_paid_until_s
        if since <= free_s:
            return 0
        if since > paid_until and snap.status is DeliveryStatus.ACCEPTED:
            return 0  # rider did not reach the shop in time: free
        return self.opts.cancel_fee_fen

    async def cancel(self, attempt: DeliveryAttempt, reason: str) -> int:
        body = mapping.cancel_body(
            attempt.idempotency_key,
            reason,
            self.opts.cancel_reason_id,
        )
        result = await self._call(mapping.PATH_CANCEL, body, mutating=True)
        return mapping.parse_cancel_fee(result)

    async def add_tip(self, attempt: DeliveryAttempt, amount_fen: int) -> int:
        total = attempt.tip_fen + amount_fen
        if amount_fen <= 0 or total % RULES.tips.step_fen:
            raise RejectedError(self.id, "tip must be a positive amount in whole jiao (0.1 yuan)")
        body = mapping.tip_body(attempt.idempotency_key, total)
        await self._call(mapping.PATH_TIP, body, mutating=True)
        return total

    async def rider_positions(self, attempts: Sequence[DeliveryAttempt]) -> list[RiderPosition]:
        out: list[RiderPosition] = []
        keys = [a.idempotency_key for a in attempts]
        step = RULES.position_batch
        for i in range(0, len(keys), step):
            result = await self._call(
                mapping.PATH_POSITION, mapping.positions_body(keys[i : i + step]), mutating=False
            )
            out.extend(mapping.parse_positions(result))
        return out

    def parse_callback(self, request: CallbackRequest) -> CallbackResult:
        return mapping.parse_callback(request.body)

    # ------------------------------------------------------------ extras (capabilities)
    async def track_url(self, attempt: DeliveryAttempt) -> str:
        result = await self._call(
            mapping.PATH_TRACK, mapping.order_id_body(attempt.idempotency_key), mutating=False
        )
        return str((result or {}).get("trackUrl") or "")

    async def confirm_return(self, attempt: DeliveryAttempt) -> None:
        """Goods are back at the shop (9 -> 10); Dada auto-confirms if we never call."""
        await self._call(
            mapping.PATH_CONFIRM_GOODS,
            mapping.order_id_body(attempt.idempotency_key),
            mutating=True,
        )
