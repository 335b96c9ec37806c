"""The ``system`` print transport: the OS printer (Windows/macOS/CUPS driver) through
QtPrintSupport. The core never imports Qt, so the GUI registers this at start::

    from app.ui.printing_qt import register
    register(service)  # app/ui/app.py:start_core

The ticket is the core's rendered image (the same layout as the thermal path), painted
with ``QPainter`` onto a ``QPrinter`` page as wide as the roll (80 or 58 mm) and as long
as the ticket. Painting on a QPrinter is allowed outside the GUI thread, so the core can
call this through ``asyncio.to_thread`` like every other transport.
"""

from __future__ import annotations

import logging

from PIL import Image
from PySide6.QtCore import QMarginsF, QRectF, QSizeF
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from app.core.printing.transports import PrinterError, Ticket

log = logging.getLogger(__name__)


def to_qimage(img: Image.Image) -> QImage:
    """A Pillow image as a QImage that owns its pixels."""
    rgb = img.convert("RGB")
    data = rgb.tobytes("raw", "RGB")
    q = QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888)
    return q.copy()  # detach from ``data``


def system_printers() -> list[str]:
    """Installed OS printers, for the settings page."""
    return [p.printerName() for p in QPrinterInfo.availablePrinters()]


def _printer(name: str, width_mm: float, height_mm: float, output_pdf: str | None) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    if output_pdf:
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(output_pdf)
    elif name:
        printer.setPrinterName(name)
        if not printer.isValid():
            raise PrinterError(f"no OS printer named {name!r}")
    size = QPageSize(QSizeF(width_mm, height_mm), QPageSize.Unit.Millimeter, "JuPei ticket")
    printer.setPageSize(size)
    printer.setPageMargins(QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Millimeter)
    printer.setFullPage(True)
    return printer


def print_image(
    img: Image.Image,
    *,
    printer_name: str = "",
    width_mm: float = 80.0,
    copies: int = 1,
    doc_name: str = "JuPei",
    output_pdf: str | None = None,
) -> None:
    """Print ``img`` scaled to the roll width; ``output_pdf`` prints to a file instead."""
    height_mm = width_mm * img.height / img.width
    printer = _printer(printer_name, width_mm, height_mm, output_pdf)
    printer.setDocName(doc_name)
    printer.setCopyCount(max(copies, 1))
    painter = QPainter()
    if not painter.begin(printer):
        raise PrinterError(f"cannot start a print job on {printer_name or 'the default printer'}")
    try:
        page = printer.pageRect(QPrinter.Unit.DevicePixel)
        scale = page.width() / img.width
        target = QRectF(0, 0, page.width(), img.height * scale)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.drawImage(target, to_qimage(img))
    finally:
        painter.end()


def system_transport(printer, ticket: Ticket, *, copies: int, job_id: str) -> None:
    """The transport the core calls for printers of kind ``system``."""
    print_image(
        ticket.image,
        printer_name=printer.system_name,
        width_mm=float(printer.width),
        copies=copies,
        doc_name=f"JuPei {job_id}",
    )


def register(service) -> None:
    """Plug the OS printer into the core's printing (once, at GUI start)."""
    service.register_print_transport("system", system_transport)
