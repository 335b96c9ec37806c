"""``ServiceProxy``: the GUI thread's handle on ``AppService``, which lives on the core thread.

Generic on purpose: it wraps whatever the service offers, so new service operations are
marshalled without touching this file.

* coroutine methods -> run on the core loop (``run_coroutine_threadsafe``), awaited on the
  caller's loop (``wrap_future``); cancelling the await cancels the core task;
* sync methods -> run on the core thread as well (the caller's thread waits for the
  result, so call them from a worker, ``asyncio.to_thread``, when they may block);
  ``PURE`` names are plain computations over values and run where they are called;
* components (dispatcher, printing, reports, gateway …) -> wrapped the same way;
* ``subscribe_all`` (events) -> subscribed on the core thread once the core exists;
* values (settings, dataclasses, numbers, strings) -> returned as they are: the core
  replaces them, it does not mutate them in place.

Before the core is built the proxy answers ``settings``/``clock``/``rehearsal`` from what
the GUI loaded itself, and any call waits for the core instead of failing."""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import enum
import inspect
import logging
import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import PurePath
from typing import Any

from app.core.clock import SystemClock
from app.core.runtime import CoreRuntime

log = logging.getLogger(__name__)

# sync methods that only compute over values (no I/O, no core state beyond settings/clock)
PURE = frozenset({"board_row", "now", "monotonic", "ids"})
_VALUES = (str, bytes, int, float, bool, type(None), enum.Enum, datetime, date, timedelta,
           PurePath, tuple, list, dict, set, frozenset)  # fmt: skip


class ThreadCheck:
    """Where core calls, core events and Qt deliveries ran. ``violations`` lists every
    time core code ran on the GUI thread or a Qt delivery ran off it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.gui_ident: int | None = None
        self.core_calls = 0
        self.core_events = 0
        self.slots = 0
        self.violations: list[str] = []

    def reset(self) -> None:
        with self._lock:
            self.gui_ident = threading.get_ident()
            self.core_calls = self.core_events = self.slots = 0
            self.violations.clear()

    def bind_gui(self) -> None:
        if self.gui_ident is None:
            self.gui_ident = threading.get_ident()

    def on_gui_thread(self) -> bool:
        return threading.get_ident() == self.gui_ident

    def _violation(self, text: str) -> None:
        with self._lock:  # bounded: single-loop test sessions publish on the GUI thread
            if len(self.violations) < 1000:
                self.violations.append(f"{text} (thread {threading.current_thread().name})")

    def core_call(self, name: str, runtime: CoreRuntime) -> None:
        if not runtime.in_core_thread():
            self._violation(f"core call {name} ran off the core thread")
        with self._lock:
            self.core_calls += 1

    def bus_event(self) -> None:
        with self._lock:
            self.core_events += 1

    def bus_on_gui(self, event: object) -> None:
        """A core event published on the GUI thread: core code ran there. Expected only
        in single-loop tests that build the core on the GUI loop."""
        self._violation(f"{type(event).__name__} published on the GUI thread")

    def slot(self, what: str) -> None:
        if not self.on_gui_thread():
            self._violation(f"Qt delivery of {what} off the GUI thread")
        with self._lock:
            self.slots += 1


THREADS = ThreadCheck()


def _is_value(v: object) -> bool:
    return (
        isinstance(v, _VALUES)
        or dataclasses.is_dataclass(v)
        or hasattr(type(v), "model_fields")  # pydantic models (settings)
    )


class _Marshal:
    """Marshals one core object's methods to the core thread (see the module doc)."""

    def __init__(self, target: object, runtime: CoreRuntime, check: ThreadCheck, path: str):
        self._target, self._runtime, self._check, self._path = target, runtime, check, path

    def __getattr__(self, name: str) -> Any:
        return _wrap(
            getattr(self._target, name), self._runtime, self._check, f"{self._path}.{name}"
        )

    def __repr__(self) -> str:
        return f"<marshalled {self._path}: {self._target!r}>"


def _wrap(value: Any, runtime: CoreRuntime, check: ThreadCheck, path: str) -> Any:
    name = path.rsplit(".", 1)[-1]
    if inspect.iscoroutinefunction(value):
        return _async_call(value, runtime, check, path)
    if callable(value) and not isinstance(value, type):
        return value if name in PURE else _sync_call(value, runtime, check, path)
    if _is_value(value):
        return value
    return _Marshal(value, runtime, check, path)


