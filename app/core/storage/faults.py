"""Storage faults: a full disk, a read-only or a locked database.

``classify`` names the fault behind a database exception (SQLite's ``SQLITE_FULL``,
``SQLITE_READONLY``, ``SQLITE_BUSY``/``SQLITE_LOCKED``, ``SQLITE_IOERR``; PostgreSQL's
SQLSTATE 53100 / 25006 / 55P03). ``StorageWatch`` keeps the current fault: it tells the
counter once when trouble starts (an alert and a ``StorageStateChanged``) and once when
a write succeeds again, and it logs a fault at most once a minute, never per request.

The POS API answers such a request ``503`` with ``storage_full`` / ``storage_readonly`` /
``storage_busy`` and ``Retry-After``: nothing of it was committed (an order is
acknowledged only after its commit), so the POS sends the same order again later.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.events import (
    AlertCleared,
    AlertKind,
    AlertRaised,
    EventBus,
    Severity,
    StorageStateChanged,
)
from app.core.faults import RETRY_AFTER_S, FaultKind, StorageFault, classify

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger(__name__)

__all__ = [
    "BUSY_TIMEOUT_S",
    "RETRY_AFTER_S",
    "FaultKind",
    "RateLimitedLog",
    "StorageFault",
    "StorageLogFilter",
    "StorageWatch",
    "classify",
    "sqlite_probe",
]


#: SQLite waits this long for another writer's lock before it gives up (``busy_timeout``):
#: well under a POS's usual 10 s timeout, so the POS hears 503 + Retry-After in time
BUSY_TIMEOUT_S = 3.0
#: how often a lasting fault is written to the log (the first time at once)
LOG_EVERY_S = 60.0
#: while a fault lasts, this often the database is probed (without POS traffic the
#: banner would otherwise stay until the next order)
PROBE_EVERY_S = 10.0
#: a full disk counts as freed once the database's folder has this much free space
PROBE_FREE_BYTES = 16 * 1024 * 1024


class RateLimitedLog:
    """Logs one message per key at most once per ``every_s`` (and says how many it held
    back); the first at once."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        every_s: float = LOG_EVERY_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger, self.every_s, self.monotonic = logger, every_s, monotonic
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> tuple[bool, int]:
        """(may it be written now, how many were held back since the last one)."""
        now = self.monotonic()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.every_s:
                self._held[key] = self._held.get(key, 0) + 1
                return False, 0
            self._last[key] = now
            return True, self._held.pop(key, 0)

    def log(self, key: str, level: int, msg: str, *args: object) -> bool:
        """True when it was written."""
        ok, held = self.allow(key)
        if not ok:
            return False
        if held:
            msg += " (%d more like it in the last %d s)"
            args = (*args, held, int(self.every_s))
        self.logger.log(level, msg, *args)
        return True

    def reset(self, key: str) -> None:
        with self._lock:
            self._last.pop(key, None)
            self._held.pop(key, None)


