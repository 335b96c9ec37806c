"""``OrderDetailPanel``: everything about one order and the buttons that act on it."""

from __future__ import annotations

import base64
import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.core.board import Lane
from app.core.money import fmt_money
from app.core.operations import NO_ACTIONS, Action
from app.core.privacy import mask_name, mask_phone
from app.ui import labels
from app.ui.bridge import report_error, spawn
from app.ui.detail.actions import NotAvailable, OrderActions
from app.ui.detail.quotes import QuoteTable
from app.ui.detail.source_box import SourceBox
from app.ui.detail.timeline import Timeline
from app.ui.detail.timeline_text import proof_type

_IMAGE_MIME = ((b"\x89PNG", "image/png"), (b"\xff\xd8", "image/jpeg"), (b"GIF8", "image/gif"))
_PROOF_MAX_BYTES = 2_000_000  # larger documents are named, not drawn


def proof_html(proof: dict, label: str) -> str:
    """A proof of delivery kept on the attempt (Uber Direct): its type and size, and the
    picture or signature itself when it is an image (Qt draws ``data:`` URLs)."""
    size = int(proof.get("bytes") or 0)
    kind = html.escape(proof_type(str(proof.get("type"))))
    line = f"<b>{html.escape(label)}</b>: {kind} ({max(size // 1024, 1)} KB)"
    doc = str(proof.get("document") or "")
    if not doc or size > _PROOF_MAX_BYTES:
        return line
    try:
        head = base64.b64decode(doc[:16], validate=True)
    except ValueError:
        return line
    mime = next((m for magic, m in _IMAGE_MIME if head.startswith(magic)), "")
    return f"{line}<br><img src='data:{mime};base64,{doc}' height='120'>" if mime else line


