"""Composition root: the one place that knows the concrete classes and wires them.

Every part is built here by a plain import, with the narrow things it uses (the
database or a repo, the bus, the clock, the gateway, a live reader of the settings).
A broken import fails here, loudly, instead of starting the app without a part."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

from app.core.alerts import AlertRules
from app.core.backup import (
    BackupError,
    BackupScheduler,
    apply_pending_restore,
    locations,
    sqlite_path,
)
from app.core.carriers.gateway import CarrierGateway, rehearsal_wanted
from app.core.carriers.http import CarrierHttp
from app.core.clock import Clock, SystemClock
from app.core.config import Settings
from app.core.dispatch.engine import DispatchContext, DispatchEngine
from app.core.events import AttemptStatusChanged, EventBus, OrderChanged, OrderReceived
from app.core.intake import IntakeBatcher
from app.core.litestream import LitestreamReplicator
from app.core.pos.listener import PosListener
from app.core.pos.webhook import WebhookSender
from app.core.printing.service import PrintDeps, PrintService
from app.core.reconciliation.service import ReportService
from app.core.rehearsal import RehearsalDriver, RehearsalFeed, RehearsalSources, rehearsal_sources
from app.core.retention import RetentionJob
from app.core.sandbox.engine import SandboxEngine
from app.core.sandbox.server import SandboxServer
from app.core.secrets import KeyringSecretStore, SecretStore
from app.core.service import AppService
from app.core.sources.desk import SourceDesk
from app.core.sources.syncback import SyncBackWorker
from app.core.storage.db import make_engine, migrate
from app.core.storage.faults import StorageWatch, sqlite_probe
from app.core.storage.hub_outbox_repo import HubOutboxRepo
from app.core.storage.outbox_repo import OutboxRepo
from app.core.storage.print_repo import PrintRepo
from app.core.storage.repos import Database
from app.core.storage.syncback_repo import SyncBackRepo
from app.core.storage.upgrade import sqlite_file, upgrade_file
from app.hub.link import HubLink
from app.hub.upload import HubUploader, health_doc

log = logging.getLogger(__name__)


@dataclass
class Core:
    service: AppService
    http: CarrierHttp
    dispatcher: DispatchEngine
    printing: PrintService
    reports: ReportService
    pos_listener: PosListener
    alerts: AlertRules
    demo: RehearsalDriver  # the scripted demo's door to the sandboxes
    sandbox: SandboxServer | None = None  # rehearsal mode without an external sandbox
    rehearsal_feed: RehearsalFeed | None = None  # sample orders (GUI, rehearsal mode)
    sources: SourceDesk | None = None  # 美团/饿了么 order sources (built even when all off)
    syncback: SyncBackWorker | None = None  # status sync-back to those platforms
    syncback_running: bool = False
    source_sims: RehearsalSources | None = None  # rehearsal: the platforms' simulators
    hub: HubLink | None = None  # the chain hub's inbox (runs once this PC joined a hub)
    backups: BackupScheduler | None = None  # the daily online backup (SQLite, [backup])
    litestream: LitestreamReplicator | None = None  # [backup] litestream_target
    retention: RetentionJob | None = None  # [privacy] retain_days, nightly
    started: bool = False
    stopping: bool = False  # set first by ``stop``: nothing may start the worker after it

    async def start(self, *, pos: bool = True, sample_orders: bool = False) -> None:
        """Start every part; ``sample_orders`` runs the rehearsal feed (the GUI asks)."""
        svc = self.service
        self.stopping = False
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
        self.alerts.start()
        await self.dispatcher.start()  # subscribes auto-dispatch itself
        await self.printing.start()
        if pos:
            await self.pos_listener.start()
            if self.sources is not None:  # simulators sign for the port really bound
                await self.sources.listener_bound(self.pos_listener.base_url)
            if sample_orders and self.rehearsal_feed is not None:
                self.rehearsal_feed.start()
        if self.source_sims is not None:  # rehearsal: the platforms push to our listener
            await self.source_sims.start(self.pos_listener.base_url)
            if pos and sample_orders and self.source_sims.feed is not None:
                self.source_sims.feed.start()
        if self.sources is not None:
            await self.sources.start()  # catch-up and pulls run in the background
            if self._follow_sources not in self.sources.after_reload:  # once, however often started
                self.sources.after_reload.append(self._follow_sources)
        await self._follow_sources()
        if self.hub is not None:
            await self.hub.start()  # returns at once; long-polls in the background
        if self.backups is not None:
            self.backups.start()  # a worker thread copies; the loop only waits
        if self.litestream is not None:
            await self.litestream.start()  # a child process; logged once when missing
        if self.retention is not None:
            self.retention.start()
        self.started = True
        log.info("JuPei core started%s", " in rehearsal mode (演练模式)" if svc.rehearsal else "")

    async def _follow_sources(self) -> None:
        """The sync-back worker runs once a source is on; it resumes the sync-backs a
        previous run left pending. Never once ``stop`` began: a settings save's reload
        still finishing while the desk drains must not start a worker nobody stops (its
        flush task outlived the loop: "no running event loop")."""
        if self.syncback is None or self.syncback_running or self.stopping:
            return
        if self.sources is not None and self.sources.connectors:
            await self.syncback.start()
            self.syncback_running = True

    async def stop(self) -> None:
        """Stop taking work, finish or persist what is in flight, release resources."""
        svc = self.service
        self.stopping = True
        if self.backups is not None:
            await self.backups.stop()
        if self.litestream is not None:
            await self.litestream.stop()
        if self.hub is not None:
            await self.hub.stop()  # no relayed push enters while the desk stops
        if self.retention is not None:
            await self.retention.stop()
        if self.syncback is not None and self.syncback_running:
            await self.syncback.stop()  # before the sources close their HTTP client
            self.syncback_running = False
        if self.sources is not None:
            await self.sources.stop()
        if self.source_sims is not None:
            await self.source_sims.stop()
        if self.rehearsal_feed is not None:
            await self.rehearsal_feed.stop()
        await self.pos_listener.stop()
        await svc.intake.stop()
        await self.dispatcher.stop()
        await self.printing.stop()
        self.alerts.stop()
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
    with contextlib.suppress(BackupError):  # SQLite only: a restore the menu prepared
        apply_pending_restore(sqlite_path(settings.database_url()), clock.now())
    db_file = sqlite_file(settings.database_url())
    if db_file is not None:
        upgrade_file(db_file)  # an older release's file: migrated on a copy, swapped in
    engine = make_engine(settings.database_url())
    migrate(engine)
    db = Database(engine)
    bus = EventBus()
    http = http or CarrierHttp()
    rehearsal = rehearsal_wanted(settings, secrets)
    service = AppService(
        settings=settings,
        db=db,
        bus=bus,
        clock=clock,
        secrets=secrets,
        gateway=CarrierGateway(settings, secrets, http, clock),
        intake=IntakeBatcher(db, bus, clock),
        rehearsal=rehearsal,
        config_path=Path(config_path) if config_path else None,
    )
    _note_secret_problem(service, secrets)
    service.start_headoffice()  # the last applied head-office settings, hub or no hub
    core = _wire(service, http, _sandbox(settings, rehearsal, sandbox_engine), secrets)
    core.backups = _backups(settings, clock)
    with contextlib.suppress(BackupError):  # SQLite only
        if settings.backup.litestream_target:
            db_path = sqlite_path(settings.database_url())
            core.litestream = LitestreamReplicator(db_path, settings.backup.litestream_target)
    return core


def _backups(settings: Settings, clock: Clock) -> BackupScheduler | None:
    """The daily backup of a SQLite database, into ``[backup] folder`` or ``backups``
    beside the database (the data dir for the default database)."""
    b = settings.backup
    if not b.enabled:
        return None
    try:
        db, folder = locations(settings.database_url(), b.folder)
    except BackupError:
        return None  # PostgreSQL: its own tools (pg_dump)
    return BackupScheduler(db, folder, clock.now, daily=b.keep_daily, weekly=b.keep_weekly)


def _wire(
    service: AppService, http: CarrierHttp, sandbox: SandboxServer | None, secrets: SecretStore
) -> Core:
    """Build the parts over the service's pieces and bind them to the service."""
    db, bus, clock = service.db, service.bus, service.clock

    def live() -> Settings:
        return service.settings  # saving settings replaces the object: read it each time

    service.dispatcher = dispatcher = DispatchEngine(
        DispatchContext(
            db,
            bus,
            clock,
            service.gateway,
            live,
            secret_get=service._secret_get,
            secret_set=service._secret_set,
        )
    )
    deps = PrintDeps(db, bus, clock, live, service.order_detail)
    service.printing = printing = PrintService(deps, repo=PrintRepo(db.engine))
    service.reports = reports = ReportService(db, settings=live, audit=service.audit)
    outbox = OutboxRepo(db.engine)
    # sources switched on later in the settings start without a restart (desk.reload)
    sims = rehearsal_sources(service.settings, service.rehearsal, clock)
    service.sources = sources = desk = SourceDesk(
        service, secrets, simulator_base_urls=sims.simulator_base_urls if sims else None
    )
    # built always, started while a source is on (Core.start, and after a settings save
    # that switches one on: desk.after_reload)
    service.syncback = syncback = SyncBackWorker(
        SyncBackRepo(db.engine),
        bus,
        clock,
        desk.connectors,
        desk.order_for,
        service.log_event,
        shop_point=lambda: (service.settings.store.lat, service.settings.store.lng),
    )
    listener = PosListener(
        service,
        settings=live,
        outbox=outbox,
        clock=clock,
        webhook=WebhookSender(service),
        source_pushes=sources.pushes,
        # disk full / read-only / locked: 503, banner, once; probed back to health
        storage=StorageWatch(bus, probe=sqlite_probe(db.engine) if _is_sqlite(db) else None),
    )
    listener.storage.watch_engine(db.engine)  # a refused write anywhere raises the banner
    r = service.settings.rehearsal
    feed = None
    if service.rehearsal and r.sample_orders_every_s > 0:
        feed = RehearsalFeed(
            service, listener, every_s=r.sample_orders_every_s, max_orders=r.sample_orders_max
        )
    demo = RehearsalDriver(service, dispatcher, sandbox)
    uploader = HubUploader(  # store → hub sync, with the printers' and sources' health
        HubOutboxRepo(db.engine),
        health=lambda: health_doc(printing.printer_status(), desk.health()),
    )
    service.hub = hub = HubLink(service, desk.handle_push, uploader=uploader)
    for changed in (OrderReceived, OrderChanged, AttemptStatusChanged):
        bus.subscribe(changed, lambda _e: uploader.kick())  # upload soon, not in 5 s
    return Core(
        service,
        http,
        dispatcher,
        printing,
        reports,
        listener,
        AlertRules(bus),
        demo,
        sandbox,
        feed,
        sources,
        syncback,
        source_sims=sims,
        hub=hub,
        retention=RetentionJob(db.engine, clock, lambda: live().privacy.retain_days),
    )


def _sandbox(
    settings: Settings, rehearsal: bool, engine: SandboxEngine | None
) -> SandboxServer | None:
    """The in-process carrier sandbox, in rehearsal mode without an external one."""
    if not rehearsal or settings.rehearsal.sandbox_url:
        return None
    r = settings.rehearsal
    return SandboxServer(engine or SandboxEngine(seed=r.seed, speed=r.speed), port=r.port)


def _note_secret_problem(service: AppService, secrets: SecretStore) -> None:
    problem = secrets.backend_problem() if isinstance(secrets, KeyringSecretStore) else None
    if problem:
        service.secret_problem = problem
        log.warning("secret store: %s — secrets set now last for this session only", problem)


def _is_sqlite(db: Database) -> bool:
    return db.engine.dialect.name == "sqlite"
