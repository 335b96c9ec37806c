"""Cyclic garbage is collected on the GUI thread, never on the core thread."""

from __future__ import annotations

import gc
import threading

import pytest

from app.ui.garbage import GuiThreadCollector, collect_if_due

pytestmark = pytest.mark.gui


class _Cycle:
    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        FREED_ON.append(threading.current_thread().name)


FREED_ON: list[str] = []


def test_collector_owns_collection_and_collects_on_its_thread(qtbot):
    was = gc.isenabled()  # the suite runs with automatic collection off (tests/conftest.py)
    gc.enable()
    collector = GuiThreadCollector(interval_ms=20)
    try:
        assert not gc.isenabled()
        FREED_ON.clear()

        def make_garbage() -> None:  # a "core thread" allocating far past gen-0 threshold
            for _ in range(5 * gc.get_threshold()[0]):
                _Cycle()

        t = threading.Thread(target=make_garbage, name="jupei-core")
        t.start()
        t.join()
        assert FREED_ON == []  # nothing was collected on the core thread
        qtbot.waitUntil(lambda: len(FREED_ON) > 0, timeout=5000)
        assert set(FREED_ON) == {threading.current_thread().name}
    finally:
        collector.stop()
    assert gc.isenabled()  # handed back to Python as it was found
    if not was:
        gc.disable()


def test_collect_if_due_follows_the_thresholds():
    gc.collect()
    assert collect_if_due((10**9, 10, 10)) == 0  # nothing due: nothing collected
    FREED_ON.clear()
    for _ in range(50):
        _Cycle()
    assert collect_if_due((0, 10**9, 10**9)) >= 50
    assert len(FREED_ON) == 50
