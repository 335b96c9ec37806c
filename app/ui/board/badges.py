"""Where an order came from, on the board: a coloured badge in the pickup column (美团
yellow, 饿了么 blue, POS grey) with the platform's day number ("美团 #12"), the
fulfilment a platform order keeps ("平台配送" / "自取": never dispatched by JuPei) and a
platform's cancel or refund request (red).

The facts come from the order itself (``Order.extra``: source, fulfilment, dispatch,
set by the core when a platform order becomes a board order) and from
``SourceOrderUpdated`` events the main window hands to ``PlatformFlags``."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QModelIndex, QRectF, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app.core.domain import Order

POS_COLOUR = "#8c959f"
DEFAULT_COLOURS = {"meituan": "#ffc300", "eleme": "#0086ff"}  # until the service says
DARK_TEXT = frozenset({"meituan"})  # black on 美团 yellow, white on the others
RED = "#cf222e"


def _t(text: str) -> str:
    return QCoreApplication.translate("badges", text)


def source_of(order: Order) -> str:
    """``meituan`` / ``eleme`` … for a platform order, "" for POS, phone, manual and
    simulated ones (their ``extra["source"]`` names the intake path, not a platform)."""
    extra = order.extra or {}
    return str(extra.get("source") or "") if extra.get("source_order_id") else ""


def fulfilment_label(order: Order) -> str:
    """ "平台配送" / "自取" for a platform order JuPei never dispatches; "" otherwise."""
    extra = order.extra or {}
    if not source_of(order) or extra.get("dispatch") is not False:
        return ""
    return {"platform_delivery": _t("平台配送"), "pickup": _t("自取")}.get(
        str(extra.get("fulfilment", "")), _t("平台配送")
    )


def request_label(cancel_requested: bool, refund_state: str) -> str:
    """A platform's pending request in the cashier's words ("" when none)."""
    if refund_state == "applied":
        return _t("顾客申请退款")
    if cancel_requested:
        return _t("顾客申请取消")
    return ""


class PlatformFlags:
    """The latest cancel/refund request per board order, from ``SourceOrderUpdated``."""

    def __init__(self) -> None:
        self._text: dict[int, str] = {}

    def update(self, event) -> bool:
        """Apply one event; True when the order's flag changed."""
        if event.order_id is None:
            return False
        text = request_label(bool(event.cancel_requested), str(event.refund_state or ""))
        if event.state in ("cancelled", "completed"):
            text = ""  # settled: the lane says the rest
        return self._set(event.order_id, text)

    def from_row(self, row) -> bool:
        """A row read from storage carries the request (``BoardRow.platform_request``):
        the flag shows after a restart, before any update event; True when it changed."""
        oid = row.order.id
        if oid is None:
            return False
        request = getattr(row, "platform_request", "")
        text = request_label(request == "cancel", "applied" if request == "refund" else "")
        return self._set(oid, text)

    def _set(self, order_id: int, text: str) -> bool:
        if self._text.get(order_id, "") == text:
            return False
        if text:
            self._text[order_id] = text
        else:
            self._text.pop(order_id, None)
        return True

    def get(self, order_id: int | None) -> str:
        return "" if order_id is None else self._text.get(order_id, "")


class SourceBadgeDelegate(QStyledItemDelegate):
    """Paints the pickup cell as a rounded badge in the source's colour."""

    def __init__(self, colours: dict[str, str] | None = None, parent=None) -> None:
        super().__init__(parent)
        self.colours = {**DEFAULT_COLOURS, **(colours or {})}

    def colour(self, source: str) -> QColor:
        return QColor(self.colours.get(source, POS_COLOUR) if source else POS_COLOUR)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        from app.ui.board.model import ROW_ROLE

        row = index.data(ROW_ROLE)
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        if row is None or not text:
            super().paint(painter, option, index)
            return
        source = source_of(row.order)
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else None
        if style is not None:  # selection and row background as usual, then the badge
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = opt.font
        font.setBold(True)
        painter.setFont(font)
        width = painter.fontMetrics().horizontalAdvance(text) + 12
        r = QRectF(option.rect).adjusted(3, 4, -3, -4)
        r.setWidth(min(r.width(), width))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.colour(source))
        painter.drawRoundedRect(r, 4, 4)
        painter.setPen(QColor("#1f2328") if source in DARK_TEXT else QColor("#ffffff"))
        painter.drawText(r, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()
