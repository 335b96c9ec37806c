"""The Qt-native map offline: grid, store, destinations and a moving rider."""

from __future__ import annotations

from PySide6.QtGui import QColor

from app.core.events import EventBus, RiderMoved
from app.ui.board.model import BoardModel
from app.ui.bridge import EventBridge
from app.ui.map.controller import MapController
from app.ui.map.projection import lat_lng, world_px
from app.ui.map.tiles import source_from_name
from app.ui.map.view import MapView
from tests.ui.factories import T0, make_rows


def test_projection_round_trip():
    x, y = world_px(31.23593, 121.48054, 15)
    lat, lng = lat_lng(x, y, 15)
    assert abs(lat - 31.23593) < 1e-9 and abs(lng - 121.48054) < 1e-9


def test_offline_map_shows_markers_and_rider(qtbot, tmp_path):
    bus = EventBus()
    bridge = EventBridge(bus)
    model = BoardModel(now=lambda: T0)
    view = MapView(source_from_name("offline"), tmp_path)
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.set_store(31.235, 121.48, "门店")
    ctl = MapController(view, model, bridge, view)
    model.set_rows(make_rows(12))
    assert view.destinations  # live lanes are on the map
    oid = next(iter(view.destinations))
    bus.publish(RiderMoved(oid, 1, 31.232, 121.475))
    bus.publish(RiderMoved(oid, 1, 31.231, 121.474))
    assert view.riders[oid].lat == 31.231 and len(view.trails[oid]) == 2
    view.select(oid)
    img = view.grab().toImage()
    p = view.to_screen(31.231, 121.474)
    px = QColor(img.pixel(int(p.x()), int(p.y())))
    assert px.green() > px.red()  # the green rider marker is drawn there
    assert not view.fetcher.online  # offline source: never fetches
    assert view.pin_at(p) == oid
    assert ctl.view is view
