"""The source desk, part: what a platform change does to the board order.

Any upsert that changes state, cancel/refund flags or fulfilment (push, pull, refresh,
confirm) is announced (``SourceOrderUpdated``). A platform cancel or full refund cancels
the live delivery through the carrier cancel flow (fee preview, timeline, alert), or the
board order when nothing is live; a customer's cancel/refund request only alerts; a new
"who delivers" moves the board order in or out of dispatch; a completed platform order
completes a board order JuPei does not dispatch; the platform's own rider is recorded
(the stall check counts from it).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from app.core.domain.attention import AttentionReason
from app.core.domain.order import DispatchMode, OrderState
from app.core.domain.source_order import (
    FulfilmentMode,
    RefundState,
    SourceOrder,
    SourceOrderState,
)
from app.core.domain.status import DeliveryStatus
from app.core.events import (
    AlertKind,
    AlertRaised,
    OrderChanged,
    Severity,
    SourceOrderUpdated,
)
from app.core.sources.desk_parts import FINAL, DeskParts, yuan

log = logging.getLogger(__name__)


class PlatformChanges:
    """``SqliteSourceStore(on_change=...)`` and the platform rider of a delivery push."""

    def __init__(self, parts: DeskParts) -> None:
        self.parts = parts

    def on_change(self, old: SourceOrder, new: SourceOrder) -> None:
        self.parts.spawn(self._changed(old, new))

    async def _changed(self, old: SourceOrder, new: SourceOrder) -> None:
        async with self.parts.lock(new.key):
            order_id = await self.parts.store.order_id(new.source, new.source_order_id)
            self.parts.bus.publish(
                SourceOrderUpdated(
                    order_id,
                    new.source,
                    new.source_order_id,
                    new.state.value,
                    new.cancel_requested,
                    new.refund_state.value,
                )
            )
            if order_id is None:
                return  # not on the board yet: ``BoardIntake.on_new`` sees the state it finds
            cancelled = new.state is SourceOrderState.CANCELLED or (
                new.refund_state is RefundState.FULL
            )
            if cancelled and not (
                old.state is SourceOrderState.CANCELLED or old.refund_state is RefundState.FULL
            ):
                await self.platform_cancelled(order_id, new)
            elif new.state is SourceOrderState.COMPLETED and old.state is not new.state:
                await self._platform_completed(order_id, new)
            else:
                if new.fulfilment is not old.fulfilment:
                    await self._fulfilment_changed(order_id, new)
                if (new.cancel_requested and not old.cancel_requested) or (
                    new.refund_state is RefundState.APPLIED
                    and old.refund_state is not RefundState.APPLIED
                ):
                    await self._asked(order_id, new)

    async def _fulfilment_changed(self, order_id: int, so: SourceOrder) -> None:
        """The platform now says someone else delivers (饿了么 delivery messages, a re-read
        order): the board order follows, never silently."""
        svc = self.parts.service
        detail = await svc.order_detail(order_id)
        if detail is None or detail.order.state in FINAL:
            return
        extra, label = detail.order.extra, so.display_label()
        if extra.get("fulfilment") == so.fulfilment.value:
            return
        data: dict[str, Any] = {"label": label, "fulfilment": so.fulfilment.value}
        if extra.get("converted_from_platform"):  # 转自配送 done: our carrier delivers
            msg = f"{label} 平台报告配送方式 {so.fulfilment.value}（已转自配送，按自配送处理）"
            data["code"] = "ignored_after_conversion"
            await svc.log_event(order_id, "source_fulfilment", "platform", msg, data)
            return
        mode = DispatchMode(self.parts.settings.dispatch.mode)
        if not await self.parts.store.set_fulfilment(
            order_id, so.fulfilment, mode, converted=False
        ):
            return
        self.parts.bus.publish(OrderChanged(order_id))
        if so.fulfilment.dispatches:
            msg = f"{label} 平台改为商家自配送，由聚配呼叫骑手"
            data["code"] = "to_self_delivery"
            await svc.log_event(order_id, "source_fulfilment", "platform", msg, data)
            self.parts.after_dispatchable(order_id, mode)
            return
        what = "平台配送" if so.fulfilment is FulfilmentMode.PLATFORM_DELIVERY else "到店自取"
        msg = f"{label} 平台改为{what}，聚配不再派单"
        live = detail.attempt is not None and detail.attempt.status.live
        if live:
            msg += "；聚配的配送仍在进行，请确认是否取消"
        data.update(code="to_platform", live_attempt=live)
        await svc.log_event(order_id, "source_fulfilment", "platform", msg, data)
        if live:
            self.parts.bus.publish(
                AlertRaised(
                    order_id,
                    AlertKind.ATTENTION,
                    msg,
                    Severity.CRITICAL,
                    reason=AttentionReason.PLATFORM_TOOK_OVER,
                    order_label=label,
                )
            )

    async def _asked(self, order_id: int, so: SourceOrder) -> None:
        """The customer asks to cancel or for a refund: the shop decides on the platform."""
        label = so.display_label()
        refund = so.refund_state is RefundState.APPLIED
        what = "申请退款" if refund else "申请取消"
        msg = f"{label} 顾客{what}，请在平台处理"
        data = {"code": "refund" if refund else "cancel", "label": label}
        await self.parts.service.log_event(
            order_id, "source_cancel_requested", "platform", msg, data
        )
        reason = (
            AttentionReason.CUSTOMER_REFUND_REQUESTED
            if refund
            else AttentionReason.CUSTOMER_CANCEL_REQUESTED
        )
        self.parts.bus.publish(
            AlertRaised(
                order_id,
                AlertKind.ATTENTION,
                msg,
                Severity.WARNING,
                reason=reason,
                order_label=label,
            )
        )

    async def platform_cancelled(self, order_id: int, so: SourceOrder) -> None:
        """The platform cancelled (or refunded in full): cancel the live delivery through
        the carrier flow, or just the board order when nothing is live."""
        svc = self.parts.service
        detail = await svc.order_detail(order_id)
        if detail is None or detail.order.state in FINAL:
            if detail is not None and detail.order.state is not OrderState.CANCELLED:
                await svc.log_event(
                    order_id,
                    "platform_cancelled",
                    "platform",
                    f"平台已取消订单（配送已结束：{detail.order.state.value}）",
                    {"code": "after_finish", "state": detail.order.state.value},
                )
            return
        label = so.display_label()
        live = detail.attempt is not None and detail.attempt.status.live
        refunded = so.refund_state is RefundState.FULL
        reason = "平台已退款" if refunded else "平台已取消"
        base = {"label": label, "refunded": refunded}
        fee: int | None = None
        if live:
            try:
                fee = await svc.cancel(order_id, reason=reason, preview=True)
            except Exception as e:  # a preview is advice: the cancel itself still runs
                log.info("order %s: cancel preview failed: %s", order_id, e)
            await svc.log_event(
                order_id,
                "platform_cancelled",
                "platform",
                f"{label} {reason}，正在取消配送（预计取消费 {yuan(fee)}）",
                {**base, "code": "cancelling", "fee_preview_fen": fee},
            )
        try:
            paid = await svc.cancel(order_id, reason=reason, actor="platform")
        except Exception as e:  # the dispatcher flagged the order; say why here too
            log.info("order %s: cancel after platform cancel failed: %s", order_id, e)
            msg = f"{label} {reason}，但配送取消未成功，请手动处理：{e}"
            data = {**base, "code": "cancel_failed", "error": str(e)}
            await svc.log_event(order_id, "platform_cancel_failed", "platform", msg, data)
            self.parts.bus.publish(
                AlertRaised(
                    order_id,
                    AlertKind.ATTENTION,
                    msg,
                    Severity.CRITICAL,
                    reason=AttentionReason.PLATFORM_CANCEL_FAILED,
                    order_label=label,
                )
            )
            return
        if live:
            msg = f"{label} {reason}，配送已取消（取消费 {yuan(paid)}）"
            severity = Severity.WARNING
        else:
            msg = f"{label} {reason}，订单已取消"
            severity = Severity.INFO
        data = {
            **base,
            "code": "delivery_cancelled" if live else "order_cancelled",
            "fee_fen": paid,
        }
        await svc.log_event(order_id, "platform_cancelled", "platform", msg, data)
        self.parts.bus.publish(
            AlertRaised(
                order_id,
                AlertKind.ATTENTION,
                msg,
                severity,
                reason=AttentionReason.PLATFORM_CANCELLED,
                order_label=label,
            )
        )

    async def _platform_completed(self, order_id: int, so: SourceOrder) -> None:
        """The platform says the order is done. A board order JuPei never dispatches
        (platform delivery, pickup) is delivered with it; a self-delivered one follows its
        own carrier attempt and only gets the timeline entry."""
        svc = self.parts.service
        order = await svc.db.run(svc.db.get_order, order_id)
        if order is None:
            return
        label = so.display_label()
        if order.extra.get("dispatch") is False and order.state not in FINAL:
            now = self.parts.clock.now()
            await svc.db.run(svc.db.set_order_state, order_id, OrderState.DELIVERED, now, "")
            self.parts.bus.publish(OrderChanged(order_id, OrderState.DELIVERED.value))
            self.parts.stalled.discard(order_id)
        await svc.log_event(
            order_id, "platform_completed", "platform", f"{label} 平台订单已完成", {"label": label}
        )

    async def platform_rider(
        self, key: tuple[str, str], status: DeliveryStatus, at: datetime
    ) -> None:
        """The platform's own rider moved on (platform delivery): recorded with the order
        (the stall check counts from it, across restarts), timeline; delivered completes
        a board order JuPei does not dispatch. A repeated status changes nothing."""
        async with self.parts.lock(key):
            before = await self.parts.store.platform_rider(*key)
            if before is not None and before[0] is status:
                return
            await self.parts.store.set_platform_rider(*key, status, at)
            order_id = await self.parts.store.order_id(*key)
            so = await self.parts.store.get(*key)
            if order_id is None or so is None:
                return
            await self.parts.service.log_event(
                order_id,
                "platform_delivery",
                "platform",
                f"{so.display_label()} 平台配送：{status.value}",
                {"status": status.value, "label": so.display_label()},
            )
            if status is DeliveryStatus.DELIVERED:
                await self._platform_completed(order_id, so)
