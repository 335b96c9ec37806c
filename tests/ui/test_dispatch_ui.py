"""One-click dispatch through the UI against the rehearsal sandboxes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from app.core.board import Lane
from app.ui.board.model import COLUMNS
from app.ui.main_window import MainWindow
from tests.helpers import started_core, wait_until

pytestmark = [pytest.mark.gui, pytest.mark.asyncio, pytest.mark.integration]


async def _window(core, qtbot) -> MainWindow:
    win = MainWindow(core.service, tile_source="offline")
    qtbot.addWidget(win)
    await win.start()
    win.show()
    return win


async def _new_order(win) -> int:
    out = await win.simulate_order_async()
    oid = out.order.id
    await wait_until(lambda: win.model.row_for(oid) is not None)
    assert win.model.is_fresh(oid)  # highlighted until looked at
    assert win.alerts.unread >= 1  # new-order alert raised
    assert win.board.select_order(oid)
    await wait_until(lambda: win.detail.detail is not None and win.detail.order_id == oid)
    assert not win.model.is_fresh(oid) and win.alerts.unread == 0  # seen = acknowledged
    return oid


async def test_quote_then_one_click_dispatch_on_a_row(qtbot, tmp_path):
    async with started_core(tmp_path) as core:
        win = await _window(core, qtbot)
        oid = await _new_order(win)
        qtbot.mouseClick(win.detail.buttons["quote"], Qt.MouseButton.LeftButton)
        await wait_until(lambda: win.detail.busy.isVisible())  # progress while quoting
        await wait_until(lambda: win.detail.quotes.rowCount() >= 2, timeout=15)
        carrier = win.detail.quotes.quotes[1].carrier  # not the cheapest: the cashier's pick
        btn = win.detail.quotes.findChild(QPushButton, f"dispatch_{carrier}")
        qtbot.mouseClick(btn, Qt.MouseButton.LeftButton)
        await wait_until(
            lambda: (r := win.model.row_for(oid)) is not None and r.attempt is not None, timeout=15
        )
        row = win.model.row_for(oid)
        assert row.attempt.carrier == carrier and row.lane in (Lane.AWAITING, Lane.DELIVERING)
        ix = win.model.index_for(oid)
        assert win.model.index(ix.row(), COLUMNS.index("carrier")).data()
        await wait_until(
            lambda: any("dispatch" in e.kind for e in win.detail.detail.events), timeout=10
        )
        win.close()


async def test_best_button_dispatch_then_rider_progress(qtbot, tmp_path):
    async with started_core(tmp_path) as core:
        win = await _window(core, qtbot)
        oid = await _new_order(win)
        assert win.detail.buttons["best"].isEnabled()
        qtbot.mouseClick(win.detail.buttons["best"], Qt.MouseButton.LeftButton)
        await wait_until(
            lambda: (r := win.model.row_for(oid)) is not None and r.attempt is not None, timeout=20
        )
        await wait_until(lambda: win.detail.buttons["cancel"].isEnabled(), timeout=10)
        # riders move: the sandbox clock is frozen in tests; advance it and poll
        core.sandbox.engine.advance(300)
        await core.service.refresh(oid)
        await wait_until(lambda: win.model.row_for(oid).lane is Lane.DELIVERING, timeout=10)
        win.close()
