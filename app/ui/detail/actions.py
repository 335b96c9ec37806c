"""The order's actions, each an ``async`` call into the dispatcher / printing service.

Confirmation dialogs are awaitable and window-modal (``open()``), never ``exec()``."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication

from app.core.money import fmt_yuan, yuan_to_fen
from app.ui.dialogs.ask import ask_amount, confirm

log = logging.getLogger(__name__)


class NotAvailable(RuntimeError):
    pass


class OrderActions:
    """Bound to one service; the panel passes the order id and a parent widget."""

    def __init__(self, service, parent=None) -> None:
        self.service = service
        self.parent = parent

    @property
    def dispatcher(self):
        d = self.service.dispatcher
        if d is None:
            raise NotAvailable(QCoreApplication.translate("OrderActions", "派单引擎尚未就绪"))
        return d

    async def collect(self, order_id: int):
        return await self.dispatcher.collect_quotes(order_id)

    async def dispatch(self, order_id: int, carrier: str | None):
        return await self.dispatcher.dispatch(order_id, carrier, actor="cashier")

    async def redispatch(self, order_id: int):
        if await confirm(
            self.parent,
            QCoreApplication.translate("OrderActions", "重新派单"),
            QCoreApplication.translate("OrderActions", "取消当前运力并重新派单？"),
        ):
            return await self.dispatcher.redispatch(order_id, actor="cashier")
        return None

    async def self_delivered(self, order_id: int) -> bool:
        if await confirm(
            self.parent,
            QCoreApplication.translate("OrderActions", "自配送"),
            QCoreApplication.translate("OrderActions", "标记为店员自行送达？"),
        ):
            await self.dispatcher.mark_self_delivered(order_id, actor="cashier")
            return True
        return False

    async def cancel(self, order_id: int) -> int | None:
        fee = await self.dispatcher.cancel_preview(order_id)
        fee_text = (
            QCoreApplication.translate("OrderActions", "未知（运力未提供预估）")
            if fee is None
            else fmt_yuan(fee)
        )
        text = QCoreApplication.translate("OrderActions", "取消配送？预计违约金：%1").replace(
            "%1", fee_text
        )
        if not await confirm(
            self.parent, QCoreApplication.translate("OrderActions", "取消配送"), text
        ):
            return None
        return await self.dispatcher.cancel(order_id, "merchant cancelled", actor="cashier")

    async def tip(self, order_id: int, carrier: str, current_fen: int) -> int | None:
        from app.core.carriers.registry import rules

        tr = rules(carrier).tips
        if not tr.supported:
            raise NotAvailable(QCoreApplication.translate("OrderActions", "该运力不支持加小费"))
        cap = (tr.max_total_fen - current_fen) if tr.max_total_fen else 100_00
        if cap < tr.min_fen:
            raise NotAvailable(QCoreApplication.translate("OrderActions", "小费已达上限"))
        amount = await ask_amount(
            self.parent, QCoreApplication.translate("OrderActions", "加小费"), QCoreApplication.translate("OrderActions", "金额（元），步长 %1").replace("%1", fmt_yuan(tr.step_fen)),
            value=max(tr.min_fen, tr.step_fen) / 100, minimum=tr.min_fen / 100,
            maximum=cap / 100, step=max(tr.step_fen, 1) / 100,
        )  # fmt: skip
        if amount is None:
            return None
        fen = yuan_to_fen(str(amount))
        problem = tr.validate(current_fen, fen, 0)
        if problem:
            raise NotAvailable(problem)
        return await self.dispatcher.add_tip(order_id, fen, actor="cashier")

    async def print_ticket(self, order_id: int) -> object:
        """First ticket for the order, or an explicit extra copy (补打) after that."""
        printing = self.service.printing
        if printing is None:
            raise NotAvailable(QCoreApplication.translate("OrderActions", "打印服务未配置"))
        jobs_for = getattr(printing, "jobs_for_order", None)
        printed = bool(await jobs_for(order_id)) if jobs_for is not None else False
        if printed and hasattr(printing, "reprint"):
            return await printing.reprint(order_id)
        return await printing.print_order(order_id)  # type: ignore[attr-defined]
