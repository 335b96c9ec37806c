"""Composition root: the one place that knows the concrete classes and wires them."""

from __future__ import annotations

import asyncio
import importlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from app.core.carriers.gateway import CarrierGateway, rehearsal_wanted
from app.core.carriers.http import CarrierHttp
from app.core.clock import Clock, SystemClock
from app.core.config import Settings
from app.core.events import EventBus, OrderReceived
from app.core.intake import IntakeBatcher
from app.core.sandbox.engine import SandboxEngine
from app.core.sandbox.server import SandboxServer
from app.core.secrets import KeyringSecretStore, SecretStore
from app.core.service import AppService
from app.core.storage.db import make_engine, migrate
from app.core.storage.repos import Database
from app.core.tasks import Supervisor

log = logging.getLogger(__name__)


def _optional(module: str, name: str):
    """Parts built in later steps; absent ones are skipped with a log line."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        log.info("%s.%s not available", module, name)
        return None


@dataclass
class Core:
    service: AppService
    http: CarrierHttp
    supervisor: Supervisor = field(default_factory=Supervisor)
    pos_listener: object | None = None
    started: bool = False

    @property
    def sandbox(self) -> SandboxServer | None:
        return self.service.sandbox  # type: ignore[return-value]

    async def start(self, *, pos: bool = True) -> None:
        svc = self.service
        external = svc.settings.rehearsal.sandbox_url.rstrip("/")
        if svc.rehearsal and external:
            svc.gateway.build(sandbox_url=external)
        elif self.sandbox is not None:
            await self.sandbox.start()
            svc.gateway.build(sandbox_url=self.sandbox.base_url)
        else:
            svc.gateway.build(sandbox_url=None)
        svc.intake.start()
        await asyncio.to_thread(svc.pos_secret)  # first run generates it; keyring off-loop
        if svc.dispatcher is not None:
            svc.bus.subscribe(OrderReceived, self._auto_dispatch)
            await svc.dispatcher.start()
        if svc.printing is not None:
            await svc.printing.start()  # type: ignore[attr-defined]
        if pos and self.pos_listener is not None:
            await self.pos_listener.start()  # type: ignore[attr-defined]
        self.started = True
        log.info("JuPei core started%s", " in rehearsal mode (演练模式)" if svc.rehearsal else "")

    def _auto_dispatch(self, event: OrderReceived) -> None:
        assert self.service.dispatcher is not None
        self.supervisor.spawn(
            self.service.dispatcher.on_order_received(event.order_id), f"auto-{event.order_id}"
        )

    async def stop(self) -> None:
        """Stop taking work, finish or persist what is in flight, release resources."""
        svc = self.service
        if self.pos_listener is not None:
            await self.pos_listener.stop()  # type: ignore[attr-defined]
        await svc.intake.stop()
        await self.supervisor.drain(timeout=2.0)
        if svc.dispatcher is not None:
            await svc.dispatcher.stop()
        if svc.printing is not None:
            await svc.printing.stop()  # type: ignore[attr-defined]
        if self.sandbox is not None:
            await self.sandbox.stop()
        await self.http.aclose()
        await asyncio.to_thread(svc.db.engine.dispose)
        self.started = False
        log.info("JuPei core stopped")


def build_core(
    settings: Settings,
    *,
    secrets: SecretStore | None = None,
    clock: Clock | None = None,
    config_path: Path | None = None,
    sandbox_engine: SandboxEngine | None = None,
    http: CarrierHttp | None = None,
) -> Core:
    clock = clock or SystemClock()
    secrets = secrets or KeyringSecretStore()
    engine = make_engine(settings.database_url())
    migrate(engine)
    db = Database(engine)
    bus = EventBus()
    http = http or CarrierHttp()
    gateway = CarrierGateway(settings, secrets, http, clock)
    rehearsal = rehearsal_wanted(settings, secrets)
    sandbox = None
    if rehearsal and not settings.rehearsal.sandbox_url:
        r = settings.rehearsal
        sandbox = SandboxServer(
            sandbox_engine or SandboxEngine(seed=r.seed, speed=r.speed), port=r.port
        )
    service = AppService(
        settings=settings,
        db=db,
        bus=bus,
        clock=clock,
        secrets=secrets,
        gateway=gateway,
        intake=IntakeBatcher(db, bus, clock),
        rehearsal=rehearsal,
        sandbox=sandbox,
        config_path=config_path,
    )
    problem = getattr(secrets, "backend_problem", lambda: None)()
    if problem:
        service.secret_problem = problem
        log.warning("secret store: %s — secrets set now last for this session only", problem)
    dispatch_cls = _optional("app.core.dispatch.engine", "DispatchEngine")
    if dispatch_cls is not None:
        service.dispatcher = dispatch_cls(service)
    printing_cls = _optional("app.core.printing.service", "PrintService")
    if printing_cls is not None:
        service.printing = printing_cls(service)
    reports_cls = _optional("app.core.reconciliation.service", "ReportService")
    if reports_cls is not None:
        service.reports = reports_cls(service)
    core = Core(service=service, http=http)
    listener_cls = _optional("app.core.pos.listener", "PosListener")
    if listener_cls is not None:
        core.pos_listener = listener_cls(service)
    return core
