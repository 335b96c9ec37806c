"""The platform side of an order in the detail pane (美团外卖, 饿了么): source, platform
order id, platform state and any cancel/refund request, fulfilment, and the merchant's
actions on the platform — 接单 / 拒单 while the platform awaits them, 转自配送 when the
platform's own delivery found no rider in time, 重新同步 when the platform refused a status
sync-back for good (parked). Hidden for POS, phone and manual orders.

Everything goes through ``AppService`` (``source_order``, ``source_stalled``,
``sync_back_state``, ``confirm_source_order``, ``reject_source_order``,
``convert_to_self_delivery``, ``resend_sync_back``)."""

from __future__ import annotations

import asyncio
import html
import logging
from types import SimpleNamespace

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.ui.board.badges import RED, fulfilment_label, request_label, source_of
from app.ui.labels import channel_label

log = logging.getLogger(__name__)


def _t(text: str) -> str:
    return QCoreApplication.translate("SourceBox", text)


def platform_state_label(state: str) -> str:
    return {
        "new": _t("待接单"),
        "confirmed": _t("已接单"),
        "completed": _t("已完成"),
        "cancelled": _t("已取消"),
    }.get(state, state)


class SourceBox(QWidget):
    """``changed`` after an action succeeded: the panel reloads the order."""

    changed = Signal()
    platform_read = Signal(object)  # a SourceOrderUpdated-like value for the board's flags

    def __init__(self, service, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("sourceBox")
        self.service = service
        self.order_id: int | None = None
        self.source_order = None
        self.stalled = False
        self.sync_parked = 0  # status syncs the platform refused for good (parked)
        self.info = QLabel(self)
        self.info.setObjectName("sourceInfo")
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for key, text in (("confirm", _t("接单")), ("reject", _t("拒单")),
                          ("self_delivery", _t("转自配送")),
                          ("resend_sync", _t("重新同步"))):  # fmt: skip
            b = QPushButton(text, self)
            b.setObjectName(f"btn_source_{key}")
            b.clicked.connect(lambda _=False, k=key: self._run(k))
            self.buttons[key] = b
            row.addWidget(b)
        row.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.info)
        lay.addLayout(row)
        self.hide()

    async def show_order(self, order) -> None:
        """Read the platform order behind ``order`` (a board ``Order``) and show it."""
        self.order_id = None if order is None else order.id
        if order is None or not source_of(order):
            self.source_order, self.stalled, self.sync_parked = None, False, 0
            self.hide()
            return
        so, stalled = await self._read(order.id)
        parked = await self._parked(order.id)
        if self.order_id != order.id:
            return  # the cashier moved on
        self.source_order, self.stalled, self.sync_parked = so, stalled, parked
        if so is not None:  # the board learns a request it missed (e.g. after a restart)
            self.platform_read.emit(
                SimpleNamespace(
                    order_id=order.id,
                    state=str(so.state),
                    cancel_requested=bool(so.cancel_requested),
                    refund_state=str(so.refund_state),
                )
            )
        self._render(order)

    async def _read(self, order_id: int):
        read = getattr(self.service, "source_order", None)
        so = None if read is None else await read(order_id)
        stalled_fn = getattr(self.service, "source_stalled", None)
        stalled = stalled_fn(order_id) if stalled_fn is not None else False
        if asyncio.iscoroutine(stalled):  # the proxy before the core exists
            stalled = await stalled
        return so, bool(stalled)

    async def _parked(self, order_id: int) -> int:
        read = getattr(self.service, "sync_back_state", None)
        if read is None:
            return 0
        try:
            state = await read(order_id)
        except Exception as e:  # a read for a button: the box still shows the order
            log.info("sync-back state of order %s: %s", order_id, e)
            return 0
        return int(state[1])  # (pending, parked)

    def _render(self, order) -> None:
        extra = order.extra or {}
        so = self.source_order
        src = source_of(order)
        name, number = channel_label(src), order.pickup_no or ""
        source = number if number.startswith(name) else f"{name} {number}"  # not 美团 美团 #1
        parts = [
            f"<b>{_t('来源')}</b>: {html.escape(source.strip())}",
            f"<b>{_t('平台单号')}</b>: {html.escape(str(extra.get('source_order_id', '')))}",
        ]
        mode = fulfilment_label(order)
        if mode:
            parts.append(f"<b>{_t('配送方式')}</b>: {html.escape(mode)}（{_t('不由聚配派单')}）")
        if so is not None:
            state = platform_state_label(str(so.state))
            ask = request_label(bool(so.cancel_requested), str(so.refund_state))
            if str(so.state) in ("cancelled", "completed"):
                ask = ""  # settled, as on the board: the state says the rest
            flag = f" <span style='color:{RED};font-weight:bold'>{html.escape(ask)}</span>"
            parts.append(f"<b>{_t('平台状态')}</b>: {html.escape(state)}{flag if ask else ''}")
        if self.stalled:
            parts.append(
                f"<span style='color:{RED};font-weight:bold'>"
                f"{_t('平台配送超时未接单，可转自配送')}</span>"
            )
        if self.sync_parked:
            refused = _t("平台拒绝了 %1 条状态同步，请在平台核对后点“重新同步”")
            parts.append(
                f"<span style='color:{RED};font-weight:bold'>"
                f"{html.escape(refused.replace('%1', str(self.sync_parked)))}</span>"
            )
        self.info.setText("<br>".join(parts))
        new = so is not None and str(so.state) == "new"
        self.buttons["confirm"].setVisible(new)
        self.buttons["reject"].setVisible(new)
        self.buttons["self_delivery"].setVisible(self.stalled)
        self.buttons["resend_sync"].setVisible(self.sync_parked > 0)
        self.buttons["self_delivery"].setStyleSheet(
            f"font-weight: bold; color: {RED};" if self.stalled else ""
        )
        self.show()

    def _run(self, key: str) -> None:
        from app.ui.bridge import spawn

        spawn(self.act(key), f"source {key}")

    async def act(self, key: str) -> bool:
        """One platform action on the shown order; True when it was done."""
        from app.ui.dialogs.ask import ask_text, confirm

        oid = self.order_id
        if oid is None:
            return False
        if key == "confirm":
            await self.service.confirm_source_order(oid)
        elif key == "reject":
            reason = await ask_text(self, _t("拒单"), _t("拒单原因（将告知平台）"))
            if not reason:
                return False
            await self.service.reject_source_order(oid, reason=reason)
        elif key == "self_delivery":
            text = _t("改由本店自配送？平台将不再派骑手，之后可在聚配询价派单。")
            if not await confirm(self, _t("转自配送"), text):
                return False
            await self.service.convert_to_self_delivery(oid)
        elif key == "resend_sync":
            await self.service.resend_sync_back(oid)
        self.changed.emit()
        return True
