"""Layout ops -> ESC/POS bytes for Chinese-mode thermal printers.

python-escpos only switches to GB18030 when a string holds a common Han character and
never sends Chinese mode, so ``￥12.00`` alone would print ``?``. We therefore send
``FS &`` (Chinese mode on) right after ``ESC @``, encode every string ourselves and write
it with ``_raw``; ``FS .`` (Chinese mode off) closes the ticket. For UTF-8 printers we
send ``FS .`` up front instead, so the printer does not read UTF-8 as GB double bytes.
Big text uses ``GS ! n`` (which scales hanzi too, unlike ``ESC !``), bold ``ESC E``,
the QR code is native (``GS ( k``) and the cut is ``GS V``.
"""

from __future__ import annotations

import warnings

from escpos.printer import Dummy

from app.core.printing.layout import QR, Cut, Feed, Op, Text

ESC_INIT = b"\x1b\x40"
FS_CHINESE_ON = b"\x1c\x26"
FS_CHINESE_OFF = b"\x1c\x2e"
ENCODINGS = ("gb18030", "gbk", "utf-8")


def _printer() -> Dummy:
    with warnings.catch_warnings():
        # python-escpos warns that the profile has no media width; we never centre images
        warnings.filterwarnings("ignore", message=".*media.width.*")
        return Dummy()


def _text(p: Dummy, op: Text, encoding: str) -> None:
    p.set(align=op.align, bold=op.bold, custom_size=True, width=op.size, height=op.size)
    p._raw(op.text.encode(encoding, errors="replace") + b"\n")


def _one_copy(p: Dummy, ops: list[Op], encoding: str) -> None:
    chinese = encoding != "utf-8"
    p._raw(ESC_INIT + (FS_CHINESE_ON if chinese else FS_CHINESE_OFF))
    for op in ops:
        if isinstance(op, Text):
            _text(p, op, encoding)
        elif isinstance(op, QR):
            p.set(align="center", bold=False, custom_size=True, width=1, height=1)
            p.qr(op.data, size=op.size, native=True)
            p._raw(b"\n")
        elif isinstance(op, Feed):
            p._raw(b"\n" * op.lines)
        elif isinstance(op, Cut):
            p.set(align="left", bold=False, custom_size=True, width=1, height=1)
            if chinese:
                p._raw(FS_CHINESE_OFF)
            p.cut()


def to_bytes(ops: list[Op], encoding: str = "gb18030", copies: int = 1) -> bytes:
    """The bytes for ``copies`` copies of the ticket, each starting with ``ESC @``."""
    if encoding not in ENCODINGS:
        raise ValueError(f"unsupported printer encoding {encoding!r}")
    p = _printer()
    for _ in range(max(copies, 1)):
        _one_copy(p, ops, encoding)
        if encoding != "utf-8" and not any(isinstance(o, Cut) for o in ops):
            p._raw(FS_CHINESE_OFF)
    return bytes(p.output)
