"""``MapView``: store, destinations and live riders over XYZ tiles, painted with QPainter.

Points are GCJ-02. On a GCJ-02 tile source (AutoNavi, the default) they are drawn as is;
on a WGS-84 source (OSM) they are shifted with ``gcj02_to_wgs84`` for display only.
Without tiles (offline, or no source) a neutral grid is drawn and everything else works.

Under load (hundreds of riders, orders arriving every few ms) the GUI thread must stay
free, so: content changes only mark the view dirty and a timer asks for a new overlay a
few times a second (``REPAINT_MS``), rendered on a worker thread
(``app.ui.map.overlay``) while the last one stays on screen; tiles, grid and attribution
are cached in one pixmap until the view moves; the GUI thread only blits the two images.
User actions (drag, wheel, select, resize, fit) render at once on the GUI thread.
"""

from __future__ import annotations

import functools
import logging
import math
import time
import weakref
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QHideEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from app.core.geo import gcj02_to_wgs84
from app.ui.map.overlay import RIDER, Frame, OverlayRenderer
from app.ui.map.projection import TILE, fit_zoom, lat_lng, world_px
from app.ui.map.tiles import TileCache, TileFetcher, TileSource

log = logging.getLogger(__name__)

REPAINT_MS = 250  # content changes are shown at most ~4 times a second
FIT_EVERY_S = 1.0  # auto-fit over thousands of pins at most once a second


class _Relay(QObject):
    """Carries finished overlays from the render thread to the GUI thread. The worker
    holds only a weak reference to the view: a view must never be destroyed (its last
    reference dropped) on the render thread, because its timers belong to the GUI."""

    rendered = Signal(object, object)  # weakref to the view, (Frame, QImage) | None

    def __init__(self) -> None:
        super().__init__()
        self.rendered.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def hand_over(self, view: weakref.ref[MapView], fut: Future[tuple[Frame, QImage]]) -> None:
        """On the render thread."""
        out = None
        try:
            out = fut.result()
        except Exception:  # a failed frame must not stop later ones
            log.exception("map overlay render failed")
        self.rendered.emit(view, out)

    @staticmethod
    def _deliver(view: weakref.ref[MapView], out: tuple[Frame, QImage] | None) -> None:
        v = view()
        if v is not None:
            v._on_rendered(out)


_relays: list[_Relay] = []


def _relay() -> _Relay:
    """The process's relay, made on the GUI thread (where the first render is asked)."""
    if not _relays:
        _relays.append(_Relay())
    return _relays[0]


@dataclass
class Pin:
    order_id: int
    lat: float
    lng: float
    label: str
    color: str = "#1f6feb"


