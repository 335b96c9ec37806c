"""The print worker: takes queued jobs from the durable table and sends them, one at a time.

Rules that keep a ticket from printing twice or getting lost:
* a job is claimed (queued -> printing, committed) before its first byte is sent and
  marked done right after; a job found ``printing`` at start-up is ``held`` ("interrupted");
* a failed send tries the printer's fallback chain, then retries a few times, then holds;
* jobs older than ``hold_after_min`` are held instead of pouring out after an outage;
* a network printer is asked for its real-time status before each job (``DLE EOT``): an
  offline or paper-out answer skips it, no answer (``unknown``) does not.
Printer health changes raise ``AlertRaised(kind="printer")`` / ``AlertCleared``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.config import PrinterSettings
from app.core.events import AlertCleared, AlertKind, AlertRaised, PrintJobChanged, Severity
from app.core.printing import layout, snapshot, templates
from app.core.printing.transports import (
    OFFLINE,
    ONLINE,
    PAPER_OUT,
    UNKNOWN,
    PrinterError,
    Ticket,
    probe_network,
)
from app.core.storage.print_repo import DONE, HELD, QUEUED, PrintJob, PrintRepo

if TYPE_CHECKING:  # the print service builds the queue: the name only, for the checker
    from app.core.printing.service import PrintDeps

log = logging.getLogger(__name__)
DOWN = (OFFLINE, PAPER_OUT)
_WORDS = {OFFLINE: "离线", PAPER_OUT: "缺纸"}


@dataclass(frozen=True, slots=True)
class PrinterState:
    name: str
    kind: str
    state: str  # online | offline | paper_out | unknown
    detail: str = ""
    since: datetime | None = None


@dataclass
class QueueOptions:
    hold_after_min: float = 10.0  # a job older than this waits for a human
    retry_s: float = 5.0
    max_rounds: int = 3  # rounds over the fallback chain before a job is held
    probe_timeout: float = 0.4
    probe_interval_s: float = 15.0  # how often a down network printer is re-probed


class PrintQueue:
    def __init__(
        self,
        service: PrintDeps,
        repo: PrintRepo,
        transports: dict[str, Any],
        options: QueueOptions,
    ) -> None:
        self.svc = service
        self.repo = repo
        self.transports = transports
        self.opt = options
        self.health: dict[str, PrinterState] = {}
        self._q: asyncio.Queue[str] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._timers: list[asyncio.TimerHandle] = []
        self._rounds: dict[str, int] = {}
        self.template_dirs: tuple[Path, ...] | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        now = self.svc.clock.now()
        run = self.svc.db.run
        n = await run(self.repo.hold_all, "printing", "interrupted", now)
        cutoff = now - timedelta(minutes=self.opt.hold_after_min)
        n += await run(self.repo.hold_older_than, cutoff, "stale", now)
        if n:
            log.info("%d print job(s) held at start-up for a human decision", n)
        for job in await run(self.repo.in_state, QUEUED):
            self.enqueue(job.id)
        self._tasks = [
            asyncio.create_task(self._worker(), name="print-worker"),
            asyncio.create_task(self._prober(), name="print-prober"),
        ]

    async def stop(self) -> None:
        for h in self._timers:
            h.cancel()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def enqueue(self, job_id: str) -> None:
        self._q.put_nowait(job_id)

    async def idle(self) -> None:
        """Wait until every enqueued job has been handled (tests, shutdown)."""
        await self._q.join()

    # ------------------------------------------------------------------ health
    def printers(self) -> dict[str, PrinterSettings]:
        return {p.name: p for p in self.svc.settings.printing.printers}

    def is_down(self, name: str) -> bool:
        st = self.health.get(name)
        return st is not None and st.state in DOWN

    def chain(self, name: str) -> list[PrinterSettings]:
        """The printer and its fallbacks, in order, without loops."""
        printers, out = self.printers(), list[PrinterSettings]()
        while name in printers and all(p.name != name for p in out) and len(out) < 4:
            out.append(printers[name])
            name = printers[name].fallback
        return out

    def all_down(self, name: str) -> bool:
        chain = self.chain(name)
        return bool(chain) and all(self.is_down(p.name) for p in chain)

    def mark(self, printer: PrinterSettings, state: str, detail: str = "") -> None:
        was_down = self.is_down(printer.name)
        prev = self.health.get(printer.name)
        since = prev.since if prev is not None and prev.state == state else self.svc.clock.now()
        self.health[printer.name] = PrinterState(printer.name, printer.kind, state, detail, since)
        if state in DOWN and not was_down:
            msg = f"打印机「{printer.name}」{_WORDS[state]}：{detail}".rstrip("：")
            log.warning("printer %s is %s: %s", printer.name, state, detail)
            self.svc.bus.publish(AlertRaised(None, AlertKind.PRINTER, msg, Severity.CRITICAL))
        elif state == ONLINE and was_down:
            log.info("printer %s is back online", printer.name)
            self.svc.bus.publish(AlertCleared(None, AlertKind.PRINTER))

    async def probe(self, printer: PrinterSettings) -> str:
        if printer.kind != "network" or not printer.host:
            return UNKNOWN
        return await asyncio.to_thread(
            probe_network, printer.host, printer.port, self.opt.probe_timeout
        )

    async def _prober(self) -> None:
        while True:
            await asyncio.sleep(self.opt.probe_interval_s)
            for p in self.printers().values():
                if self.is_down(p.name) and p.kind == "network":
                    state = await self.probe(p)
                    if state == ONLINE:
                        self.mark(p, ONLINE)

    # ------------------------------------------------------------------ work
    async def _worker(self) -> None:
        while True:
            job_id = await self._q.get()
            try:
                await self._process(job_id)
            except Exception:
                log.exception("print job %s failed unexpectedly", job_id)
            finally:
                self._q.task_done()

    def _publish(self, job: PrintJob, state: str, detail: str = "") -> None:
        self.svc.bus.publish(PrintJobChanged(job.id, job.order_id, state, detail))

    async def _hold(self, job: PrintJob, why: str) -> None:
        if await self.svc.db.run(self.repo.hold, job.id, why, self.svc.clock.now()):
            self._publish(job, HELD, why)

    async def _process(self, job_id: str) -> None:
        job = await self.svc.db.run(self.repo.get, job_id)
        if job is None or job.state != QUEUED:
            return  # done, held, discarded or claimed already: never a second ticket
        age = self.svc.clock.now() - job.created_at
        if age > timedelta(minutes=self.opt.hold_after_min):
            return await self._hold(job, "stale")
        chain = self.chain(job.printer)
        if not chain:
            return await self._hold(job, f"no printer named {job.printer!r}")
        errors = []
        for printer in chain:
            err = await self._try(job, printer)
            if err is None:
                self._rounds.pop(job.id, None)
                return
            errors.append(f"{printer.name}: {err}")
        await self._after_failure(job, "; ".join(errors))

    async def _after_failure(self, job: PrintJob, error: str) -> None:
        rounds = self._rounds.get(job.id, 0) + 1
        self._rounds[job.id] = rounds
        if rounds >= self.opt.max_rounds:
            self._rounds.pop(job.id, None)
            return await self._hold(job, error)
        self._publish(job, QUEUED, error)
        loop = asyncio.get_running_loop()
        self._timers.append(loop.call_later(self.opt.retry_s, self.enqueue, job.id))

    def _ticket(self, job: PrintJob, printer: PrinterSettings) -> Ticket:
        data = snapshot.loads(job.payload or b"{}")
        tmpl = templates.load(job.template, self.template_dirs)
        return Ticket(layout.build(data, tmpl, printer.width), printer.width)

    async def _try(self, job: PrintJob, printer: PrinterSettings) -> str | None:
        """Send ``job`` to ``printer``; None when it printed, else why not."""
        fn: Callable[..., None] | None = self.transports.get(printer.kind)
        if fn is None:
            return f"no transport for {printer.kind!r}"
        state = await self.probe(printer)
        if state in DOWN:
            self.mark(printer, state, "printer reports it")
            return _WORDS[state]
        ticket = await asyncio.to_thread(self._ticket, job, printer)
        run, now = self.svc.db.run, self.svc.clock.now
        if not await run(self.repo.claim, job.id, printer.name, now()):
            return None  # someone else (a release, a second worker) has it
        self._publish(job, "printing", printer.name)
        try:
            await asyncio.to_thread(fn, printer, ticket, copies=job.copies, job_id=job.id)
        except Exception as e:
            err = str(e) if isinstance(e, PrinterError) else f"{type(e).__name__}: {e}"
            await run(self.repo.requeue, job.id, err, now())
            self.mark(printer, OFFLINE, err)
            return err
        await run(self.repo.finish, job.id, now())
        self.mark(printer, ONLINE)
        self._publish(job, DONE, printer.name)
        return None
