"""The core on its own thread: 100 orders/s through the signed POS API while the board is
open. Every order appears on the board exactly once, and the thread check in the bridge
and the proxy saw no core code on the GUI thread and no Qt delivery off it."""

from __future__ import annotations

import asyncio

import pytest

from app.bootstrap import build_core
from app.core.pos.sim import build_payloads, post_orders
from app.core.runtime import CoreRuntime
from app.core.sandbox.engine import SandboxEngine
from app.core.secrets import MemorySecretStore
from app.ui.bridge import THREADS, ServiceProxy
from app.ui.main_window import MainWindow
from tests.helpers import POS_SECRET, make_settings, wait_until

pytestmark = [pytest.mark.gui, pytest.mark.asyncio, pytest.mark.integration]

N_ORDERS = 300


async def _build(settings):
    return build_core(
        settings, secrets=MemorySecretStore(), sandbox_engine=SandboxEngine(seed=1, speed=0)
    )


async def _window_first(runtime: CoreRuntime, settings, qtbot):
    """The GUI's start-up order: window (正在启动…), core built, board, core started."""
    proxy = ServiceProxy(runtime, settings=settings)
    win = MainWindow(proxy, tile_source="offline")
    qtbot.addWidget(win)
    win.show_starting()
    win.show()
    assert win.starting and win.statusBar().currentMessage() == "正在启动…"
    early = asyncio.ensure_future(proxy.board())  # a call before the core exists waits
    core = await runtime.run(_build(settings))
    proxy.attach(core.service)
    await win.start()
    await runtime.run(core.start(pos=True))
    win.core_ready()
    assert not win.starting and await early == []
    return core, proxy, win


async def test_100_orders_per_second_reach_the_board_once_off_the_gui_thread(qtbot, tmp_path):
    settings = make_settings(tmp_path, dispatch={"mode": "manual"})
    runtime = CoreRuntime()
    runtime.start()
    THREADS.reset()
    core = None
    try:
        core, proxy, win = await _window_first(runtime, settings, qtbot)
        url = core.pos_listener.base_url + "/api/v1/orders"
        payloads = build_payloads(N_ORDERS, settings.store, seed=14, dispatch="manual")
        # the POS is another process in real life: its client runs on a loop of its own
        stats = await asyncio.to_thread(
            asyncio.run, post_orders(url, POS_SECRET, payloads, rate=100, concurrency=16)
        )
        assert stats.errors == 0 and stats.codes == {201: N_ORDERS}
        wanted = {p["pos_order_id"] for p in payloads}

        def on_board() -> list[str]:
            rows = (win.model.row_for(oid) for oid in win.model.order_ids())
            return [r.order.pos_order_id for r in rows if r is not None]

        await wait_until(lambda: wanted <= set(on_board()), timeout=120)
        shown = on_board()
        assert sorted(shown) == sorted(wanted)  # each once, nothing else
        detail = await proxy.order_detail(win.model.order_ids()[0])  # a read via the proxy
        assert detail is not None and detail.order.pos_order_id in wanted
        win.close()  # the bridge stops; a board refresh already queued still runs
        await wait_until(lambda: not win.controller._flushing)
        win.controller._flush_timer.stop()
    finally:
        if core is not None:
            await runtime.run(core.stop())
        runtime.stop()
    assert THREADS.violations == []
    assert THREADS.core_calls > 0  # service calls ran, on the core thread
    assert THREADS.core_events >= N_ORDERS  # the bus published there, at least once an order
    assert THREADS.slots >= N_ORDERS  # and the events reached Qt on the GUI thread
    assert runtime.thread is None  # the core thread ended
