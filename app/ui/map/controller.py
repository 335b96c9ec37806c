"""Feeds ``MapView`` from the board model and ``RiderMoved`` events."""

from __future__ import annotations

from PySide6.QtCore import QObject

from app.core.board import BoardRow, Lane
from app.core.events import RiderMoved
from app.ui import labels
from app.ui.board.model import BoardModel
from app.ui.bridge import EventBridge
from app.ui.map.view import MapView, Pin

_ON_MAP = {Lane.NEW, Lane.AWAITING, Lane.DELIVERING, Lane.ATTENTION}


class MapController(QObject):
    def __init__(
        self, view: MapView, model: BoardModel, bridge: EventBridge, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.view = view
        self.model = model
        bridge.rider_moved.connect(self._on_rider)
        model.modelReset.connect(self.sync_all)

    def sync_all(self) -> None:
        for oid in list(self.view.destinations):
            self.view.remove_order(oid)
        for oid in self.model.order_ids(_ON_MAP)[:300]:
            self.sync(oid)

    def sync(self, order_id: int) -> None:
        row = self.model.row_for(order_id)
        if row is None or row.lane not in _ON_MAP:
            self.view.remove_order(order_id)
            return
        self.view.set_destination(self._pin(row))
        a = row.attempt
        if a is not None and a.status.live and a.rider.lat is not None and a.rider.lng is not None:
            self.view.move_rider(order_id, a.rider.lat, a.rider.lng, self._rider_label(row))
        elif a is None or not a.status.live:
            self.view.remove_rider(order_id)

    def _pin(self, row: BoardRow) -> Pin:
        addr = row.order.customer.address
        color = labels.LANE_COLORS[row.lane]
        return Pin(row.order.id or 0, addr.lat, addr.lng, row.order.pickup_no or "", color)

    def _rider_label(self, row: BoardRow) -> str:
        a = row.attempt
        if a is None:
            return ""
        return f"{a.rider.name or labels.carrier_label(a.carrier)}"

    def _on_rider(self, event: RiderMoved) -> None:
        row = self.model.row_for(event.order_id)
        if row is not None and row.lane not in _ON_MAP:
            return
        label = self._rider_label(row) if row is not None else ""
        self.view.move_rider(event.order_id, event.lat, event.lng, label)