class OrderDetailPanel(QWidget):
    def __init__(self, service, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("orderDetail")
        self.service = service
        self.actions = OrderActions(service, self)
        self.order_id: int | None = None
        self.detail = None
        self.allowed = NO_ACTIONS  # what the core says this order allows now
        self.header = QLabel(self.tr("选择一个订单查看详情"), self)
        self.header.setObjectName("detailHeader")
        self.header.setWordWrap(True)
        self.info = QLabel(self)
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.quotes = QuoteTable(service.clock.now, self, currency=self._currency)
        self.quotes.dispatch_requested.connect(lambda cid: self.run(self.dispatch(cid)))
        self.timeline = Timeline(self)
        self.source_box = SourceBox(service, self)  # 美团/饿了么: platform state and actions
        self.source_box.changed.connect(lambda: self.run(self.reload()))
        self.buttons: dict[str, QPushButton] = {}
        self.busy = QProgressBar(self)
        self.busy.setObjectName("detailBusy")
        self.busy.setRange(0, 0)  # indeterminate
        self.busy.setMaximumHeight(6)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self._busy = 0
        self._build()
        self._sync_buttons()

    def _build(self) -> None:
        lay = QVBoxLayout(self)
        lay.addWidget(self.header)
        lay.addWidget(self.info)
        lay.addWidget(self.source_box)
        lay.addWidget(self.busy)
        qbox = QGroupBox(self.tr("比价"), self)
        ql = QVBoxLayout(qbox)
        ql.addWidget(self.quotes)
        ql.addLayout(self._button_grid())
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(qbox)
        tbox = QGroupBox(self.tr("时间线"), self)
        QVBoxLayout(tbox).addWidget(self.timeline)
        split.addWidget(tbox)
        split.setSizes([300, 160])
        lay.addWidget(split, 1)

    def _button_grid(self) -> QGridLayout:
        specs = [
            ("quote", self.tr("询价"), "F5", lambda: self.run(self.collect())),
            ("best", self.tr("一键派单（最优）"), "Ctrl+D", lambda: self.run(self.dispatch(None))),
            ("tip", self.tr("加小费"), "Ctrl+T", lambda: self.run(self.tip())),
            ("cancel", self.tr("取消配送"), "Ctrl+K", lambda: self.run(self.cancel())),
            ("redispatch", self.tr("重新派单"), "Ctrl+R", lambda: self.run(self.redispatch())),
            ("print", self.tr("打印小票"), "Ctrl+P", lambda: self.run(self.print_ticket())),
            ("self", self.tr("标记自配送"), "", lambda: self.run(self.self_delivered())),
            ("refresh", self.tr("刷新状态"), "", lambda: self.run(self.refresh())),
        ]
        grid = QGridLayout()
        for i, (key, text, shortcut, handler) in enumerate(specs):
            b = QPushButton(f"{text} ({shortcut})" if shortcut else text, self)
            b.setObjectName(f"btn_{key}")
            if shortcut:
                b.setShortcut(QKeySequence(shortcut))
            b.clicked.connect(handler)
            self.buttons[key] = b
            grid.addWidget(b, i // 4, i % 4)
        self.buttons["best"].setStyleSheet("font-weight: bold;")
        return grid

    def run(self, coro) -> None:
        spawn(self._guard(coro), "order action")

    async def _guard(self, coro) -> None:
        """Shows a busy bar while the action runs (quotes take up to the deadline)."""
        self._busy += 1
        self.busy.show()
        try:
            await coro
        except NotAvailable as e:
            report_error(str(e))
        finally:
            self._busy -= 1
            self.busy.setVisible(self._busy > 0)

    # ----------------------------------------------------------------- loading
    async def show_order(self, order_id: int | None) -> None:
        self.order_id = order_id
        await self.reload()

    async def reload(self) -> None:
        oid = self.order_id
        detail = None if oid is None else await self.service.order_detail(oid)
        allowed = NO_ACTIONS if oid is None else await self.service.order_actions(oid)
        if oid != self.order_id:
            return  # the cashier moved on while we were reading
        await self.source_box.show_order(None if detail is None else detail.order)
        if oid != self.order_id:
            return
        self.detail, self.allowed = detail, allowed  # together: tests wait on ``detail``
        self._render()

    def _render(self) -> None:
        d = self.detail
        if d is None:
            self.header.setText(self.tr("选择一个订单查看详情"))
            self.info.clear()
            self.quotes.set_quotes([])
            self.timeline.clear()
            self._sync_buttons()
            return
        row = self.service.board_row(d.order, d.attempts)
        self.header.setText(self._header_html(row))
        self.info.setText(self._info_html(d))
        can_dispatch = Action.DISPATCH in self.allowed.allowed
        self.quotes.set_quotes(self._latest_quotes(d.quotes), enabled=can_dispatch)
        self.timeline.set_events(d.events)
        self._sync_buttons(row)

    def _header_html(self, row) -> str:
        o = row.order
        color = labels.LANE_COLORS[row.lane]
        status = labels.lane_label(row.lane)
        if row.attempt is not None and row.attempt.status.live:
            status = labels.status_label(row.attempt.status.value)
        extra = ""
        if row.lane is Lane.ATTENTION:
            extra = f"<br><span style='color:{color}'>⚠ {html.escape(labels.attention_label(row.attention))}</span>"
        no = o.pickup_no or o.pos_order_id
        no = no if "#" in no else f"#{no}"  # a platform's "美团 #12" has its own
        return (f"<span style='font-size:16pt;font-weight:bold'>{html.escape(no)}</span>"
                f"&nbsp;&nbsp;<span style='color:{color};font-weight:bold'>{html.escape(status)}</span>{extra}")  # fmt: skip

    def _currency(self) -> str:
        """The store's currency ([store] currency; CNY for a service without settings)."""
        store = getattr(getattr(self.service, "settings", None), "store", None)
        return str(getattr(store, "currency", "CNY"))

    def _info_html(self, d) -> str:
        o = d.order
        c = o.customer
        cur = self._currency()
        items = "、".join(f"{html.escape(i.name)}×{i.qty}" for i in o.items)
        t_customer, t_addr, t_items = self.tr("顾客"), self.tr("地址"), self.tr("商品")
        t_total, t_note = self.tr("合计"), self.tr("备注")
        parts = [
            f"<b>{t_customer}</b>: {html.escape(mask_name(c.name))} {mask_phone(c.phone)}",
            f"<b>{t_addr}</b>: {html.escape(c.address.text)}",
            f"<b>{t_items}</b>: {items} &nbsp; <b>{t_total}</b> {fmt_money(o.total_fen, cur)}",
        ]
        if o.note:
            parts.append(f"<b>{t_note}</b>: {html.escape(o.note)}")
        a = d.attempt
        if a is not None:
            rider = f"{html.escape(a.rider.name)} {mask_phone(a.rider.phone)}".strip() or "—"
            fee = fmt_money(
                a.actual_fee_fen if a.actual_fee_fen is not None else a.quoted_fee_fen, cur
            )
            t_carrier, t_tip, t_rider = self.tr("运力"), self.tr("小费"), self.tr("骑手")
            parts.append(f"<b>{t_carrier}</b>: {labels.carrier_label(a.carrier)} {fee}"
                         f" + {t_tip} {fmt_money(a.tip_fen, cur)} &nbsp; <b>{t_rider}</b>: {rider}")  # fmt: skip
            proof = a.extra.get("proof_of_delivery")
            if isinstance(proof, dict):  # kept on the attempt when it was delivered
                parts.append(proof_html(proof, self.tr("送达凭证")))
        return "<br>".join(parts)

    @staticmethod
    def _latest_quotes(quotes):
        latest = {}
        for q in quotes:
            if q.carrier not in latest or q.quoted_at >= latest[q.carrier].quoted_at:
                latest[q.carrier] = q
        return list(latest.values())

    def _sync_buttons(self, row=None) -> None:
        """Buttons follow the core's ``OrderActions``; the one that resolves the
        attention reason is highlighted."""
        acts = self.allowed if row is not None else NO_ACTIONS
        hint = acts.resolves.value if acts.resolves is not None else ""
        for key, b in self.buttons.items():
            b.setEnabled(Action(key) in acts.allowed)
            b.setProperty("resolves", key == hint)
            b.setStyleSheet("font-weight: bold; color: #cf222e;" if key == hint else
                            ("font-weight: bold;" if key == "best" else ""))  # fmt: skip

    # ----------------------------------------------------------------- actions
    async def collect(self) -> None:
        if self.order_id is not None:
            self.quotes.set_quotes(await self.actions.collect(self.order_id))
            await self.reload()

    async def dispatch(self, carrier: str | None) -> None:
        if self.order_id is not None:
            await self.actions.dispatch(self.order_id, carrier)
            await self.reload()

    async def tip(self) -> None:
        a = self.detail.attempt if self.detail else None
        if self.order_id is not None and a is not None:
            await self.actions.tip(self.order_id, self.allowed.tip)
            await self.reload()

    async def cancel(self) -> None:
        if self.order_id is not None and await self.actions.cancel(self.order_id) is not None:
            await self.reload()

    async def redispatch(self) -> None:
        if self.order_id is not None and await self.actions.redispatch(self.order_id):
            await self.reload()

    async def self_delivered(self) -> None:
        if self.order_id is not None and await self.actions.self_delivered(self.order_id):
            await self.reload()

    async def print_ticket(self) -> None:
        if self.order_id is not None:
            await self.actions.print_ticket(self.order_id)

    async def refresh(self) -> None:
        if self.order_id is not None:
            await self.service.refresh(self.order_id)
            await self.reload()
