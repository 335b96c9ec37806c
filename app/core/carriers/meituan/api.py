"""Meituan (legacy) adapter: thin I/O around ``mapping``.

Idempotency: ``order_id`` (<=32 chars) and ``delivery_id`` (int64) are both derived from
``attempt.idempotency_key``; Meituan documents that resending createByShop with the same
ids names the same activity and returns the same ``mt_peisong_id``. The legacy doc marks
``mt_peisong_id`` required for ``order/status/query``, ``order/delete`` and
``order/rider/location`` (audit F1), so without it ``query`` (and a cancel or tip) raises
``OutcomeUnknownError`` instead of sending a call the carrier rejects: the dispatcher
settles an unknown create by re-sending ``createByShop`` (capability
``resend_resolves``). The knob ``query_by_delivery_id`` (ASSUMED, off) restores the old
lookup by ``delivery_id`` + ``order_id`` for an account that accepts it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from app.core.carriers.base import (
    CallbackRequest,
    CallbackResult,
    CarrierError,
    CreateResult,
    OutcomeUnknownError,
    RejectedError,
    RiderPosition,
    StatusSnapshot,
)
from app.core.carriers.kit import AdapterBase, Wire, body_unwrap
from app.core.carriers.meituan import mapping
from app.core.carriers.meituan.rules import RULES, Options
from app.core.domain import DeliveryAttempt, DeliveryStatus, Order, Quote

log = logging.getLogger(__name__)

_unwrap = body_unwrap(mapping.unwrap)


class Adapter(AdapterBase[Options]):
    id = "meituan"
    rules = RULES
    OPTIONS = Options

    async def _call(self, wire: mapping.Wire, *, mutating: bool) -> dict[str, Any]:
        sent = Wire(wire.path, wire.content, wire.content_type)
        return await self._exchange_obj(sent, mutating=mutating, unwrap=_unwrap, callback=True)

    async def quote(self, order: Order, *, key: str = "") -> Quote:
        wire = mapping.build_quote(order, self.creds, self.opts, self._unix(), self.ctx.store)
        data = await self._call(wire, mutating=False)
        return mapping.parse_quote(data, self.ctx.clock.now(), self.opts)

    async def create(self, order: Order, quote: Quote, attempt: DeliveryAttempt) -> CreateResult:
        # A duplicate order_id+delivery_id is answered with the existing mt_peisong_id,
        # so "already exists" needs no separate path here.
        wire = mapping.build_create(
            order, attempt, self.creds, self.opts, self._unix(), self.ctx.store
        )
        return mapping.parse_create(await self._call(wire, mutating=True))

    async def query(self, attempt: DeliveryAttempt) -> StatusSnapshot:
        if not attempt.carrier_order_id and not self.opts.query_by_delivery_id:
            raise OutcomeUnknownError(
                self.id, "no mt_peisong_id yet (required by the API): re-send createByShop"
            )
        wire = mapping.build_query(attempt, self.creds, self._unix())
        data = await self._call(wire, mutating=False)
        previous = attempt.rider if attempt.status.rank >= DeliveryStatus.ACCEPTED.rank else None
        return mapping.parse_status(data, attempt.idempotency_key, previous)

    async def _with_peisong_id(self, attempt: DeliveryAttempt) -> DeliveryAttempt:
        if attempt.carrier_order_id:
            return attempt
        snap = await self.query(attempt)
        return attempt.with_(carrier_order_id=snap.carrier_order_id)

    async def cancel_preview(self, attempt: DeliveryAttempt) -> int:
        """No preview API: free while waiting for a rider, else the configured estimate
        (the real fee shows up as ``pay_amount`` after the cancel)."""
        snap = await self.query(attempt)
        if not self.rules.cancel.cancellable(snap.status):
            raise RejectedError(self.id, f"cannot cancel in status {snap.raw_status}")
        if snap.status is DeliveryStatus.PENDING_ACCEPT:
            return 0
        return self.opts.cancel_fee_estimate_fen

    async def cancel(self, attempt: DeliveryAttempt, reason: str) -> int:
        attempt = await self._with_peisong_id(attempt)
        wire = mapping.build_cancel(attempt, reason, self.creds, self.opts, self._unix())
        await self._call(wire, mutating=True)
        try:
            snap = await self.query(attempt)
        except CarrierError:  # the cancel went through; the fee is reconciled later
            log.info("meituan: fee query after cancel failed for %s", attempt.idempotency_key)
            return 0
        return snap.cancel_fee_fen or 0

    async def add_tip(self, attempt: DeliveryAttempt, amount_fen: int) -> int:
        times = attempt.tip_count
        problem = self.rules.tips.validate(attempt.tip_fen, amount_fen, times)
        if problem:
            raise RejectedError(self.id, problem)
        attempt = await self._with_peisong_id(attempt)
        wire = mapping.build_tip(attempt, amount_fen, self.creds, self.opts, self._unix())
        await self._call(wire, mutating=True)
        return attempt.tip_fen + amount_fen

    async def rider_positions(self, attempts: Sequence[DeliveryAttempt]) -> list[RiderPosition]:
        async def one(a: DeliveryAttempt) -> RiderPosition | None:
            wire = mapping.build_position(a, self.creds, self._unix())
            return mapping.parse_position(await self._call(wire, mutating=False), a.idempotency_key)

        known = [a for a in attempts if a.carrier_order_id]  # no mt_peisong_id: no rider yet
        return await self._each_position(known, one)

    def parse_callback(self, request: CallbackRequest) -> CallbackResult:
        return mapping.parse_callback(request, self.creds)
