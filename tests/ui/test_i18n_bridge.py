"""English catalogue loads; the event bridge and the one async_slot wrapper."""

from __future__ import annotations

import asyncio
import logging

import pytest

from app.core.board import Lane
from app.core.events import EventBus, OrderChanged, RiderMoved
from app.ui import bridge as br
from app.ui import labels
from app.ui.i18n import install_translators, remove_translators
from tests.helpers import wait_until


def test_english_translation(qapp):
    assert labels.lane_label(Lane.NEW) == "新订单"
    ts = install_translators(qapp, "en")
    try:
        assert labels.lane_label(Lane.NEW) == "New"
        assert labels.carrier_label("dada") != "达达"
    finally:
        remove_translators(qapp, ts)
        install_translators(qapp, "zh_CN")
    assert labels.lane_label(Lane.NEW) == "新订单"


def test_bridge_routes_events(qapp):
    bus = EventBus()
    b = br.EventBridge(bus)
    got, everything = [], []
    b.rider_moved.connect(got.append)
    b.any_event.connect(everything.append)
    bus.publish(RiderMoved(1, 2, 31.2, 121.4))
    bus.publish(OrderChanged(1))
    assert [type(e) for e in got] == [RiderMoved] and len(everything) == 2
    b.close()
    bus.publish(OrderChanged(1))
    assert len(everything) == 2


@pytest.mark.gui
@pytest.mark.asyncio
@pytest.mark.allow_warnings
async def test_async_slot_reports_errors_and_ignores_cancel(caplog):
    shown = []
    br.set_error_sink(shown.append)

    class W:
        @br.async_slot
        async def boom(self):
            raise RuntimeError("carrier down")

        @br.async_slot
        async def slow(self):
            await asyncio.sleep(10)

    try:
        with caplog.at_level(logging.INFO):
            t = W().boom(False)  # Qt's ``checked`` argument is dropped
            await wait_until(t.done)
            await asyncio.sleep(0)
            assert shown and "carrier down" in shown[0]
            assert any(r.levelno == logging.ERROR for r in caplog.records)
            shown.clear()
            s = W().slow()
            await asyncio.sleep(0.01)
            s.cancel()
            await wait_until(s.done)
            await asyncio.sleep(0)
            assert not shown
    finally:
        br.set_error_sink(None)
