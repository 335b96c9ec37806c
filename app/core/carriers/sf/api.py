"""SF same-city adapter: thin I/O around ``mapping`` (all shapes live there).

Idempotency key = ``shop_order_id``. Outcome-unknown creates are resolved by
``getorderstatus`` with ``order_type=2``; a duplicate ``shop_order_id`` on create is
resolved the same way and never makes a second order.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from app.core.carriers.base import (
    CallbackRequest,
    CallbackResult,
    CreateResult,
    RejectedError,
    RiderPosition,
    StatusSnapshot,
)
from app.core.carriers.kit import AdapterBase, Wire, body_unwrap
from app.core.carriers.sf import codes, mapping
from app.core.carriers.sf.rules import RULES, Options
from app.core.domain import DeliveryAttempt, Order, Quote

log = logging.getLogger(__name__)

_unwrap = body_unwrap(mapping.unwrap)


class Adapter(AdapterBase[Options]):
    id = "sf"
    rules = RULES
    OPTIONS = Options

    async def _call(self, wire: mapping.Wire, *, mutating: bool) -> dict[str, Any]:
        sent = Wire(mapping.PATH + wire.method, wire.content, wire.content_type, params=wire.params)
        return await self._exchange_obj(sent, mutating=mutating, unwrap=_unwrap, callback=True)

    async def quote(self, order: Order, *, key: str = "") -> Quote:
        wire = mapping.build_quote(order, self.ctx.store, self.creds, self.opts, self._unix())
        result = await self._call(wire, mutating=False)
        return mapping.parse_quote(result, self.ctx.clock.now())

    async def create(self, order: Order, quote: Quote, attempt: DeliveryAttempt) -> CreateResult:
        wire = mapping.build_create(
            order, self.ctx.store, attempt, self.creds, self.opts, self._unix()
        )
        try:
            result = await self._call(wire, mutating=True)
        except codes.DuplicateOrderError:
            log.info("sf: shop_order_id %s exists, resolving by query", attempt.idempotency_key)
            snap = await self.query(attempt.with_(carrier_order_id=""))
            return CreateResult(snap.carrier_order_id, fee_fen=snap.actual_fee_fen, raw=snap.raw)
        return mapping.parse_create(result)

    async def query(self, attempt: DeliveryAttempt) -> StatusSnapshot:
        wire = mapping.build_ref_call(
            "getorderstatus", attempt, self.creds, self.opts, self._unix()
        )
        result = await self._call(wire, mutating=False)
        return mapping.parse_status(result, attempt.idempotency_key, status_22=self.opts.status_22)

    async def cancel_preview(self, attempt: DeliveryAttempt) -> int:
        wire = mapping.build_ref_call(
            "precancelorder", attempt, self.creds, self.opts, self._unix()
        )
        return mapping.parse_precancel(await self._call(wire, mutating=False))

    async def cancel(self, attempt: DeliveryAttempt, reason: str) -> int:
        wire = mapping.build_cancel(attempt, reason, self.creds, self.opts, self._unix())
        return mapping.parse_cancel(await self._call(wire, mutating=True))

    async def add_tip(self, attempt: DeliveryAttempt, amount_fen: int) -> int:
        problem = self.rules.tips.validate(attempt.tip_fen, amount_fen, 0)
        if problem:
            raise RejectedError(self.id, problem)
        wire = mapping.build_tip(attempt, amount_fen, self.creds, self.opts, self._unix())
        total = mapping.parse_tip(await self._call(wire, mutating=True))
        return total if total is not None else attempt.tip_fen + amount_fen

    async def rider_positions(self, attempts: Sequence[DeliveryAttempt]) -> list[RiderPosition]:
        async def one(a: DeliveryAttempt) -> RiderPosition | None:
            wire = mapping.build_ref_call(
                "riderlatestposition", a, self.creds, self.opts, self._unix()
            )
            return mapping.parse_position(await self._call(wire, mutating=False), a.idempotency_key)

        return await self._each_position(attempts, one, skip=())  # SF: any error fails all

    def parse_callback(self, request: CallbackRequest) -> CallbackResult:
        return mapping.parse_callback(request, self.creds, status_22=self.opts.status_22)
