"""PySide6 refcount canary (stack notes §0/§3.4): 6.12.0 on CPython 3.11 leaks a
reference to None per void call and to True per Signal.emit, then aborts."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel

N = 200_000
pytestmark = pytest.mark.slow  # 200,000 calls: minutes on a busy machine; CI runs it


class _E(QObject):
    sig = Signal(int)


def test_void_call_and_emit_do_not_leak_singleton_refs(qapp):
    lbl, e = QLabel(), _E()
    e.sig.connect(lambda x: None)
    n0, t0 = sys.getrefcount(None), sys.getrefcount(True)
    for i in range(N):
        lbl.setText("x")
        e.sig.emit(i)
    assert abs(sys.getrefcount(None) - n0) < 50
    assert abs(sys.getrefcount(True) - t0) < 50
