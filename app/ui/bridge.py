"""The UI's only way into the core, and the way back out.

* ``ServiceProxy`` wraps ``AppService``: every coroutine method runs on the core's own
  loop (``app.core.runtime.CoreRuntime``, its own thread) via ``run_coroutine_threadsafe``
  and is awaited on the GUI's qasync loop with ``wrap_future``; sync methods run on the
  core thread too. Calls made before the core is built wait for it instead of failing.
* ``EventBridge`` turns core events (published on the core thread) into Qt signals
  delivered on the GUI thread through a queued connection.
* ``ThreadCheck`` records where each side ran, so a test can assert that the GUI thread
  never ran core code and no Qt signal was delivered off the GUI thread.
* ``async_slot``/``spawn``: the one wrapper for async UI handlers.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from app.core import events as ev
from app.core.faults import classify
from app.ui.proxy import THREADS, ServiceProxy, ThreadCheck

__all__ = ["THREADS", "EventBridge", "ServiceProxy", "ThreadCheck"]

log = logging.getLogger(__name__)

SLICE_S = 0.006  # GUI-thread time per batch of core events before timers and paints run

# a sink for user-visible errors (the main window's status bar); set by the main window
_error_sink: list[Callable[[str], None]] = []


def set_error_sink(sink: Callable[[str], None] | None) -> None:
    _error_sink.clear()
    if sink is not None:
        _error_sink.append(sink)


def report_error(text: str) -> None:
    for sink in _error_sink:
        try:
            sink(text)
        except RuntimeError:  # the widget is gone
            pass


class EventBridge(QObject):
    """One Qt signal per core event type; ``any_event`` carries every event.

    The bus calls ``_on_event`` on the thread that published. From the core thread events
    queue up and cross to the GUI thread in batches: one ``_relay`` wake-up (an explicitly
    queued connection, so it never depends on how a receiver was connected) per batch, not
    per event, because every hop costs the GUI thread a GIL hand-over. Rider positions
    are latest-wins per delivery, and a batch yields to the GUI every ``SLICE_S``. A bus
    on the GUI thread itself (the single-loop tests) is re-emitted directly, as before."""

    order_received = Signal(object)
    order_changed = Signal(object)
    quote_collected = Signal(object)
    quote_failed = Signal(object)
    quotes_completed = Signal(object)
    dispatch_decided = Signal(object)
    attempt_status_changed = Signal(object)
    rider_moved = Signal(object)
    alert_raised = Signal(object)
    alert_cleared = Signal(object)
    print_job_changed = Signal(object)
    settings_changed = Signal(object)
    connectivity_changed = Signal(object)
    source_order_arrived = Signal(object)
    source_order_updated = Signal(object)
    source_health_changed = Signal(object)
    sync_back_changed = Signal(object)
    storage_state_changed = Signal(object)
    any_event = Signal(object)
    _relay = Signal(object)

    _ROUTES: dict[type, str] = {
        ev.OrderReceived: "order_received",
        ev.OrderChanged: "order_changed",
        ev.QuoteCollected: "quote_collected",
        ev.QuoteFailed: "quote_failed",
        ev.QuotesCompleted: "quotes_completed",
        ev.DispatchDecided: "dispatch_decided",
        ev.AttemptStatusChanged: "attempt_status_changed",
        ev.RiderMoved: "rider_moved",
        ev.AlertRaised: "alert_raised",
        ev.AlertCleared: "alert_cleared",
        ev.PrintJobChanged: "print_job_changed",
        ev.SettingsChanged: "settings_changed",
        ev.ConnectivityChanged: "connectivity_changed",
        ev.SourceOrderArrived: "source_order_arrived",
        ev.SourceOrderUpdated: "source_order_updated",
        ev.SourceHealthChanged: "source_health_changed",
        ev.SyncBackChanged: "sync_back_changed",
        ev.StorageStateChanged: "storage_state_changed",
    }

    def __init__(
        self, service: Any, parent: QObject | None = None, *, check: ThreadCheck = THREADS
    ) -> None:
        """``service``: anything with ``subscribe_all`` (AppService, ServiceProxy)."""
        super().__init__(parent)
        self._check = check
        self._closed = False
        self._lock = threading.Lock()
        self._queue: deque[ev.Event | tuple[int, int]] = deque()
        self._riders: dict[tuple[int, int], ev.RiderMoved] = {}
        self._posted = False  # a wake-up is on its way to the GUI thread
        check.bind_gui()
        self._relay.connect(self._drain, Qt.ConnectionType.QueuedConnection)
        self._unsubscribe: Callable[[], None] | None = service.subscribe_all(self._on_event)

    def _on_event(self, event: ev.Event) -> None:
        if self._closed:
            return
        if self._check.on_gui_thread():
            self._check.bus_on_gui(event)
            self._deliver(event)
            return
        self._check.bus_event()
        with self._lock:
            if isinstance(event, ev.RiderMoved):
                # positions are latest-wins: a burst for one rider costs the GUI one update
                key = (event.order_id, event.attempt_id)
                pending = key in self._riders
                self._riders[key] = event
                if pending:
                    return
                self._queue.append(key)
            else:
                self._queue.append(event)
            wake, self._posted = not self._posted, True
        if wake:
            self._wake()

    def _wake(self) -> None:
        try:
            self._relay.emit(None)
        except RuntimeError:  # the window (and this bridge) is being destroyed
            self._closed = True

    def _drain(self, _: object = None) -> None:
        """Deliver queued events for at most ``SLICE_S``, then let the GUI's timers and
        paints run before the rest (a burst never blocks the GUI thread for long)."""
        end = time.perf_counter() + SLICE_S
        while True:
            with self._lock:
                if not self._queue:
                    self._posted = False
                    return
                item = self._queue.popleft()
                event = self._riders.pop(item) if isinstance(item, tuple) else item
            self._deliver(event)
            if time.perf_counter() > end:
                break
        self._wake()  # more left; ``_posted`` stays set

    def _deliver(self, event: ev.Event) -> None:
        self._check.slot(type(event).__name__)
        if self._closed:
            return
        name = self._ROUTES.get(type(event))
        if name is not None:
            getattr(self, name).emit(event)
        self.any_event.emit(event)

    def close(self) -> None:
        self._closed = True
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None


_tasks: set[asyncio.Task[Any]] = set()


def spawn(coro: Coroutine[Any, Any, Any], what: str = "") -> asyncio.Task[Any]:
    """Run a coroutine on the loop, keeping a reference; errors are logged and shown."""
    task = asyncio.ensure_future(coro)
    _tasks.add(task)
    task.add_done_callback(functools.partial(_done, what or getattr(coro, "__name__", "task")))
    return task


def _done(what: str, task: asyncio.Task[Any]) -> None:
    _tasks.discard(task)
    if task.cancelled():
        return
    exc = task.exception()
    if exc is None:
        return
    log.error("UI action %s failed: %s", what, exc, exc_info=exc)
    fault = classify(exc)
    if fault is not None:  # the cashier's words, not the driver's SQL
        from app.ui.labels import storage_fault_text

        report_error(storage_fault_text(fault.kind))
        return
    report_error(f"{what}: {exc}")


def async_slot(fn: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., asyncio.Task[Any]]:
    """Wrap an ``async def`` handler so Qt can call it: schedules a task, returns it.

    Errors are logged and shown in the status bar (never a blocking dialog); a
    cancelled task is ignored. Extra positional args Qt passes (e.g. ``checked``) are
    dropped when the coroutine does not take them."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> asyncio.Task[Any]:
        try:
            coro = fn(*args, **kwargs)
        except TypeError:
            coro = fn(*args[:1], **kwargs)  # bound method called with a Qt ``checked``
        return spawn(coro, fn.__name__)

    return wrapper
