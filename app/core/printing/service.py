"""PrintService: the printing surface the UI and the bootstrap call.

It turns orders into durable, idempotent print jobs (auto-print rules on ``OrderReceived``
and ``AttemptStatusChanged``, manual prints, explicit reprints), hands them to the
``PrintQueue`` worker, and renders previews with the same layout the printer gets.
Transports are a registry: ESC/POS network/USB/serial, PDF and dummy are built in; the
GUI registers ``system`` (QtPrintSupport) at start, since the core never imports Qt.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from app.core import paths
from app.core.clock import Clock
from app.core.config import PrinterSettings, PrintingSettings, Settings
from app.core.events import AttemptStatusChanged, EventBus, OrderReceived, PrintJobChanged
from app.core.printing import layout, render, snapshot, templates, transports
from app.core.printing.queue import PrinterState, PrintQueue, QueueOptions
from app.core.printing.transports import UNKNOWN, Transport
from app.core.storage.print_repo import HELD, QUEUED, PrintJob, PrintRepo
from app.core.storage.repos import Database
from app.core.tasks import Supervisor

if TYPE_CHECKING:
    from app.core.service import OrderDetail

log = logging.getLogger(__name__)
AUTO_RULES = {
    "pending_accept": ("on_dispatched", "dispatched"),
    "accepted": ("on_rider_accepted", "accepted"),
}


DetailFn = Callable[[int], Awaitable["OrderDetail | None"]]


@dataclass(frozen=True, slots=True)
class PrintDeps:
    """The narrow things printing uses; ``settings`` is read live, since saving the
    settings dialog replaces the whole ``Settings`` object."""

    db: Database
    bus: EventBus
    clock: Clock
    settings_of: Callable[[], Settings]
    order_detail: DetailFn

    @property
    def settings(self) -> Settings:
        return self.settings_of()


class PrintService:
    def __init__(
        self,
        deps: PrintDeps,
        *,
        repo: PrintRepo | None = None,
        template_dirs: tuple[Path, ...] | None = None,
        **options: Any,
    ) -> None:
        self.deps = deps
        self.db, self.bus, self.clock = deps.db, deps.bus, deps.clock
        self.repo = repo or PrintRepo(deps.db.engine)
        self.template_dirs = template_dirs
        self.dummy_output: dict[str, list[bytes]] = {}
        self.transports: dict[str, Transport] = {
            "network": transports.send_network,
            "usb": transports.send_usb,
            "serial": transports.send_serial,
            "pdf": transports.make_pdf_transport(lambda: paths.data_dir() / "tickets"),
            "dummy": transports.make_dummy_transport(self.dummy_output),
        }
        self.queue = PrintQueue(deps, self.repo, self.transports, QueueOptions(**options))
        self.queue.template_dirs = template_dirs
        self._tasks = Supervisor()
        self._unsubs: list[Callable[[], None]] = []

    # ------------------------------------------------------------------ lifecycle
    def register_transport(self, kind: str, fn: Transport) -> None:
        """``fn(printer, ticket, *, copies, job_id)``, blocking, raises ``PrinterError``."""
        self.transports[kind] = fn

    async def start(self) -> None:
        bus = self.bus
        self._unsubs = [
            bus.subscribe(OrderReceived, self._on_order),
            bus.subscribe(AttemptStatusChanged, self._on_attempt),
        ]
        await self.queue.start()

    async def stop(self) -> None:
        for unsub in self._unsubs:
            unsub()
        self._unsubs = []
        await self._tasks.drain(timeout=2.0)
        await self.queue.stop()

    # ------------------------------------------------------------------ rules
    @property
    def settings(self) -> PrintingSettings:
        return self.deps.settings.printing

    def _on_order(self, ev: OrderReceived) -> None:
        if self.settings.on_new_order:
            self._tasks.spawn(self.auto_print(ev.order_id, "new_order", 1), f"print-{ev.order_id}")

    def _on_attempt(self, ev: AttemptStatusChanged) -> None:
        rule = AUTO_RULES.get(ev.status)
        if rule and getattr(self.settings, rule[0]):
            self._tasks.spawn(
                self.auto_print(ev.order_id, rule[1], ev.attempt_id), f"print-{ev.order_id}"
            )

    async def auto_print(self, order_id: int, reason: str, n: int) -> list[PrintJob]:
        """One job per printer and template; the ids make a repeated event a no-op."""
        jobs = []
        for printer in self.settings.printers:
            for name in printer.templates:
                try:
                    jobs.append(await self._submit(order_id, printer, name, reason, n))
                except (templates.TemplateError, LookupError) as e:
                    log.error("cannot print order %s on %s: %s", order_id, printer.name, e)
        return jobs

    # ------------------------------------------------------------------ jobs
    def template_name(self, name: str | None) -> str:
        s = self.settings
        name = name or s.template
        return str({"receipt": s.template, "label": s.label_template}.get(name, name))

    def template_names(self) -> list[str]:
        return templates.available(self.template_dirs)

    def _printer(self, name: str | None) -> PrinterSettings:
        printers = self.settings.printers
        for p in printers:
            if name in (None, p.name):
                return p
        raise LookupError(f"no printer named {name!r}" if name else "no printer configured")

    async def _submit(
        self,
        order_id: int,
        printer: PrinterSettings,
        template: str,
        reason: str,
        n: int,
        mark: str = "",
    ) -> PrintJob:
        tmpl = templates.load(self.template_name(template), self.template_dirs)
        job_id = f"{order_id}:{printer.name[:24]}:{tmpl.name}:{reason}:{n}"
        run, now = self.db.run, self.clock.now()
        existing = await run(self.repo.get, job_id)
        if existing is not None:
            return existing
        detail = await self.deps.order_detail(order_id)
        if detail is None:
            raise LookupError(f"no order {order_id}")
        data = snapshot.ticket_data(detail, self.deps.settings.store, now=now, mark=mark)
        held = self.queue.all_down(printer.name)
        job = PrintJob(
            job_id,
            order_id,
            printer.name,
            tmpl.name,
            reason,
            max(printer.copies, 1),
            HELD if held else QUEUED,
            now,
            now,
            error="printer was down when queued" if held else "",
            payload=snapshot.dumps(data),
        )
        if not await run(self.repo.insert, job):
            return await run(self.repo.get, job_id) or job
        self.bus.publish(PrintJobChanged(job.id, order_id, job.state, job.error))
        if not held:
            self.queue.enqueue(job.id)
        return job

    async def print_order(
        self,
        order_id: int,
        *,
        template: str | None = None,
        printer: str | None = None,
        reason: str = "manual",
        n: int = 1,
    ) -> PrintJob:
        """Print once: the same (order, printer, template, reason, n) is one ticket."""
        p = self._printer(printer)
        return await self._submit(order_id, p, template or p.templates[0], reason, n)

    async def reprint(
        self, order_id: int, *, template: str | None = None, printer: str | None = None
    ) -> PrintJob:
        """An explicit extra copy, marked 补打: a new job id with the next n."""
        p = self._printer(printer)
        tmpl = self.template_name(template or p.templates[0])
        prefix = f"{order_id}:{p.name[:24]}:{tmpl}:reprint:"
        n = await self.db.run(self.repo.count_like, prefix) + 1
        return await self._submit(order_id, p, tmpl, "reprint", n, mark="补打")

    async def jobs_for_order(self, order_id: int) -> list[PrintJob]:
        return await self.db.run(self.repo.for_order, order_id)

    async def held_jobs(self) -> list[PrintJob]:
        return await self.db.run(self.repo.in_state, HELD)

    async def release_held(self, job_ids: list[str] | None = None) -> int:
        """A human decided: print the held jobs (all, or those listed) now."""
        ids = job_ids if job_ids is not None else [j.id for j in await self.held_jobs()]
        n = await self.db.run(self.repo.release, ids, self.clock.now())
        for job_id in ids:
            self.bus.publish(PrintJobChanged(job_id, _order_of(job_id), QUEUED, "released"))
            self.queue.enqueue(job_id)
        return n

    async def discard_held(self, job_ids: list[str] | None = None) -> int:
        ids = job_ids if job_ids is not None else [j.id for j in await self.held_jobs()]
        n = await self.db.run(self.repo.discard, ids, self.clock.now())
        for job_id in ids:
            self.bus.publish(PrintJobChanged(job_id, _order_of(job_id), "discarded"))
        return n

    def printer_status(self) -> list[PrinterState]:
        """What we last saw of each printer (``unknown`` until it printed or answered)."""
        out = []
        for p in self.settings.printers:
            st = self.queue.health.get(p.name)
            out.append(st if st is not None else PrinterState(p.name, p.kind, UNKNOWN))
        return out

    async def refresh_status(self) -> list[PrinterState]:
        """Ask every network printer now (DLE EOT); others keep their last known state."""
        for p in self.settings.printers:
            state = await self.queue.probe(p)
            if state != UNKNOWN:
                self.queue.mark(p, state, "status request")
        return self.printer_status()

    # ------------------------------------------------------------------ preview
    async def preview_image(
        self, order_id: int, width: int = 80, template: str | None = None
    ) -> Image.Image:
        detail = await self.deps.order_detail(order_id)
        if detail is None:
            raise LookupError(f"no order {order_id}")
        data = snapshot.ticket_data(detail, self.deps.settings.store, now=self.clock.now())
        return await asyncio.to_thread(self.render_data, data, width, template)

    async def preview_png(
        self, order_id: int, width: int = 80, template: str | None = None
    ) -> bytes:
        """PNG bytes of the ticket exactly as laid out for the printer."""
        img = await self.preview_image(order_id, width, template)
        return await asyncio.to_thread(render.png_bytes, img)

    def render_data(
        self, data: layout.TicketData, width: int, template: str | None = None
    ) -> Image.Image:
        tmpl = templates.load(self.template_name(template), self.template_dirs)
        return render.render(layout.build(data, tmpl, width), width)


def _order_of(job_id: str) -> int | None:
    head = job_id.split(":", 1)[0]
    return int(head) if head.isdigit() else None
