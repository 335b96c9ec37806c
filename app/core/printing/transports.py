"""Printer transports (blocking; the service calls them through ``asyncio.to_thread``).

A transport is ``fn(printer: PrinterSettings, ticket: Ticket, *, copies, job_id)`` and
raises ``PrinterError`` when the ticket did not reach the printer. ESC/POS printers
(network raw TCP 9100, USB, serial) get bytes through python-escpos' printer classes;
``pdf`` renders the image with Pillow; ``dummy`` keeps the bytes in memory (rehearsal,
tests); ``system`` (the OS printer via QtPrintSupport) is registered by the GUI.

``probe_network`` asks a network printer for its real-time status (``DLE EOT 1`` and
``DLE EOT 4``); no answer is ``unknown``, not offline.
"""

from __future__ import annotations

import logging
import re
import socket
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from PIL import Image

from app.core.config import PrinterSettings
from app.core.printing import escpos, render
from app.core.printing.layout import Op

log = logging.getLogger(__name__)

ONLINE, OFFLINE, PAPER_OUT, UNKNOWN = "online", "offline", "paper_out", "unknown"


class PrinterError(Exception):
    """The ticket did not reach the printer (refused, timed out, device missing)."""


@dataclass
class Ticket:
    """One laid-out ticket for one printer width, rendered on demand per transport."""

    ops: list[Op]
    width: int

    def escpos(self, encoding: str, copies: int = 1) -> bytes:
        return escpos.to_bytes(self.ops, encoding, copies)

    @cached_property
    def image(self) -> Image.Image:
        return render.render(self.ops, self.width)


Transport = Callable[..., None]


def _quiet(factory: Callable[[], object]) -> object:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*media.width.*")
        return factory()


def _send_with(device: Any, data: bytes) -> None:  # an escpos printer (untyped library)
    try:
        device.open()
        device._raw(data)
    except Exception as e:  # escpos raises its own tree plus OSError/usb errors
        raise PrinterError(f"{type(e).__name__}: {e}") from e
    finally:
        try:
            device.close()
        except Exception:
            log.debug("closing printer failed", exc_info=True)


def send_network(
    printer: PrinterSettings, ticket: Ticket, *, copies: int, job_id: str, timeout: float = 5.0
) -> None:
    from escpos.printer import Network

    if not printer.host:
        raise PrinterError("no host configured")
    dev = _quiet(lambda: Network(printer.host, printer.port, timeout=timeout))
    _send_with(dev, ticket.escpos(printer.encoding, copies))


def send_usb(printer: PrinterSettings, ticket: Ticket, *, copies: int, job_id: str) -> None:
    from escpos.printer import Usb

    if printer.usb_vendor is None or printer.usb_product is None:
        raise PrinterError("no USB vendor/product id configured")
    dev = _quiet(lambda: Usb(printer.usb_vendor, printer.usb_product))
    _send_with(dev, ticket.escpos(printer.encoding, copies))


def send_serial(printer: PrinterSettings, ticket: Ticket, *, copies: int, job_id: str) -> None:
    from escpos.printer import Serial

    if not printer.serial_port:
        raise PrinterError("no serial port configured")
    dev = _quiet(lambda: Serial(printer.serial_port, baudrate=printer.baudrate, timeout=5))
    _send_with(dev, ticket.escpos(printer.encoding, copies))


def pdf_path(directory: Path, job_id: str) -> Path:
    return directory / (re.sub(r"[^A-Za-z0-9_.-]", "_", job_id) + ".pdf")


def make_pdf_transport(default_dir: Callable[[], Path]) -> Transport:
    def send_pdf(printer: PrinterSettings, ticket: Ticket, *, copies: int, job_id: str) -> None:
        directory = Path(printer.pdf_dir) if printer.pdf_dir else default_dir()
        try:
            render.save_pdf(ticket.image, pdf_path(directory, job_id))
        except OSError as e:
            raise PrinterError(f"cannot write PDF: {e}") from e

    return send_pdf


def make_dummy_transport(sink: dict[str, list[bytes]]) -> Transport:
    def send_dummy(printer: PrinterSettings, ticket: Ticket, *, copies: int, job_id: str) -> None:
        sink.setdefault(printer.name, []).append(ticket.escpos(printer.encoding, copies))

    return send_dummy


# ---------------------------------------------------------------------------- status
def _status_byte(sock: socket.socket, n: int) -> int | None:
    sock.sendall(b"\x10\x04" + bytes([n]))
    try:
        b = sock.recv(1)
    except TimeoutError:
        return None
    # bits 1 and 4 are fixed to 1, bits 0 and 7 to 0 in every DLE EOT answer
    return b[0] if b and (b[0] & 0x93) == 0x12 else None


def probe_network(host: str, port: int, timeout: float = 0.5) -> str:
    """``online`` / ``offline`` / ``paper_out`` / ``unknown`` (no or odd answer).
    A refused or unreachable connection is ``offline``: nothing would print."""
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError:
        return OFFLINE
    try:
        sock.settimeout(timeout)
        printer = _status_byte(sock, 1)
        if printer is None:
            return UNKNOWN
        paper = _status_byte(sock, 4)
    except OSError:
        return UNKNOWN
    finally:
        sock.close()
    if paper is not None and paper & 0x60:
        return PAPER_OUT
    return OFFLINE if printer & 0x08 else ONLINE
