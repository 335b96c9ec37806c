"""Order detail: needs-attention resolutions, cancel with a fee preview, tip rules,
and the single-instance guard."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox

from app.core.board import BoardRow, Lane
from app.core.domain import DeliveryStatus
from app.core.domain.attention import Attention
from app.core.operations import Action, order_actions
from app.ui.detail.panel import OrderDetailPanel
from app.ui.main_window import MainWindow
from app.ui.single_instance import SingleInstance
from tests.fakes.clock import FakeClock
from tests.helpers import started_core, wait_until
from tests.ui.factories import make_row


def _stub_service(row: BoardRow):
    detail = SimpleNamespace(order=row.order, attempts=[row.attempt] if row.attempt else [],
                             events=[], quotes=[], attempt=row.attempt)  # fmt: skip
    svc = SimpleNamespace(clock=FakeClock())
    svc.board_row = lambda o, a: row

    async def actions(_oid):
        return order_actions(row)

    svc.order_actions = actions

    async def order_detail(_oid):
        return detail

    svc.order_detail = order_detail
    return svc


@pytest.mark.gui
@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("reason", "key"),
    [("no rider yet", "tip"), ("tracking stale", "refresh"), ("goods returning", "self"),
     ("rider cancelled", "redispatch"), ("sf cancelled the delivery (unknown)", "redispatch"),
     ("tracking_stale|", "refresh"), ("goods_returned|back at 12:03", "self")],
)  # fmt: skip
async def test_attention_reason_offers_its_resolution(qtbot, reason, key):
    # legacy free text and the stored "<reason>|<detail>" form both decode to a reason
    row = make_row(7, Lane.DELIVERING, status=DeliveryStatus.PENDING_ACCEPT)
    row = BoardRow(row.order, row.attempt, Lane.ATTENTION, Attention.decode(reason))
    panel = OrderDetailPanel(_stub_service(row))
    qtbot.addWidget(panel)
    await panel.show_order(7)
    assert order_actions(row).resolves is Action(key)  # decided in the core
    assert panel.buttons[key].property("resolves") is True
    assert panel.buttons[key].isEnabled()
    assert "⚠" in panel.header.text()


def _find(cls, name):
    for w in QApplication.topLevelWidgets():
        if isinstance(w, cls) and w.objectName() == name and w.isVisible():
            return w
    return None


@pytest.mark.gui
@pytest.mark.asyncio
@pytest.mark.integration
async def test_tip_then_cancel_with_fee_preview(qtbot, tmp_path):
    async with started_core(tmp_path) as core:
        win = MainWindow(core.service, tile_source="offline")
        qtbot.addWidget(win)
        await win.start()
        win.show()
        out = await win.simulate_order_async()
        oid = out.order.id
        await wait_until(lambda: win.board.select_order(oid))
        await wait_until(lambda: win.detail.order_id == oid and win.detail.detail is not None)
        await core.service.dispatch(oid, carrier="dada")
        await wait_until(lambda: win.detail.buttons["cancel"].isEnabled(), timeout=10)
        # dada takes tips while waiting for a rider: the core enables it once the attempt
        # is pending acceptance (not while the create is still in flight)
        await wait_until(lambda: win.detail.buttons["tip"].isEnabled(), timeout=10)
        # tip: the dialog offers the carrier's minimum; accept it
        qtbot.mouseClick(win.detail.buttons["tip"], Qt.MouseButton.LeftButton)
        dlg = await wait_until(lambda: _find(QInputDialog, "amountDialog"))
        dlg.accept()
        await wait_until(lambda: win.detail.detail.attempt.tip_fen > 0, timeout=10)
        # cancel: the confirmation shows the fee preview; the cashier says yes
        qtbot.mouseClick(win.detail.buttons["cancel"], Qt.MouseButton.LeftButton)
        box = await wait_until(lambda: _find(QMessageBox, "confirmBox"), timeout=10)
        assert "¥" in box.text() or "未知" in box.text()
        box.button(QMessageBox.StandardButton.Yes).click()
        await wait_until(
            lambda: win.model.row_for(oid).lane in (Lane.NEW, Lane.CANCELLED), timeout=10
        )
        win.close()


def test_single_instance(qtbot, tmp_path):
    name = f"jupei-test-{tmp_path.name}"
    first = SingleInstance(name)
    assert first.listen()
    hits = []
    first.activated.connect(lambda: hits.append(1))
    assert SingleInstance(name).already_running()
    # the second start asks the first to show its window: the request must arrive
    qtbot.waitUntil(lambda: hits == [1])
    first.close()
    assert not SingleInstance(name + "-other").already_running()
