"""Pre-rendered marker and label images for the map overlay.

Drawing a thousand antialiased ellipses and text runs per frame in Python was most of the
GUI thread's time under load (P3); a marker or label is rendered once here and then only
blitted, one ``drawImage`` call each. ``QImage`` (not ``QImage``) because the overlay is
rendered on a worker thread."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPen

SELECTED = "#cf222e"
HALO = QColor(207, 34, 46, 70)
LABEL_COLOR = "#24292f"
_MAX_LABELS = 4096  # a day's pickup numbers; older ones are rendered again if needed


class Sprites:
    """Marker images by (shape, radius, color, selected) and label images by text.

    Each image is centred on its anchor: draw it at ``anchor - offset``."""

    def __init__(self, font: QFont, dpr: float = 1.0) -> None:
        self.font = QFont(font)
        self.font.setPointSizeF(max(8.0, font.pointSizeF() * 0.9))
        self._metrics = QFontMetrics(self.font)
        self.dpr = dpr
        self._markers: dict[tuple[str, int, str, bool], tuple[QImage, QPointF]] = {}
        self._labels: dict[str, tuple[QImage, QPointF]] = {}

    def marker(self, shape: str, radius: int, color: str, sel: bool) -> tuple[QImage, QPointF]:
        key = (shape, radius, color, sel)
        hit = self._markers.get(key)
        if hit is None:
            hit = self._markers[key] = self._render_marker(shape, radius, color, sel)
        return hit

    def label(self, text: str, radius: int) -> tuple[QImage, QPointF]:
        """The label's image and its offset from the marker's anchor (to its right)."""
        hit = self._labels.get(text)
        if hit is None:
            if len(self._labels) >= _MAX_LABELS:
                self._labels.clear()
            hit = self._labels[text] = self._render_label(text)
        pm, base = hit
        return pm, QPointF(base.x() - radius - 3, base.y())

    def _canvas(self, w: float, h: float) -> QImage:
        pm = QImage(
            max(1, round(w * self.dpr)),
            max(1, round(h * self.dpr)),
            QImage.Format.Format_ARGB32_Premultiplied,
        )
        pm.setDevicePixelRatio(self.dpr)
        pm.fill(Qt.GlobalColor.transparent)
        return pm

    def _render_marker(
        self, shape: str, radius: int, color: str, sel: bool
    ) -> tuple[QImage, QPointF]:
        half = radius * 2.4 + 2 if sel else radius + 2
        pm = self._canvas(2 * half, 2 * half)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        c = QPointF(half, half)
        if sel:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(HALO)
            p.drawEllipse(c, radius * 2.4, radius * 2.4)
        p.setPen(QPen(QColor("white"), 2))
        p.setBrush(QColor(SELECTED if sel and shape == "drop" else color))
        if shape == "square":
            p.drawRoundedRect(QRectF(half - radius, half - radius, 2 * radius, 2 * radius), 3, 3)
        else:
            p.drawEllipse(c, radius, radius)
        p.end()
        return pm, QPointF(half, half)

    def _render_label(self, text: str) -> tuple[QImage, QPointF]:
        m = self._metrics
        w, h = m.horizontalAdvance(text) + 2, m.height() + 2
        pm = self._canvas(w, h)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        p.setFont(self.font)
        p.setPen(QColor(LABEL_COLOR))
        base_y = 1 + m.ascent()
        p.drawText(QPointF(1, base_y), text)
        p.end()
        # the text's baseline sits 4 px below the anchor, as when it was drawn directly
        return pm, QPointF(1, base_y - 4)