def _async_call(
    fn: Callable[..., Any], runtime: CoreRuntime, check: ThreadCheck, path: str
) -> Callable[..., Any]:
    async def on_core(*args: Any, **kwargs: Any) -> Any:
        check.core_call(path, runtime)
        return await fn(*args, **kwargs)

    async def call(*args: Any, **kwargs: Any) -> Any:
        return await runtime.run(on_core(*args, **kwargs))

    call.__name__ = call.__qualname__ = path
    return call


def _sync_call(
    fn: Callable[..., Any], runtime: CoreRuntime, check: ThreadCheck, path: str
) -> Callable[..., Any]:
    def on_core(*args: Any, **kwargs: Any) -> Any:
        check.core_call(path, runtime)
        return fn(*args, **kwargs)

    def call(*args: Any, **kwargs: Any) -> Any:
        if runtime.in_core_thread():
            return on_core(*args, **kwargs)
        return runtime.call(on_core, *args, **kwargs).result()

    call.__name__ = call.__qualname__ = path
    return call


class ServiceProxy:
    """The GUI's ``AppService`` (see the module doc). ``attach`` it once the core is built."""

    def __init__(
        self, runtime: CoreRuntime, *, settings: Any, check: ThreadCheck = THREADS
    ) -> None:
        self._runtime, self._check = runtime, check
        self._target: Any = None
        self._ready: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._early: dict[str, Any] = {
            "settings": settings,
            "clock": SystemClock(),
            "rehearsal": settings.rehearsal.mode == "on",
            "secret_problem": "",
        }
        self._events = _DeferredSubscriptions(self)
        check.bind_gui()

    # ----------------------------------------------------------------- readiness
    def attach(self, service: Any) -> None:
        """The core is built (on the core thread): calls go to it from now on."""
        self._target = service
        self._ready.set_result(service)

    def fail(self, exc: BaseException) -> None:
        """The core could not be built: waiting calls raise this instead of hanging."""
        if not self._ready.done():
            self._ready.set_exception(exc)

    @property
    def ready(self) -> bool:
        return self._ready.done() and self._ready.exception() is None

    @property
    def runtime(self) -> CoreRuntime:
        return self._runtime

    async def wait_ready(self) -> None:
        await asyncio.wrap_future(self._ready)

    def subscribe_all(self, handler: Callable[[Any], None]) -> Callable[[], None]:
        """``AppService.subscribe_all`` for the event bridge: subscribes on the core thread
        once the core exists; ``handler`` runs on the core thread (the bridge hops)."""
        return self._events.subscribe_all(handler)

    # ----------------------------------------------------------------- access
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        target = self._target
        if target is None:
            if name in self._early:
                return self._early[name]
            return _Pending(self, name)
        return _wrap(getattr(target, name), self._runtime, self._check, name)


class _Pending:
    """An attribute asked for before the core exists: calling it (or a method under it)
    gives a coroutine that waits for the core, then makes the call on the core thread."""

    def __init__(self, proxy: ServiceProxy, path: str) -> None:
        self._proxy, self._path = proxy, path

    def __getattr__(self, name: str) -> _Pending:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Pending(self._proxy, f"{self._path}.{name}")

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        await self._proxy.wait_ready()
        obj: Any = self._proxy
        for part in self._path.split("."):
            obj = getattr(obj, part)
        out = obj(*args, **kwargs)
        return await out if inspect.isawaitable(out) else out


class _DeferredSubscriptions:
    """``subscribe_all`` for the proxy: subscriptions reach the core's event bus on the core
    thread (its handler lists are not locked), once the core exists."""

    def __init__(self, proxy: ServiceProxy) -> None:
        self._proxy = proxy

    def subscribe_all(self, handler: Callable[[Any], None]) -> Callable[[], None]:
        proxy = self._proxy
        state: dict[str, Any] = {"unsub": None, "cancelled": False}

        def on_core() -> None:
            if not state["cancelled"]:
                state["unsub"] = proxy._target.subscribe_all(handler)

        def when_ready(_f: concurrent.futures.Future[Any]) -> None:
            if proxy.ready:
                proxy.runtime.call(on_core)

        proxy._ready.add_done_callback(when_ready)

        def unsubscribe() -> None:
            def off() -> None:
                state["cancelled"] = True
                if state["unsub"] is not None:
                    state["unsub"]()
                    state["unsub"] = None

            try:
                proxy.runtime.call(off)
            except RuntimeError:  # the core loop has already ended
                state["cancelled"] = True

        return unsubscribe


def marshal(obj: Any, runtime: CoreRuntime, path: str, check: ThreadCheck = THREADS) -> Any:
    """``obj`` (a core object) with its methods marshalled to the core thread."""
    return None if obj is None else _wrap(obj, runtime, check, path)
