"""``TicketPreview``: the ticket as it will print, for the order detail pane.

It shows the core's PNG (``PrintService.preview_png``: the same layout ops as the
printer) with a paper-width selector (58/80 mm) and a template selector. Construct with
the ``AppService`` (or the ``PrintService``) and call ``show_order(order_id)``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from app.ui.bridge import spawn


class TicketPreview(QWidget):
    rendered = Signal()  # a new image is shown

    def __init__(self, service, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ticketPreview")
        self.service = service
        self.order_id: int | None = None
        self.width_box = QComboBox(objectName="previewWidth")
        self.width_box.addItem(self.tr("80 毫米"), 80)
        self.width_box.addItem(self.tr("58 毫米"), 58)
        self.template_box = QComboBox(objectName="previewTemplate")
        self._fill_templates()
        self.image = QLabel(self.tr("选择订单后显示小票预览"), objectName="previewImage")
        self.image.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.image)
        bar = QHBoxLayout()
        bar.addWidget(QLabel(self.tr("纸宽")))
        bar.addWidget(self.width_box)
        bar.addWidget(QLabel(self.tr("模板")))
        bar.addWidget(self.template_box)
        bar.addStretch(1)
        box = QVBoxLayout(self)
        box.addLayout(bar)
        box.addWidget(scroll, 1)
        self.width_box.currentIndexChanged.connect(self._refresh)
        self.template_box.currentIndexChanged.connect(self._refresh)
        self.setWindowTitle(self.tr("小票预览"))

    def _fill_templates(self) -> None:
        names = self.service.template_names()
        default = self.service.default_template()
        for name in names:
            self.template_box.addItem(name, name)
        idx = self.template_box.findData(default)
        self.template_box.setCurrentIndex(max(idx, 0))

    @property
    def paper_width(self) -> int:
        return int(self.width_box.currentData())

    @property
    def template(self) -> str | None:
        return self.template_box.currentData()

    def _refresh(self, *_args) -> None:
        if self.order_id is not None:
            spawn(self.show_order(self.order_id), "ticket preview")

    async def show_order(self, order_id: int) -> None:
        """Render ``order_id`` with the selected width and template."""
        self.order_id = order_id
        png = await self.service.preview_png(
            order_id, width=self.paper_width, template=self.template
        )
        self.set_png(png)

    def set_png(self, png: bytes) -> None:
        pix = QPixmap()
        pix.loadFromData(png, "PNG")
        self.image.setPixmap(pix)
        self.rendered.emit()