class MapView(QWidget):
    order_clicked = Signal(int)

    def __init__(self, source: TileSource, cache_root: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("mapView")
        self.setMinimumSize(240, 200)
        self.source = source
        self.fetcher = self._new_fetcher(source, cache_root)
        self.center = (31.23, 121.47)
        self.zoom = 13
        self.store: tuple[float, float, str] | None = None
        self.destinations: dict[int, Pin] = {}
        self.riders: dict[int, Pin] = {}
        self.trails: dict[int, list[tuple[float, float]]] = {}
        self.selected: int | None = None
        self.paints = 0  # paintEvent count (tests check that events coalesce)
        self.delivered = 0  # overlays from the render thread taken in
        self._drag: QPointF | None = None
        self._press = QPointF()
        self._auto_fit = True
        self._fit_due = False
        self._next_fit = 0.0
        self._repaint = QTimer(self, singleShot=True, interval=REPAINT_MS)
        self._repaint.timeout.connect(self._render_async)
        self._tiles_rev = 0
        self._base: QPixmap | None = None
        self._base_key: tuple[Any, ...] | None = None
        self._renderer = OverlayRenderer(self.font())
        self._overlay: tuple[Frame, QImage] | None = None
        self._in_flight = False
        self._again = False  # content changed while a render was running
        self._now = True  # the next paint renders on the GUI thread (operator's action)

    def _new_fetcher(self, source: TileSource, cache_root: Path) -> TileFetcher:
        fetcher = TileFetcher(source, TileCache(cache_root, source), self)
        fetcher.tile_ready.connect(self._on_tile)
        return fetcher

    def set_source(self, source: TileSource, cache_root: Path) -> None:
        """Switch tile source (settings); markers stay, tiles reload."""
        self.source = source
        self.fetcher.deleteLater()
        self.fetcher = self._new_fetcher(source, cache_root)
        self._act()

    def _on_tile(self, *_: int) -> None:
        self._tiles_rev += 1
        self.update()  # the cached base layer is rebuilt; the overlay stays

    def _changed(self) -> None:
        """Content changed: a new overlay at the next tick, never one per event."""
        if not self._repaint.isActive():
            self._repaint.start()

    def _act(self) -> None:
        """The operator changed the view: render and paint at once."""
        self._now = True
        self.update()

    # ----------------------------------------------------------------- content
    def set_store(self, lat: float, lng: float, name: str) -> None:
        self.store = (lat, lng, name)
        self._refit()

    def set_destination(self, pin: Pin) -> None:
        old = self.destinations.get(pin.order_id)
        if old == pin:
            return  # the board refreshes rows often; an unchanged pin costs nothing
        self.destinations[pin.order_id] = pin
        if old is None or (old.lat, old.lng) != (pin.lat, pin.lng):
            self._refit()
        else:
            self._changed()

    def remove_order(self, order_id: int) -> None:
        if self.destinations.pop(order_id, None) is not None:
            self._changed()
        self.remove_rider(order_id)

    def remove_rider(self, order_id: int) -> None:
        if self.riders.pop(order_id, None) is not None:
            self.trails.pop(order_id, None)
            self._changed()

    def move_rider(self, order_id: int, lat: float, lng: float, label: str = "") -> None:
        old = self.riders.get(order_id)
        self.riders[order_id] = Pin(order_id, lat, lng, label or (old.label if old else ""), RIDER)
        trail = self.trails.setdefault(order_id, [])
        if not trail or trail[-1] != (lat, lng):
            trail.append((lat, lng))
            del trail[:-50]
        self._changed()

    def select(self, order_id: int | None) -> None:
        self.selected = order_id
        pin = None if order_id is None else self.riders.get(order_id)
        if pin is None and order_id is not None:
            pin = self.destinations.get(order_id)
        if pin is not None and not self._visible(pin.lat, pin.lng):
            self.center = (pin.lat, pin.lng)
        self._act()

    def fit(self) -> None:
        self._auto_fit = True
        self._refit()
        self._act()

    def _refit(self) -> None:
        """Fit lazily: many pins added in one burst cost one fit, at the next frame."""
        if self._auto_fit:
            self._fit_due = True
        self._changed()

    def _apply_fit(self) -> None:
        self._fit_due = False
        if not self._auto_fit:
            return
        pts = [(p.lat, p.lng) for p in (*self.destinations.values(), *self.riders.values())]
        if self.store:
            pts.append(self.store[:2])
        lat, lng, z = fit_zoom(pts, max(self.width(), 300), max(self.height(), 240))
        self.center, self.zoom = (lat, lng), z

    # ----------------------------------------------------------------- geometry
    def _display(self, lat: float, lng: float) -> tuple[float, float]:
        return (lat, lng) if self.source.gcj02 else gcj02_to_wgs84(lat, lng)

    def _origin(self) -> tuple[float, float]:
        if self._fit_due and (self._now or time.monotonic() >= self._next_fit):
            self._next_fit = time.monotonic() + FIT_EVERY_S
            self._apply_fit()
        cx, cy = world_px(*self._display(*self.center), self.zoom)
        return round(cx - self.width() / 2), round(cy - self.height() / 2)

    def to_screen(self, lat: float, lng: float) -> QPointF:
        ox, oy = self._origin()
        x, y = world_px(*self._display(lat, lng), self.zoom)
        return QPointF(x - ox, y - oy)

    def _visible(self, lat: float, lng: float) -> bool:
        return QRectF(self.rect()).adjusted(20, 20, -20, -20).contains(self.to_screen(lat, lng))

    # ----------------------------------------------------------------- overlay
    def _frame(self) -> Frame:
        """A snapshot for the renderer: dict copies of immutable pins, trails as tuples
        (the GUI keeps appending to its lists while the worker draws)."""
        ox, oy = self._origin()
        key = (ox, oy, self.zoom, self.width(), self.height(), self.devicePixelRatioF(),
               self.source.gcj02)  # fmt: skip
        trails = {oid: tuple(t) for oid, t in self.trails.items()}
        return Frame(key, self.store, self.selected, dict(self.destinations),
                     dict(self.riders), trails)  # fmt: skip

    def _render_async(self) -> None:
        if self._in_flight:
            self._again = True
            return
        self._in_flight, self._again = True, False
        fut = self._renderer.submit(self._frame())
        fut.add_done_callback(functools.partial(_relay().hand_over, weakref.ref(self)))
        if self._fit_due:  # throttled (FIT_EVERY_S): the frame after this one fits
            self._again = True

    def _on_rendered(self, out: tuple[Frame, QImage] | None) -> None:
        self._in_flight = False
        if out is not None:
            self.delivered += 1
            self._overlay = out
            self.update()
        if self._again:
            self._changed()

    @property
    def renders(self) -> int:
        """Overlays rendered so far (tests check that events coalesce)."""
        return self._renderer.renders

    # ----------------------------------------------------------------- painting
    def paintEvent(self, _event: QPaintEvent) -> None:
        self.paints += 1
        ox, oy = self._origin()
        p = QPainter(self)
        p.drawPixmap(0, 0, self._base_layer(ox, oy))
        ov = self._overlay
        if ov is None or self._now:
            self._now = False
            self._repaint.stop()  # this overlay shows every change so far
            ov = self._overlay = self._renderer.render(self._frame())
        if ov[0].key[2:] == (self.zoom, self.width(), self.height(),
                             self.devicePixelRatioF(), self.source.gcj02):  # fmt: skip
            # the view may have been re-fitted since: shift the last overlay until the next
            p.drawImage(QPointF(ov[0].key[0] - ox, ov[0].key[1] - oy), ov[1])
        p.end()
        if ov[0].key[:2] != (ox, oy):
            self._changed()

    def _base_layer(self, ox: float, oy: float) -> QPixmap:
        """Background, tiles (or the offline grid) and attribution, cached until the view
        moves, a tile arrives or the source goes on/offline."""
        dpr = self.devicePixelRatioF()
        key = (ox, oy, self.zoom, self.width(), self.height(), dpr,
               self._tiles_rev, self.fetcher.online, self.source.url)  # fmt: skip
        if self._base is None or key != self._base_key:
            pm = QPixmap(max(1, round(self.width() * dpr)), max(1, round(self.height() * dpr)))
            pm.setDevicePixelRatio(dpr)
            pm.fill(QColor("#eef1f4"))
            p = QPainter(pm)
            self._paint_tiles(p, round(ox), round(oy))
            self._paint_attribution(p)
            p.end()
            self._base, self._base_key = pm, key
        return self._base

    def _paint_tiles(self, p: QPainter, ox: int, oy: int) -> None:
        n = 2**self.zoom
        grid = QPen(QColor("#d0d7de"), 1)
        dots = QPen(QColor("#dde3e9"), 1, Qt.PenStyle.DotLine)
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
                p.setPen(dots)
                for k in (1, 2, 3):
                    x, y = r.left() + k * TILE / 4, r.top() + k * TILE / 4
                    p.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))
                    p.drawLine(QPointF(r.left(), y), QPointF(r.right(), y))

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
        self._act()

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
        self._act()

    def hideEvent(self, e: QHideEvent) -> None:
        # a hidden map needs no frames; and a closed view collected later on another
        # thread (wherever the GC runs) must not own a running timer
        self._repaint.stop()
        self._now = True  # shown again: render at once
        super().hideEvent(e)

    def resizeEvent(self, _e: QResizeEvent) -> None:
        self._refit()
        self._act()
