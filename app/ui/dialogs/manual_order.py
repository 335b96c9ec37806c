"""Manual (phone) order entry. Same validation as the POS API; errors point at the field."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from app.ui.bridge import spawn


def parse_items(text: str) -> list[dict]:
    """One item a line: ``名称 数量 单价(元)``, e.g. ``宫保鸡丁 1 38``."""
    items = []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        qty = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 1
        price = round(float(parts[2]) * 100) if len(parts) > 2 else 0
        items.append({"name": parts[0], "qty": qty, "price_fen": price})
    return items


class ManualOrderDialog(QDialog):
    def __init__(self, service, seq: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("manualOrderDialog")
        self.setWindowTitle(self.tr("电话订单录入"))
        self.service = service
        self.seq = seq
        self.result_order = None
        store = service.settings.store
        self.fields: dict[str, QWidget] = {}
        lay = QFormLayout(self)
        self._add(lay, "customer.name", self.tr("顾客姓名"), QLineEdit(self))
        self._add(lay, "customer.phone", self.tr("电话"), QLineEdit(self))
        self._add(lay, "customer.address", self.tr("地址"), QLineEdit(self))
        self._add(lay, "customer.lat", self.tr("纬度 (GCJ-02)"), self._coord(store.lat, 90))
        self._add(lay, "customer.lng", self.tr("经度 (GCJ-02)"), self._coord(store.lng, 180))
        items = QPlainTextEdit(self)
        items.setPlaceholderText(self.tr("每行：名称 数量 单价(元)，例如：宫保鸡丁 1 38"))
        items.setMaximumHeight(90)
        self._add(lay, "items", self.tr("商品"), items)
        self._add(lay, "note", self.tr("备注"), QLineEdit(self))
        mode = QComboBox(self)
        mode.addItems(["manual", "auto"])
        self._add(lay, "dispatch", self.tr("派单方式"), mode)
        self.error = QLabel(self)
        self.error.setObjectName("manualOrderError")
        self.error.setStyleSheet("color: #cf222e")
        lay.addRow(self.error)
        bb = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        bb.accepted.connect(lambda: spawn(self.submit(), "manual order"))
        bb.rejected.connect(self.reject)
        lay.addRow(bb)

    def _coord(self, value: float, bound: float) -> QDoubleSpinBox:
        w = QDoubleSpinBox(self)
        w.setRange(-bound, bound)
        w.setDecimals(6)
        w.setValue(value)
        return w

    def _add(self, lay: QFormLayout, key: str, label: str, w: QWidget) -> None:
        w.setObjectName(key)
        self.fields[key] = w
        lay.addRow(label, w)

    def _text(self, key: str) -> str:
        w = self.fields[key]
        return w.toPlainText() if isinstance(w, QPlainTextEdit) else w.text().strip()  # type: ignore[attr-defined]

    def payload(self) -> dict:
        items = parse_items(self._text("items"))
        now = datetime.now(UTC).replace(microsecond=0)
        return {
            "pos_order_id": f"TEL-{now:%Y%m%d%H%M%S}-{self.seq:03d}",
            "created_at": now.isoformat(),
            "channel": "phone",
            "pickup_no": f"T{self.seq:02d}",
            "total_fen": sum(i["qty"] * i["price_fen"] for i in items),
            "items": items,
            "note": self._text("note"),
            "dispatch": self.fields["dispatch"].currentText(),  # type: ignore[attr-defined]
            "customer": {
                "name": self._text("customer.name"),
                "phone": self._text("customer.phone"),
                "address": self._text("customer.address"),
                "lat": self.fields["customer.lat"].value(),  # type: ignore[attr-defined]
                "lng": self.fields["customer.lng"].value(),  # type: ignore[attr-defined]
                "coord_system": "gcj02",
            },
        }

    async def submit(self) -> bool:
        from app.core.service import OrderValidationError

        try:
            out = await self.service.submit_order_payload(self.payload(), source="manual")
        except OrderValidationError as e:
            self.error.setText(f"{e.field or ''}: {e.message}")
            w = self.fields.get(e.field or "")
            if w is not None:
                w.setFocus()
            return False
        except ValueError as e:
            self.error.setText(str(e))
            return False
        self.result_order = out.order
        self.accept()
        return True