class StorageLogFilter(logging.Filter):
    """On the log handlers: a record whose exception is a storage fault (any logger, any
    background loop that logs its failures) passes once a minute per logger and fault,
    the next one saying how many were held back. The same decision for every handler."""

    def __init__(
        self, *, every_s: float = LOG_EVERY_S, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self._limit = RateLimitedLog(log, every_s=every_s, monotonic=monotonic)

    def filter(self, record: logging.LogRecord) -> bool:
        decided = getattr(record, "_jupei_storage_pass", None)
        if isinstance(decided, bool):
            return decided
        passed = True
        exc = record.exc_info[1] if record.exc_info else None
        fault = classify(exc) if exc is not None else None
        if fault is not None:
            passed, held = self._limit.allow(f"{record.name}:{fault.kind}")
            if passed and held:
                record.msg = f"{record.getMessage()} ({held} more like it in the last {int(self._limit.every_s)} s)"
                record.args = None
        record._jupei_storage_pass = passed
        return passed


Probe = Callable[[FaultKind], bool]


def sqlite_probe(
    engine: Engine,
    *,
    free_bytes: int = PROBE_FREE_BYTES,
    disk_free: Callable[[Path], int] = lambda p: shutil.disk_usage(p).free,
) -> Probe:
    """``probe(kind) -> True`` when a SQLite database takes writes again: the folder has
    ``free_bytes`` free (after a full disk), and a write transaction can be begun and a
    table created, then rolled back (nothing is stored; a lock or a read-only file fails
    it). Runs on a worker thread; waits at most the busy timeout."""

    def probe(kind: FaultKind) -> bool:
        path = engine.url.database or ""
        if kind == "full" and path and path != ":memory:":
            folder = Path(path.removeprefix("file:").split("?", 1)[0]).resolve().parent
            if disk_free(folder) < free_bytes:
                return False
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            try:
                cur.execute("BEGIN IMMEDIATE")
                cur.execute("CREATE TABLE _jupei_write_probe (x)")
            finally:
                raw.rollback()
                cur.close()
        except Exception as e:
            if classify(e) is None:
                raise
            return False
        finally:
            raw.close()
        return True

    return probe


class StorageWatch:
    """The database's current fault, told once per episode. Call ``failed`` and ``ok``
    on the core's loop (they publish on the bus). With a ``probe``, a lasting fault is
    re-checked every ``probe_every_s`` so the counter recovers without POS traffic."""

    def __init__(
        self,
        bus: EventBus | None = None,
        *,
        probe: Probe | None = None,
        probe_every_s: float = PROBE_EVERY_S,
        monotonic: Callable[[], float] = time.monotonic,
        log_every_s: float = LOG_EVERY_S,
    ) -> None:
        self.bus = bus
        self.fault: StorageFault | None = None
        self.probe, self.probe_every_s = probe, probe_every_s
        self._probing: asyncio.Task[None] | None = None
        self._log = RateLimitedLog(log, every_s=log_every_s, monotonic=monotonic)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._watched: list[Engine] = []

    def watch_engine(self, engine: Engine) -> None:
        """Every storage fault on ``engine`` (a cashier's action, a background loop), not
        only the POS API's, raises the banner: SQLAlchemy's ``handle_error`` hands it to
        the loop given to ``start``. Idempotent."""
        if engine in self._watched:
            return
        from sqlalchemy import event

        event.listen(engine, "handle_error", self._on_engine_error)
        self._watched.append(engine)

    def start(self) -> None:
        """Take faults from any thread onto the running loop (see ``watch_engine``)."""
        self._loop = asyncio.get_running_loop()

    def _on_engine_error(self, ctx: Any) -> None:  # any thread
        fault = classify(ctx.original_exception)
        loop = self._loop
        if fault is None or loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self.failed, fault, "database")

    async def probe_once(self) -> bool:
        """Check the current fault with the probe; ``ok`` when it has passed."""
        fault = self.fault
        if fault is None or self.probe is None:
            return fault is None
        if not await asyncio.to_thread(self.probe, fault.kind):
            return False
        if self.fault is fault:  # not replaced by another fault meanwhile
            self.ok()
        return self.fault is None

    async def _probe_loop(self) -> None:
        while self.fault is not None:
            await asyncio.sleep(self.probe_every_s)
            try:
                await self.probe_once()
            except Exception:  # a bug in the probe: the next write still clears the fault
                log.exception("storage probe failed")
                return

    def _start_probing(self) -> None:
        if self.probe is None or (self._probing is not None and not self._probing.done()):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a sync caller): the next write clears the fault
            return
        self._probing = loop.create_task(self._probe_loop(), name="storage-probe")

    async def stop(self) -> None:
        self._loop = None
        task, self._probing = self._probing, None
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    def failed(self, fault: StorageFault, where: str) -> None:
        self._log.log(
            fault.kind,
            logging.ERROR,
            "storage fault (%s) at %s: %s; answering 503 %s until it passes",
            fault.kind,
            where,
            fault.detail,
            fault.code,
        )
        if self.fault is not None and self.fault.kind == fault.kind:
            return
        self.fault = fault
        self._start_probing()
        if self.bus is not None:
            self.bus.publish(StorageStateChanged(fault.kind, fault.detail))
            self.bus.publish(
                AlertRaised(
                    None, AlertKind.STORAGE, f"{fault.code}: {fault.detail}", Severity.CRITICAL
                )
            )

    def ok(self) -> None:
        """A write was committed: the fault (if any) has passed."""
        if self.fault is None:
            return
        was, self.fault = self.fault, None
        self._log.reset(was.kind)
        log.info("storage fault (%s) has passed: writes succeed again", was.kind)
        if self.bus is not None:
            self.bus.publish(StorageStateChanged("", ""))
            self.bus.publish(AlertCleared(None, AlertKind.STORAGE))
