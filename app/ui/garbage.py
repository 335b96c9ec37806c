"""Python's cyclic garbage collector runs on the GUI thread only.

With the core on its own thread, an automatic collection may start on whichever thread
happens to allocate when the counts overflow — often the core thread — and free Qt
wrappers (timers, widgets, models) that belong to the GUI thread. Qt then warns "Timers
cannot be stopped from another thread" or crashes. As Anki does, automatic collection is
switched off while the GUI runs and a GUI-thread timer collects when the generation
counts say a collection is due, with the interpreter's own thresholds."""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_EVERY_MS = 500


def collect_if_due(thresholds: tuple[int, int, int]) -> int:
    """What the automatic collector would have done by now, on the calling thread."""
    c0, c1, c2 = gc.get_count()
    t0, t1, t2 = thresholds
    freed = 0
    if c0 > t0:
        freed += gc.collect(0)
        if c1 > t1:
            freed += gc.collect(1)
            if c2 > t2:
                freed += gc.collect(2)
    return freed


class GuiThreadCollector(QObject):
    """Owns garbage collection while it lives; ``stop()`` hands it back to Python."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = CHECK_EVERY_MS):
        super().__init__(parent)
        self._thresholds: tuple[int, int, int] = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def check(self) -> int:
        return collect_if_due(self._thresholds)

    def stop(self) -> None:
        self._timer.stop()
        gc.collect()  # on the GUI thread, while it still owns its objects
        if self._was_enabled:
            gc.enable()
