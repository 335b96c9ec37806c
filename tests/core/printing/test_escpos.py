"""ESC/POS bytes: Chinese mode, our own encoding of every string, bold, size, QR, cut."""

from __future__ import annotations

import pytest

from app.core.printing import escpos, layout, templates
from app.core.printing.layout import QR, Cut, Text
from tests.fakes.printer import ticket


def test_yuan_and_comma_survive_without_han():
    data = escpos.to_bytes([Text("￥12.00"), Text("，。："), Cut()], "gb18030")
    assert data.startswith(b"\x1b@\x1c&")  # ESC @ then FS & (Chinese mode)
    assert "￥12.00\n".encode("gb18030") in data
    assert b"\xa3\xa4" + b"12.00" in data
    assert "，。：".encode("gb18030") in data
    assert b"?" not in data
    assert b"\x1bt" not in data  # no single-byte code page switch


def test_bold_size_qr_cut():
    ops = [Text("#A12", size=3, bold=True, align="center"), QR("https://x.cn/1", 6), Cut()]
    data = escpos.to_bytes(ops)
    assert b"\x1d!\x22" in data  # GS ! 0x22: triple width and height
    assert b"\x1bE\x01" in data  # ESC E 1
    assert b"\x1ba\x01" in data  # centred
    assert b"\x1d(k" in data and b"1P0https://x.cn/1" in data  # GS ( k store data
    assert b"\x1d(k\x03\x001Q0" in data  # print the symbol
    assert b"\x1dV" in data  # GS V cut
    assert data.rindex(b"\x1c.") < data.rindex(b"\x1dV")  # Chinese mode off before the cut


def test_utf8_and_gbk():
    u = escpos.to_bytes([Text("宫保鸡丁 ￥38.00")], "utf-8")
    assert u.startswith(b"\x1b@\x1c.") and "宫保鸡丁 ￥38.00".encode() in u
    g = escpos.to_bytes([Text("宫保鸡丁 ￥38.00")], "gbk")
    assert "宫保鸡丁 ￥38.00".encode("gbk") in g
    with pytest.raises(ValueError):
        escpos.to_bytes([], "latin-1")


def test_copies_repeat_the_ticket():
    ops = layout.build(ticket(), templates.load("compact"), 58)
    one = escpos.to_bytes(ops)
    assert escpos.to_bytes(ops, copies=2) == one * 2
    assert one.count(b"\x1dV") == 1
