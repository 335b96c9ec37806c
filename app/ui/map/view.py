"""``MapView``: store, destinations and live riders over XYZ tiles, painted with QPainter.

Points are GCJ-02. On a GCJ-02 tile source (AutoNavi, the default) they are drawn as is;
on a WGS-84 source (OSM) they are shifted with ``gcj02_to_wgs84`` for display only.
Without tiles (offline, or no source) a neutral grid is drawn and everything else works.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPainterPath, QPen, QWheelEvent
from PySide6.QtWidgets import QWidget

from app.core.geo import gcj02_to_wgs84
from app.ui.map.projection import TILE, fit_zoom, lat_lng, world_px
from app.ui.map.tiles import TileCache, TileFetcher, TileSource


@dataclass
class Pin:
    order_id: int
    lat: float
    lng: float
    label: str
    color: str = "#1f6feb"


class MapView(QWidget):
    order_clicked = Signal(int)

    def __init__(self, source: TileSource, cache_root: Path, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("mapView")
        self.setMinimumSize(240, 200)
        self.source = source
        self.fetcher = TileFetcher(source, TileCache(cache_root, source), self)
        self.fetcher.tile_ready.connect(lambda *_: self.update())
        self.center = (31.23, 121.47)
        self.zoom = 13
        self.store: tuple[float, float, str] | None = None
        self.destinations: dict[int, Pin] = {}
        self.riders: dict[int, Pin] = {}
        self.trails: dict[int, list[tuple[float, float]]] = {}
        self.selected: int | None = None
        self._drag: QPointF | None = None
        self._auto_fit = True

    def set_source(self, source: TileSource, cache_root: Path) -> None:
        """Switch tile source (settings); markers stay, tiles reload."""
        self.source = source
        self.fetcher.deleteLater()
        self.fetcher = TileFetcher(source, TileCache(cache_root, source), self)
        self.fetcher.tile_ready.connect(lambda *_: self.update())
        self.update()

    # ----------------------------------------------------------------- content
    def set_store(self, lat: float, lng: float, name: str) -> None:
        self.store = (lat, lng, name)
        self._refit()

    def set_destination(self, pin: Pin) -> None:
        self.destinations[pin.order_id] = pin
        self._refit()

    def remove_order(self, order_id: int) -> None:
        self.destinations.pop(order_id, None)
        self.riders.pop(order_id, None)
        self.trails.pop(order_id, None)
        self.update()

    def remove_rider(self, order_id: int) -> None:
        if self.riders.pop(order_id, None) is not None:
            self.trails.pop(order_id, None)
            self.update()

    def move_rider(self, order_id: int, lat: float, lng: float, label: str = "") -> None:
        old = self.riders.get(order_id)
        self.riders[order_id] = Pin(
            order_id, lat, lng, label or (old.label if old else ""), "#1a7f37"
        )
        trail = self.trails.setdefault(order_id, [])
        if not trail or trail[-1] != (lat, lng):
            trail.append((lat, lng))
            del trail[:-50]
        self.update()

    def select(self, order_id: int | None) -> None:
        self.selected = order_id
        pin = self.riders.get(order_id) or self.destinations.get(order_id)  # type: ignore[arg-type]
        if pin is not None and not self._visible(pin.lat, pin.lng):
            self.center = (pin.lat, pin.lng)
        self.update()

    def fit(self) -> None:
        self._auto_fit = True
        self._refit()

    def _refit(self) -> None:
        if self._auto_fit:
            pts = [(p.lat, p.lng) for p in (*self.destinations.values(), *self.riders.values())]
            if self.store:
                pts.append(self.store[:2])
            lat, lng, z = fit_zoom(pts, max(self.width(), 300), max(self.height(), 240))
            self.center, self.zoom = (lat, lng), z
        self.update()

    # ----------------------------------------------------------------- geometry
    def _display(self, lat: float, lng: float) -> tuple[float, float]:
        return (lat, lng) if self.source.gcj02 else gcj02_to_wgs84(lat, lng)

    def _origin(self) -> tuple[float, float]:
        cx, cy = world_px(*self._display(*self.center), self.zoom)
        return cx - self.width() / 2, cy - self.height() / 2

    def to_screen(self, lat: float, lng: float) -> QPointF:
        ox, oy = self._origin()
        x, y = world_px(*self._display(lat, lng), self.zoom)
        return QPointF(x - ox, y - oy)

    def _visible(self, lat: float, lng: float) -> bool:
        return QRectF(self.rect()).adjusted(20, 20, -20, -20).contains(self.to_screen(lat, lng))

    # ----------------------------------------------------------------- painting
    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("#eef1f4"))
        self._paint_tiles(p)
        self._paint_routes(p)
        self._paint_pins(p)
        self._paint_attribution(p)
        p.end()

    def _paint_tiles(self, p: QPainter) -> None:
        ox, oy = self._origin()
        n = 2**self.zoom
        grid = QPen(QColor("#d0d7de"), 1)
        for tx in range(math.floor(ox / TILE), math.floor((ox + self.width()) / TILE) + 1):
            for ty in range(math.floor(oy / TILE), math.floor((oy + self.height()) / TILE) + 1):
                r = QRectF(tx * TILE - ox, ty * TILE - oy, TILE, TILE)
                pm = self.fetcher.cache.get(tx % n, ty, self.zoom) if 0 <= ty < n else None
                if pm is not None:
                    p.drawPixmap(r.toRect(), pm)
                    continue
                if 0 <= ty < n:
                    self.fetcher.request(tx % n, ty, self.zoom)
                p.setPen(grid)
                p.drawRect(r)
                p.setPen(QPen(QColor("#dde3e9"), 1, Qt.PenStyle.DotLine))
                for k in (1, 2, 3):
                    x, y = r.left() + k * TILE / 4, r.top() + k * TILE / 4
                    p.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))
                    p.drawLine(QPointF(r.left(), y), QPointF(r.right(), y))

    def _paint_routes(self, p: QPainter) -> None:
        if self.store is None:
            return
        s = self.to_screen(*self.store[:2])
        for oid, d in self.destinations.items():
            sel = oid == self.selected
            pen = QPen(
                QColor("#cf222e" if sel else "#8c959f"), 3 if sel else 1.5, Qt.PenStyle.DashLine
            )
            p.setPen(pen)
            p.drawLine(s, self.to_screen(d.lat, d.lng))
        for oid, trail in self.trails.items():
            if len(trail) > 1:
                path = QPainterPath(self.to_screen(*trail[0]))
                for pt in trail[1:]:
                    path.lineTo(self.to_screen(*pt))
                p.setPen(QPen(QColor("#1a7f37"), 3 if oid == self.selected else 2))
                p.drawPath(path)

    def _paint_pins(self, p: QPainter) -> None:
        font = QFont(self.font())
        font.setPointSizeF(max(8.0, font.pointSizeF() * 0.9))
        p.setFont(font)
        for d in self.destinations.values():
            self._pin(p, d, radius=7, shape="drop")
        for r in self.riders.values():
            self._pin(p, r, radius=8, shape="circle")
        if self.store is not None:
            lat, lng, name = self.store
            self._pin(p, Pin(-1, lat, lng, name, "#8250df"), radius=10, shape="square")

    def _pin(self, p: QPainter, pin: Pin, radius: int, shape: str) -> None:
        c = self.to_screen(pin.lat, pin.lng)
        sel = pin.order_id == self.selected
        if sel:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(207, 34, 46, 70))
            p.drawEllipse(c, radius * 2.4, radius * 2.4)
        p.setPen(QPen(QColor("white"), 2))
        p.setBrush(QColor("#cf222e" if sel and shape == "drop" else pin.color))
        if shape == "square":
            p.drawRoundedRect(QRectF(c.x() - radius, c.y() - radius, 2 * radius, 2 * radius), 3, 3)
        else:
            p.drawEllipse(c, radius, radius)
        if pin.label:
            p.setPen(QColor("#24292f"))
            p.drawText(c + QPointF(radius + 3, 4), pin.label)

    def _paint_attribution(self, p: QPainter) -> None:
        online = self.fetcher.online
        text = (
            self.tr("离线地图（无瓦片）")
            if not online
            else ("© 高德地图 AutoNavi" if self.source.gcj02 else "© OpenStreetMap contributors")
        )
        p.setPen(QColor("#57606a"))
        p.drawText(
            self.rect().adjusted(0, 0, -6, -4),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
            text,
        )

    # ----------------------------------------------------------------- interaction
    def mousePressEvent(self, e: QMouseEvent) -> None:
        self._drag = e.position()
        self._press = e.position()

    def mouseMoveEvent(self, e: QMouseEvent) -> None:
        if self._drag is None:
            return
        d = e.position() - self._drag
        self._drag = e.position()
        cx, cy = world_px(*self.center, self.zoom)
        self.center = lat_lng(cx - d.x(), cy - d.y(), self.zoom)
        self._auto_fit = False
        self.update()

    def mouseReleaseEvent(self, e: QMouseEvent) -> None:
        self._drag = None
        if (e.position() - self._press).manhattanLength() < 4:
            hit = self.pin_at(e.position())
            if hit is not None:
                self.order_clicked.emit(hit)

    def pin_at(self, pos: QPointF) -> int | None:
        for pin in (*self.riders.values(), *self.destinations.values()):
            if (self.to_screen(pin.lat, pin.lng) - pos).manhattanLength() < 14:
                return pin.order_id
        return None

    def wheelEvent(self, e: QWheelEvent) -> None:
        step = 1 if e.angleDelta().y() > 0 else -1
        self.zoom = max(3, min(18, self.zoom + step))
        self._auto_fit = False
        self.update()

    def resizeEvent(self, _e) -> None:
        self._refit()
