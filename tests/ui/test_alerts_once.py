"""Alerts are decided once, in the core: the real window against the real core plays one
chime per delivery and keeps one alert per return (code-review §1.5 probe)."""

from __future__ import annotations

import pytest

from app.core.board import Lane
from app.core.events import AlertKind
from app.ui.main_window import MainWindow
from tests.helpers import started_core, wait_until

pytestmark = [pytest.mark.gui, pytest.mark.asyncio, pytest.mark.integration]


async def _dispatched(core, qtbot, carrier: str) -> tuple[MainWindow, int]:
    win = MainWindow(core.service, tile_source="offline")
    qtbot.addWidget(win)
    await win.start()
    win.show()
    oid = (await win.simulate_order_async()).order.id
    await wait_until(lambda: win.model.row_for(oid) is not None)
    await core.service.dispatch(oid, carrier=carrier)
    return win, oid


async def _advance_until(core, win, oid: int, lane: Lane) -> None:
    for _ in range(30):
        core.demo.advance(120)
        await core.service.refresh(oid)
        if (r := win.model.row_for(oid)) is not None and r.lane is lane:
            return
    await wait_until(lambda: win.model.row_for(oid).lane is lane, timeout=10)


async def test_one_delivery_chimes_once(qtbot, tmp_path):
    async with started_core(tmp_path, alerts={"voice": False}) as core:
        win, oid = await _dispatched(core, qtbot, "dada")
        await _advance_until(core, win, oid, Lane.DONE)
        played = win.alerts.player.played
        assert played.count("delivered") == 1, played
        assert played.count("new_order") >= 1  # the arrival chimed (and may repeat)
        win.close()


async def test_one_return_leaves_one_alert(qtbot, tmp_path):
    async with started_core(tmp_path, alerts={"voice": False}) as core:
        core.demo.goods_come_back("dada")  # dada reports returning, then returned
        win, oid = await _dispatched(core, qtbot, "dada")
        await _advance_until(core, win, oid, Lane.ATTENTION)
        for _ in range(6):  # on until the goods are back at the shop
            core.demo.advance(120)
            await core.service.refresh(oid)
        await wait_until(
            lambda: any(k[0] == oid and k[1] != "new_order" for k in win.alerts.unacked)
        )
        mine = sorted(k[1] for k in win.alerts.unacked if k[0] == oid)
        assert mine == [AlertKind.RETURNING], mine  # the new-order alert cleared on dispatch
        win.close()
