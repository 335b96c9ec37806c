"""The order's actions, each an ``async`` call through ``AppService`` (the UI's door).

Confirmation dialogs are awaitable and window-modal (``open()``), never ``exec()``."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication

from app.core.money import fmt_money, yuan_to_fen
from app.ui.dialogs.ask import ask_amount, confirm

log = logging.getLogger(__name__)


class NotAvailable(RuntimeError):
    pass


class OrderActions:
    """Bound to one service; the panel passes the order id and a parent widget.
    Which actions are allowed and the tip bounds come from the core
    (``AppService.order_actions``); this class only asks the human and calls the door."""

    def __init__(self, service, parent=None) -> None:
        self.service = service
        self.parent = parent

    def _currency(self) -> str:
        store = getattr(getattr(self.service, "settings", None), "store", None)
        return str(getattr(store, "currency", "CNY"))

    async def collect(self, order_id: int):
        return await self.service.collect_quotes(order_id)

    async def dispatch(self, order_id: int, carrier: str | None):
        return await self.service.dispatch(order_id, carrier=carrier, actor="cashier")

    async def redispatch(self, order_id: int):
        if await confirm(
            self.parent,
            QCoreApplication.translate("OrderActions", "重新派单"),
            QCoreApplication.translate("OrderActions", "取消当前运力并重新派单？"),
        ):
            return await self.service.redispatch(order_id, actor="cashier")
        return None

    async def self_delivered(self, order_id: int) -> bool:
        if await confirm(
            self.parent,
            QCoreApplication.translate("OrderActions", "自配送"),
            QCoreApplication.translate("OrderActions", "标记为店员自行送达？"),
        ):
            await self.service.mark_self_delivered(order_id, actor="cashier")
            return True
        return False

    async def cancel(self, order_id: int) -> int | None:
        fee = await self.service.cancel(order_id, reason="", preview=True)
        fee_text = (
            QCoreApplication.translate("OrderActions", "未知（运力未提供预估）")
            if fee is None
            else fmt_money(fee, self._currency())
        )
        text = QCoreApplication.translate("OrderActions", "取消配送？预计违约金：%1").replace(
            "%1", fee_text
        )
        if not await confirm(
            self.parent, QCoreApplication.translate("OrderActions", "取消配送"), text
        ):
            return None
        return await self.service.cancel(order_id, reason="merchant cancelled", actor="cashier")

    async def tip(self, order_id: int, tr) -> int | None:
        """``tr`` is the core's ``TipRange`` for the order now (None: no tip possible)."""
        if tr is None:
            raise NotAvailable(QCoreApplication.translate("OrderActions", "当前不能加小费"))
        amount = await ask_amount(
            self.parent, QCoreApplication.translate("OrderActions", "加小费"), QCoreApplication.translate("OrderActions", "金额（元），步长 %1").replace("%1", fmt_money(tr.step_fen, self._currency())),
            value=max(tr.min_fen, tr.step_fen) / 100, minimum=tr.min_fen / 100,
            maximum=tr.max_fen / 100, step=tr.step_fen / 100,
        )  # fmt: skip
        if amount is None:
            return None
        fen = yuan_to_fen(str(amount))
        return await self.service.add_tip(order_id, amount_fen=fen, actor="cashier")

    async def print_ticket(self, order_id: int) -> object:
        """First ticket for the order, or an explicit extra copy (补打) after that."""
        return await self.service.print_ticket(order_id)
