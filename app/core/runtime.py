"""The core's own thread and asyncio loop (ARCHITECTURE.md convention 9, Electrum's shape).

The GUI keeps its qasync loop for small UI coroutines; everything the core does — the
POS listener, dispatch, tracking, printing, the sandboxes, every SQLite connection — runs
on the loop this module starts on a thread of its own, so a busy core never stalls a
frame. Nothing here knows about Qt: ``serve`` and the hub may run the same core on the
main thread with ``asyncio.run`` as before, or on a ``CoreRuntime`` like the GUI does.

Other threads reach the loop only through ``submit``/``call`` (``run_coroutine_threadsafe``
under the hood) and ``await runtime.run(...)``, which wraps the concurrent future for the
caller's own loop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

THREAD_NAME = "jupei-core"

# With a busy core thread, every time the GUI thread re-takes the GIL (after each Qt call
# that releases it) it may wait a whole switch interval (5 ms by default): a convoy that
# measured p50 78 ms of GUI lag in P3. A shorter interval bounds each wait; the core pays
# a little throughput for it.
RESPONSIVE_SWITCH_INTERVAL_S = 0.0005


class CoreStopped(RuntimeError):
    """A call reached the core after its runtime stopped (e.g. a UI timer at shutdown)."""


class CoreRuntime:
    """Owns one thread running one asyncio loop until ``stop``."""

    def __init__(self, name: str = THREAD_NAME, *, switch_interval_s: float | None = None) -> None:
        """``switch_interval_s``: the process's GIL switch interval while the runtime runs
        (``RESPONSIVE_SWITCH_INTERVAL_S`` beside a GUI thread); None keeps Python's."""
        self._name = name
        self._switch = switch_interval_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._running = threading.Event()

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Start the thread and return once its loop is running."""
        if self._thread is not None:
            return
        if self._switch is not None:
            sys.setswitchinterval(self._switch)
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=False)
        self._thread.start()
        self._running.wait()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        loop.call_soon(self._running.set)
        try:
            loop.run_forever()
        finally:
            try:
                self._cancel_leftovers(loop)
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                asyncio.set_event_loop(None)
                loop.close()

    @staticmethod
    def _cancel_leftovers(loop: asyncio.AbstractEventLoop) -> None:
        """Tasks nobody stopped (a bug elsewhere) are cancelled, not leaked with the loop."""
        tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
        if not tasks:
            return
        log.info("core loop: cancelling %d leftover task(s)", len(tasks))
        for t in tasks:
            t.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the loop (after whatever it is running now) and join the thread. Stop the
        core itself first (``await runtime.run(core.stop())``): that is what finishes or
        persists in-flight work; this only ends the loop."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # already closed meanwhile
                loop.call_soon_threadsafe(loop.stop)
        if thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                log.warning("core thread did not end within %.1f s", timeout)
        self._thread = None

    # ----------------------------------------------------------------- access
    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("core runtime not started")
        return self._loop

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread

    def in_core_thread(self) -> bool:
        t = self._thread
        return t is not None and threading.current_thread() is t

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coro`` on the core loop from any thread; ``CoreStopped`` once the
        loop has ended (the coroutine is closed, not left un-awaited)."""
        loop = self._loop
        try:
            if loop is None or loop.is_closed() or self._thread is None:
                raise CoreStopped("the core runtime is not running")
            return asyncio.run_coroutine_threadsafe(coro, loop)
        except RuntimeError as e:
            coro.close()
            raise e if isinstance(e, CoreStopped) else CoreStopped(str(e)) from e

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> concurrent.futures.Future[T]:
        """Run a plain function on the core thread (between its tasks) from any thread."""

        async def _sync() -> T:
            return fn(*args, **kwargs)

        return self.submit(_sync())

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` run on the core loop, from another loop (e.g. the GUI's qasync)."""
        if self.in_core_thread():
            return await coro
        return await asyncio.wrap_future(self.submit(coro))
