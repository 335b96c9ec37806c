"""Under a burst of events the map and board do bounded GUI-thread work: the map renders
its overlay a few times a second (off the GUI thread), never once per event; the board
reads changed rows in one batch per flush."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor

from app.core.events import EventBus, OrderChanged, RiderMoved
from app.ui.board.controller import BoardController
from app.ui.board.model import BoardModel
from app.ui.bridge import EventBridge
from app.ui.map.controller import MapController
from app.ui.map.tiles import source_from_name
from app.ui.map.view import MapView, Pin
from tests.fakes.board_service import FakeBoardService
from tests.ui.factories import T0, make_rows


def _shown_view(qtbot, tmp_path) -> MapView:
    view = MapView(source_from_name("offline"), tmp_path)
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.set_store(31.235, 121.48, "门店")
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: view.paints >= 1)
    return view


def _green_at(view: MapView, lat: float, lng: float) -> bool:
    img = view.grab().toImage()
    p = view.to_screen(lat, lng)
    px = QColor(img.pixel(int(p.x()), int(p.y())))
    return px.green() > px.red() and px.green() > px.blue()


def test_rider_burst_renders_the_overlay_once(qtbot, tmp_path):
    view = _shown_view(qtbot, tmp_path)
    for i in range(20):
        view.set_destination(Pin(i, 31.23 + i * 1e-3, 121.47, f"A{i}"))
    view.fit()
    view.grab()  # an operator's fit renders at once; the burst below must not
    renders, paints, delivered = view.renders, view.paints, view.delivered
    for step in range(10):
        for i in range(20):
            view.move_rider(i, 31.231 + i * 1e-3, 121.471 + step * 1e-4, "骑手")
    assert view.renders == renders and view.paints == paints  # nothing per event
    qtbot.waitUntil(lambda: view.delivered > delivered)
    qtbot.waitUntil(lambda: view.paints > paints)  # the finished overlay is shown
    assert view.renders == renders + 1  # 200 positions, one render
    assert _green_at(view, 31.231 + 5e-3, 121.471 + 9e-4)  # latest position drawn
    assert len(view.trails[5]) == 10


def test_rider_events_through_the_bridge_coalesce(qtbot, tmp_path):
    bus = EventBus()
    bridge = EventBridge(bus)
    model = BoardModel(now=lambda: T0)
    view = _shown_view(qtbot, tmp_path)
    MapController(view, model, bridge, view)
    model.set_rows(make_rows(12))
    oids = list(view.destinations)
    view.grab()
    renders, delivered = view.renders, view.delivered
    for k in range(50):
        for oid in oids:
            bus.publish(RiderMoved(oid, 1, 31.232 + k * 1e-5, 121.475))
    qtbot.waitUntil(lambda: view.delivered > delivered)
    assert view.renders <= renders + 2  # not one per event (50 x live orders)
    assert all(view.riders[o].lat == pytest.approx(31.232 + 49e-5) for o in oids)


@pytest.mark.asyncio
async def test_board_flush_reads_pending_rows_in_one_batch(qtbot):
    bus = EventBus()
    bridge = EventBridge(bus)
    rows = {r.order.id or 0: r for r in make_rows(40)}
    service = FakeBoardService(rows)
    model = BoardModel(now=lambda: T0)
    ctl = BoardController(service, bridge, model)
    await ctl.load()
    updated: list[int] = []
    ctl.row_updated.connect(updated.append)
    for oid in rows:
        bus.publish(OrderChanged(oid))
    await ctl.flush()
    assert service.batches == [set(rows)]  # one read for 40 changed orders
    assert sorted(updated) == sorted(rows)
    ctl.stop()  # no timer left running for whichever thread collects the controller
