"""The source desk, part: the merchant's actions on a platform order.

接单 by hand (when ``auto_confirm`` is off, or every automatic try failed: the runner
retries with ``CONFIRM_BACKOFF_S`` and then calls ``confirm_failed``, which asks the
cashier with an attention alert that a confirm by hand clears) and 拒单 with a reason.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from app.core.domain.attention import AttentionReason
from app.core.domain.source_order import (
    SourceOrder,
    SourceOrderState,
)
from app.core.events import (
    AlertCleared,
    AlertKind,
    AlertRaised,
    Severity,
)
from app.core.sources.base import SourceError
from app.core.sources.desk_parts import DeskParts

log = logging.getLogger(__name__)


class MerchantActions:
    def __init__(self, parts: DeskParts) -> None:
        self.parts = parts
        self.confirm_alerted: set[int] = set()  # board orders told "请手动接单"

    async def confirm_failed(self, so: SourceOrder, error: SourceError, tries: int) -> None:
        """Every auto-confirm try failed and the platform still shows the order waiting:
        the cashier confirms by hand (``confirm``)."""
        order_id = await self.parts.store.order_id(so.source, so.source_order_id)
        if order_id is None:
            return  # not on the board: the next start adopts and confirms it
        label = so.display_label()
        msg = f"{label} 自动接单失败，请手动接单"
        data = {"code": "auto_confirm_failed", "label": label, "error": str(error), "tries": tries}
        await self.parts.service.log_event(order_id, "source_confirm_failed", "engine", msg, data)
        self.confirm_alerted.add(order_id)
        self.parts.bus.publish(
            AlertRaised(
                order_id,
                AlertKind.ATTENTION,
                msg,
                Severity.WARNING,
                reason=AttentionReason.SOURCE_CONFIRM_FAILED,
                order_label=label,
            )
        )

    async def confirm(self, order_id: int, *, actor: str = "cashier") -> None:
        """接单 on the platform (when ``auto_confirm`` is off or failed)."""
        so, connector = await self.parts.source_of(order_id)
        await connector.confirm(so.source_order_id)
        await self.parts.store.upsert(replace(so, state=SourceOrderState.CONFIRMED))
        await self.parts.service.log_event(
            order_id,
            "source_confirmed",
            actor,
            f"{so.display_label()} 已接单",
            {"label": so.display_label()},
        )
        if order_id in self.confirm_alerted:
            self.confirm_alerted.discard(order_id)
            self.parts.bus.publish(AlertCleared(order_id, AlertKind.ATTENTION))

    async def reject(self, order_id: int, reason: str, *, actor: str = "cashier") -> None:
        """拒单 on the platform with a reason; the board order is cancelled with it."""
        so, connector = await self.parts.source_of(order_id)
        await connector.reject(so.source_order_id, reason)
        async with self.parts.lock(so.key):
            await self.parts.store.upsert(replace(so, state=SourceOrderState.CANCELLED))
            await self.parts.service.log_event(
                order_id,
                "source_rejected",
                actor,
                f"{so.display_label()} 已拒单：{reason}",
                {"label": so.display_label(), "reject_reason": reason},
            )
            await self.parts.service.cancel(order_id, reason=f"拒单：{reason}", actor=actor)
