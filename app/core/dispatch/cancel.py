"""The confirmed cancel that operator actions, failover and race mode share: a cancel
counts only once a query says CANCELLED, and the carrier's fee is recorded on the
abandoned attempt. An attempt whose create outcome is unknown is asked about first."""

from __future__ import annotations

import asyncio
import logging

from app.core.carriers.base import CarrierError, NotFoundError
from app.core.dispatch.context import DispatchContext
from app.core.dispatch.tracking import Tracker
from app.core.domain import CancelledBy, DeliveryAttempt, DeliveryStatus
from app.core.domain.status import RIDER_ASSIGNED

log = logging.getLogger(__name__)
CONFIRM_TRIES = 4
CONFIRM_PAUSE_S = 0.3


class Canceller:
    def __init__(self, ctx: DispatchContext, tracker: Tracker) -> None:
        self.ctx = ctx
        self.tracker = tracker

    async def cancel_attempt(
        self, att: DeliveryAttempt, reason: str, actor: str
    ) -> tuple[bool, DeliveryAttempt]:
        """Cancel at the carrier and confirm by query. True when the attempt is finished
        (cancelled, or it never existed at the carrier). Caller holds the order's lock."""
        if att.status is DeliveryStatus.SUBMITTING:
            done, att = await self._settle_submitting(att)
            if done is not None:
                return done, att
        if att.status.terminal:
            return att.status is not DeliveryStatus.DELIVERED, att
        att = att.with_(
            cancelled_by=CancelledBy.MERCHANT,
            cancel_reason=reason[:200],
            cancel_requested_at=self.ctx.now(),
        )
        await self.ctx.save(att)
        fee = await self._send_cancel(att, reason)
        if fee is not None:
            att = att.with_(cancel_fee_fen=fee)
            await self.ctx.save(att)
        att = await self._confirm(att, refused=fee is None)
        await self.ctx.log_event(
            att.order_id,
            "cancel",
            actor,
            f"{att.carrier}: cancel ({reason}) -> {att.status}, fee {att.cancel_fee_fen} fen",
            {
                "attempt_id": att.id,
                "fee_fen": att.cancel_fee_fen,
                "carrier": att.carrier,
                "status": att.status.value,
                "cancel_reason": reason,
            },
        )
        requested = att.status is DeliveryStatus.CANCEL_REQUESTED
        if not att.status.terminal and fee is not None and not requested:
            att = await self._mark_requested(att)
        finished = (DeliveryStatus.CANCELLED, DeliveryStatus.CREATE_FAILED)
        return att.status in finished, att

    async def _settle_submitting(self, att: DeliveryAttempt) -> tuple[bool | None, DeliveryAttempt]:
        """Outcome unknown: ask the carrier first. (True, _) it never got the order,
        (False, _) we cannot tell yet, (None, att) it exists: go on cancelling."""
        adapter = self.ctx.gateway.get(att.carrier).adapter
        try:
            return None, await self.tracker.apply(att, await adapter.query(att), "cancel")
        except NotFoundError:
            att = att.with_(
                status=DeliveryStatus.CREATE_FAILED,
                error="cancelled before the carrier had it",
                finished_at=self.ctx.now(),
            )
            await self.ctx.save(att)
            return True, att
        except CarrierError:
            return False, att

    async def _mark_requested(self, att: DeliveryAttempt) -> DeliveryAttempt:
        """The carrier took the cancel but a query does not show it yet."""
        prev = att.status
        att = att.with_(status=DeliveryStatus.CANCEL_REQUESTED)
        await self.ctx.save(att)
        self.ctx.published(att, prev)
        return att

    async def _send_cancel(self, att: DeliveryAttempt, reason: str) -> int | None:
        try:
            return await self.ctx.gateway.get(att.carrier).adapter.cancel(att, reason)
        except CarrierError as e:
            log.info("cancel %s at %s: %s", att.idempotency_key, att.carrier, e)
            return None

    async def _confirm(self, att: DeliveryAttempt, *, refused: bool) -> DeliveryAttempt:
        adapter = self.ctx.gateway.get(att.carrier).adapter
        for i in range(CONFIRM_TRIES):
            try:
                snap = await adapter.query(att)
            except CarrierError as e:
                log.info("confirm cancel %s: %s", att.idempotency_key, e)
            else:
                att = await self.tracker.apply(att, snap, "cancel_confirm")
                if att.status.terminal or (refused and att.status in RIDER_ASSIGNED):
                    return att
            if i + 1 < CONFIRM_TRIES:
                await asyncio.sleep(CONFIRM_PAUSE_S)
        return att
