"""The map's moving layer (store lines, rider trails, markers, labels) rendered into a
``QImage``, off the GUI thread when the view only asks for fresh content.

Under load (P3: 500 live deliveries polled, 100 orders/s arriving) drawing ~2,000 markers,
their labels and 500 trails took the GUI thread 50–200 ms per frame on the shared 2-core
machine. Rendering into a ``QImage`` is allowed on any thread, so ``OverlayRenderer``
does it on one worker thread from a ``Frame`` (a snapshot of the view's state taken on
the GUI thread: copies of dicts of immutable pins, trails as tuples) and the GUI thread
only blits the finished image. The same renderer also runs synchronously on the GUI
thread when an operator moves the view (drag, zoom, select), so the map follows at once.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen, QPolygonF

from app.core.geo import gcj02_to_wgs84
from app.ui.map.projection import world_px
from app.ui.map.sprites import SELECTED, Sprites

RIDER = "#1a7f37"
STORE = "#8250df"
_MARGIN = 40.0  # px beyond the edges still drawn (a marker half inside shows whole)

_executor: ThreadPoolExecutor | None = None


def executor() -> ThreadPoolExecutor:
    """The one render thread, shared by every map view of the process."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jupei-map")
    return _executor


class PinLike(Protocol):
    @property
    def lat(self) -> float: ...
    @property
    def lng(self) -> float: ...
    @property
    def label(self) -> str: ...
    @property
    def color(self) -> str: ...


@dataclass(frozen=True)
class Frame:
    """What to draw: the view's geometry plus copies of its content."""

    key: tuple[float, float, int, int, int, float, bool]  # ox, oy, zoom, w, h, dpr, gcj02
    store: tuple[float, float, str] | None
    selected: int | None
    destinations: dict[int, PinLike] = field(default_factory=dict)
    riders: dict[int, PinLike] = field(default_factory=dict)
    trails: dict[int, tuple[tuple[float, float], ...]] = field(default_factory=dict)


class OverlayRenderer:
    """Renders ``Frame`` s; keeps world-pixel geometry per delivery between frames, so a
    delivery's points are recomputed only when it moves or the zoom changes."""

    def __init__(self, font: QFont) -> None:
        self._font = QFont(font)
        self._lock = threading.Lock()  # the worker and an interactive GUI render
        self._sprites: Sprites | None = None
        self._geo: tuple[int, bool] | None = None
        self._points: dict[tuple[float, float], QPointF] = {}
        self._trails: dict[int, tuple[tuple[tuple[float, float], ...], QPolygonF]] = {}
        self.renders = 0

    def submit(self, frame: Frame) -> Future[tuple[Frame, QImage]]:
        return executor().submit(self.render, frame)

    def render(self, frame: Frame) -> tuple[Frame, QImage]:
        with self._lock:
            img = self._render(frame)
            self.renders += 1
            return frame, img

    def _render(self, f: Frame) -> QImage:
        ox, oy, zoom, w, h, dpr, gcj02 = f.key
        if self._geo != (zoom, gcj02) or len(self._points) > 20_000:
            self._geo = (zoom, gcj02)
            self._points.clear()
            self._trails.clear()
        if self._sprites is None or self._sprites.dpr != dpr:
            self._sprites = Sprites(self._font, dpr)
        img = QImage(max(1, round(w * dpr)), max(1, round(h * dpr)),
                     QImage.Format.Format_ARGB32_Premultiplied)  # fmt: skip
        img.setDevicePixelRatio(dpr)
        img.fill(Qt.GlobalColor.transparent)
        view = QRectF(ox - _MARGIN, oy - _MARGIN, w + 2 * _MARGIN, h + 2 * _MARGIN)
        p = QPainter(img)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.translate(-ox, -oy)
        self._routes(p, f, view)
        p.resetTransform()
        self._pins(p, f.destinations, "drop", 7, f, view)
        self._pins(p, f.riders, "circle", 8, f, view)
        if f.store is not None:
            lat, lng, name = f.store
            self._pins(p, {-1: _Pin(lat, lng, name, STORE)}, "square", 10, f, view)
        p.end()
        return img

    def _pt(self, lat: float, lng: float) -> QPointF:
        pt = self._points.get((lat, lng))
        if pt is None:
            gcj02 = self._geo is not None and self._geo[1]
            d = (lat, lng) if gcj02 else gcj02_to_wgs84(lat, lng)
            pt = self._points[(lat, lng)] = QPointF(
                *world_px(*d, self._geo[0] if self._geo else 13)
            )
        return pt

    def _poly(self, oid: int, trail: tuple[tuple[float, float], ...]) -> QPolygonF:
        hit = self._trails.get(oid)
        if hit is not None and hit[0] == trail:
            return hit[1]
        poly = QPolygonF([self._pt(*pt) for pt in trail])
        self._trails[oid] = (trail, poly)
        return poly

    def _routes(self, p: QPainter, f: Frame, view: QRectF) -> None:
        """Painter in world pixels: dashed store lines, then each visible rider trail."""
        if f.store is not None:
            s = self._pt(*f.store[:2])
            spokes = QPainterPath()
            for oid, d in f.destinations.items():
                if oid != f.selected:  # Qt clips what is off-screen
                    spokes.moveTo(s)
                    spokes.lineTo(self._pt(d.lat, d.lng))
            p.setPen(QPen(QColor("#8c959f"), 1.5, Qt.PenStyle.DashLine))
            p.drawPath(spokes)
        p.setPen(QPen(QColor(RIDER), 2))
        for oid, trail in f.trails.items():
            if len(trail) > 1 and oid != f.selected:
                poly = self._poly(oid, trail)
                if poly.boundingRect().intersects(view):
                    p.drawPolyline(poly)
        self._selected_route(p, f)

    def _selected_route(self, p: QPainter, f: Frame) -> None:
        sel = f.selected
        if sel is None:
            return
        dest = f.destinations.get(sel)
        if dest is not None and f.store is not None:
            p.setPen(QPen(QColor(SELECTED), 3, Qt.PenStyle.DashLine))
            p.drawLine(self._pt(*f.store[:2]), self._pt(dest.lat, dest.lng))
        trail = f.trails.get(sel)
        if trail is not None and len(trail) > 1:
            p.setPen(QPen(QColor(RIDER), 3))
            p.drawPolyline(self._poly(sel, trail))

    def _pins(
        self, p: QPainter, pins: dict[int, PinLike], shape: str, radius: int, f: Frame,
        view: QRectF,
    ) -> None:  # fmt: skip
        sprites = self._sprites
        assert sprites is not None
        ox, oy = f.key[0], f.key[1]
        for oid, pin in pins.items():
            pt = self._pt(pin.lat, pin.lng)
            if not view.contains(pt):
                continue  # off-screen: not drawn
            x, y = pt.x() - ox, pt.y() - oy
            img, off = sprites.marker(shape, radius, pin.color, oid == f.selected)
            p.drawImage(round(x - off.x()), round(y - off.y()), img)
            if pin.label:
                limg, loff = sprites.label(pin.label, radius)
                p.drawImage(round(x - loff.x()), round(y - loff.y()), limg)


@dataclass(frozen=True)
class _Pin:
    lat: float
    lng: float
    label: str
    color: str
