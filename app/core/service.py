"""AppService: the one door the UI, the POS listener and the CLI call.

It owns no business rules of its own: intake goes through the group-commit batcher,
dispatch through ``Dispatcher``, printing through ``PrintService``, reports through
``ReportService``, storage through ``Database`` (always off the event-loop thread).
The UI calls only the keyword-only operations here (``tests/core/foundation/
test_boundaries.py`` checks it never reaches past them). Everything it reports outward
is a domain value or a past-tense event."""

from __future__ import annotations

import asyncio
import logging
import random
import secrets as pysecrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core import board_query
from app.core.board import BoardRow, Lane, current_attempt, lane_for
from app.core.board_query import BoardPage, Cursor
from app.core.carriers.gateway import CarrierGateway, has_real_credentials
from app.core.clock import Clock
from app.core.config import Settings, save_settings
from app.core.dispatch import Dispatcher
from app.core.domain import DeliveryAttempt, Order, Quote
from app.core.events import EventBus, OrderChanged, SettingsChanged
from app.core.headoffice import KV_KEY as HEADOFFICE_KV
from app.core.headoffice import (
    HeadOffice,
    HeadOfficeLocked,
    HeadOfficeRejected,
    changed_locked,
    check_document,
    local_part,
    overlay,
)
from app.core.intake import IntakeBatcher, ReplayNonce
from app.core.logs import REDACTOR
from app.core.operations import NO_ACTIONS, CarrierFacts, OrderActions, carrier_facts
from app.core.operations import order_actions as compute_actions
from app.core.pos import views
from app.core.pos.schema import OrderValidationError, parse_order, payload_hash
from app.core.pos.sim import make_order_payload, test_order
from app.core.printing.service import PrintService
from app.core.reconciliation.service import DateLike, ExportResult, ReportService
from app.core.secrets import MemorySecretStore, SecretStore, SecretStoreUnavailable
from app.core.service_platforms import PlatformsDoor
from app.core.storage.repos import Database, InsertOutcome, OrderEvent
from app.core.storage.source_repo import requests_for_orders

if TYPE_CHECKING:
    from app.core.carriers.check import CheckReport
    from app.core.printing.queue import PrinterState
    from app.core.printing.transports import Transport
    from app.core.reconciliation.bills import BillMapping
    from app.core.reconciliation.matching import MatchReport
    from app.core.reconciliation.summary import Summary
    from app.core.sources.desk import SourceDesk
    from app.core.sources.syncback import SyncBackWorker
    from app.core.storage.print_repo import PrintJob
    from app.hub.link import HubLink

log = logging.getLogger(__name__)
__all__ = ["AppService", "OrderDetail", "OrderValidationError"]  # the UI catches the last


@dataclass(frozen=True, slots=True)
class OrderDetail:
    order: Order
    attempts: list[DeliveryAttempt]
    events: list[OrderEvent]
    quotes: list[Quote]

    @property
    def attempt(self) -> DeliveryAttempt | None:
        return current_attempt(self.attempts)


@dataclass
class AppService(PlatformsDoor):
    settings: Settings
    db: Database
    bus: EventBus
    clock: Clock
    secrets: SecretStore
    gateway: CarrierGateway
    intake: IntakeBatcher
    rehearsal: bool = False
    config_path: Path | None = None
    secret_problem: str = ""  # why secrets are ephemeral, shown in the UI
    # the parts below take narrow pieces of this service, so ``build_core`` binds them
    # right after building it; they always exist once ``build_core`` has returned
    dispatcher: Dispatcher = field(init=False)
    printing: PrintService = field(init=False)
    reports: ReportService = field(init=False)
    sources: SourceDesk | None = field(init=False, default=None)  # set by build_core
    syncback: SyncBackWorker | None = field(init=False, default=None)  # set by build_core
    hub: HubLink | None = field(init=False, default=None)  # the chain hub link; build_core
    # head-office settings last applied (app.core.headoffice) and the file's own settings
    headoffice: HeadOffice = field(default_factory=HeadOffice)
    local_settings: Settings | None = None  # None: no head-office document applied
    _ephemeral: MemorySecretStore = field(default_factory=MemorySecretStore)
    _pos_secret: str | None = None  # resolved once (off the loop at start), not per request
    _eleme_state: str = ""  # the OAuth state of the last authorisation page opened

    # ------------------------------------------------------------------ intake
    async def receive_order(
        self, order: Order, payload_hash: str, source: str, nonce: ReplayNonce | None = None
    ) -> InsertOutcome:
        """Durably store a new order (group commit) before anyone is told "ok"."""
        return await self.intake.submit(order, payload_hash, source, nonce)

    async def submit_order_payload(
        self, payload: Any, *, source: str, nonce: ReplayNonce | None = None
    ) -> InsertOutcome:
        """One intake path for POS, phone, manual and simulated orders: validate (raises
        ``OrderValidationError`` with the field at fault), fingerprint, store. A POS
        request's ``nonce`` is stored in the order's commit ("replay" if seen before)."""
        s = self.settings
        order = parse_order(payload, default_dispatch=s.pos.default_dispatch or s.dispatch.mode)
        return await self.receive_order(order, payload_hash(payload), source, nonce)

    async def cancel_from_pos(
        self, detail: OrderDetail, *, reason: str, confirm: bool
    ) -> dict[str, Any]:
        """The POS API's cancel (preview when not ``confirm``); the response body."""
        return await views.cancel(self, detail, reason, confirm)

    # ------------------------------------------------------------------ reads
    async def board(
        self, *, since: datetime | None = None, search: str = "", limit: int = 5000
    ) -> list[BoardRow]:
        if since is None:
            since = self.clock.now() - timedelta(days=self.settings.ui.board_days)
        orders = await self.db.run(self.db.list_orders, since=since, search=search, limit=limit)
        ids = [o.id or 0 for o in orders]  # stored: has id
        atts = await self.db.run(self.db.attempts_for_orders, ids)
        reqs = await self.db.run(requests_for_orders, self.db.engine, ids)
        return [self.board_row(o, atts.get(o.id or 0, []), reqs.get(o.id or 0, "")) for o in orders]

    def board_row(
        self, order: Order, attempts: list[DeliveryAttempt], platform_request: str = ""
    ) -> BoardRow:
        a = current_attempt(attempts)
        lane, attention = lane_for(
            order,
            a,
            self.clock.now(),
            no_rider_after_s=self.settings.alerts.no_rider_after_min * 60,
            stale_after_s=self.settings.dispatch.stale_tracking_s,
        )
        return BoardRow(order, a, lane, attention, platform_request)

    async def board_row_for(self, order_id: int) -> BoardRow | None:
        order = await self.db.run(self.db.get_order, order_id)
        if order is None:
            return None
        atts = await self.db.run(self.db.attempts_for_order, order_id)
        reqs = await self.db.run(requests_for_orders, self.db.engine, [order_id])
        return self.board_row(order, atts, reqs.get(order_id, ""))

    async def board_rows_for(self, order_ids: Iterable[int]) -> dict[int, BoardRow]:
        """Board rows for a set of orders in two queries (orders, then their attempts):
        the board refreshes changed orders in batches, one core round trip per batch.
        Orders that do not exist are absent from the result."""
        ids = list(dict.fromkeys(order_ids))
        db = self.db

        def read() -> list[tuple[Order, list[DeliveryAttempt], str]]:  # one db-thread hop
            rows: list[tuple[Order, list[DeliveryAttempt], str]] = []
            for i in range(0, len(ids), 900):  # SQLite's bound-parameter limit
                chunk = ids[i : i + 900]
                orders = db.list_orders(ids=chunk, limit=len(chunk))
                found = [o.id or 0 for o in orders]
                atts = db.attempts_for_orders(found)
                reqs = requests_for_orders(db.engine, found)  # platform cancel/refund asks
                rows += [(o, atts.get(o.id or 0, []), reqs.get(o.id or 0, "")) for o in orders]
            return rows

        return {o.id or 0: self.board_row(o, a, r) for o, a, r in await db.run(read)}

    async def order_actions(self, order_id: int) -> OrderActions:
        """What the operator may do with the order now (see ``app.core.operations``)."""
        row = await self.board_row_for(order_id)
        return NO_ACTIONS if row is None else compute_actions(row)

    def subscribe_all(self, handler: Callable[[Any], None]) -> Callable[[], None]:
        """Every core event to ``handler`` (the UI's event bridge); returns unsubscribe."""
        return self.bus.subscribe_all(handler)

    def carriers(self) -> dict[str, CarrierFacts]:
        """Carrier names, colours, credential keys and rules, for the UI to show."""
        return carrier_facts()

    # ------------------------------------------------------------------ board pages
    # (app.core.board_query: counts and keyset pages in SQL; safe on any loop/thread)
    async def board_page(
        self,
        *,
        lanes: Sequence[Lane] | None = None,
        search: str = "",
        before: Cursor | None = None,
        limit: int = 200,
    ) -> BoardPage:
        return await board_query.board_page(
            self, lanes=lanes, search=search, before=before, limit=limit
        )

    async def lane_counts(self, *, search: str = "") -> dict[Lane, int]:
        return await board_query.lane_counts(self, search=search)

    async def order_detail(self, order_id: int) -> OrderDetail | None:
        order = await self.db.run(self.db.get_order, order_id)
        if order is None:
            return None
        return await self._detail(order)

    async def order_detail_by_pos_id(self, pos_order_id: str) -> OrderDetail | None:
        order = await self.db.run(self.db.get_order_by_pos_id, pos_order_id)
        return None if order is None else await self._detail(order)

    async def _detail(self, order: Order) -> OrderDetail:
        oid = order.id
        assert oid is not None
        return OrderDetail(
            order,
            await self.db.run(self.db.attempts_for_order, oid),
            await self.db.run(self.db.events_for_order, oid),
            await self.db.run(self.db.quotes_for_order, oid),
        )

    # ------------------------------------------------------------------ log + audit
    async def log_event(
        self,
        order_id: int,
        kind: str,
        actor: str,
        message: str,
        data: dict[str, Any] | None = None,
    ) -> None:
        await self.db.run(
            self.db.append_event, order_id, self.clock.now(), kind, actor, message, data
        )
        self.bus.publish(OrderChanged(order_id))

    async def audit(self, actor: str, action: str, detail: dict[str, Any]) -> None:
        await self.db.run(self.db.audit, self.clock.now(), actor, action, detail)

    # ------------------------------------------------------------------ secrets
    def _secret_get(self, name: str) -> str | None:
        try:
            return self.secrets.get(name)
        except SecretStoreUnavailable as e:
            self.secret_problem = str(e)
            return self._ephemeral.get(name)

    def _secret_set(self, name: str, value: str) -> None:
        try:
            self.secrets.set(name, value)
        except SecretStoreUnavailable as e:
            # never a plaintext file: the value lives in memory for this session only
            self.secret_problem = str(e)
            self._ephemeral.set(name, value)

    def _secret_delete(self, name: str) -> None:
        try:
            self.secrets.delete(name)
        except SecretStoreUnavailable as e:
            self.secret_problem = str(e)
        self._ephemeral.delete(name)

    def pos_secret(self) -> str:
        """The POS signing secret: env override, else the secret store; generated on
        first run. Read from the keyring once and then kept in memory, because every
        signed request needs it and a keyring read is blocking OS I/O."""
        if self._pos_secret is not None:
            return self._pos_secret
        if self.settings.pos.secret:
            REDACTOR.register(self.settings.pos.secret)
            self._pos_secret = self.settings.pos.secret
            return self._pos_secret
        value = self._secret_get("pos.secret")
        if not value:
            value = pysecrets.token_urlsafe(32)
            self._secret_set("pos.secret", value)
            log.info("generated a new POS secret")
        REDACTOR.register(value)
        self._pos_secret = value
        return value

    async def rotate_pos_secret(self, actor: str = "manager") -> str:
        value = pysecrets.token_urlsafe(32)
        await asyncio.to_thread(self._secret_set, "pos.secret", value)
        REDACTOR.register(value)
        self._pos_secret = value
        await self.audit(actor, "pos_secret_rotated", {})
        return value

    def manager_pin_set(self) -> bool:
        return bool(self._secret_get("manager.pin"))

    def check_pin(self, pin: str) -> bool:
        stored = self._secret_get("manager.pin")
        if not stored:
            return True  # no PIN yet: settings ask the manager to set one
        return pysecrets.compare_digest(stored, pin)

    async def set_pin(self, pin: str, actor: str = "manager") -> None:
        if not (4 <= len(pin) <= 12 and pin.isdigit()):
            raise ValueError("PIN must be 4-12 digits")
        self._secret_set("manager.pin", pin)
        await self.audit(actor, "manager_pin_set", {})

    def set_carrier_secret(self, carrier_id: str, key: str, value: str) -> None:
        self._secret_set(f"carriers.{carrier_id}.{key}", value)

    def carrier_secret_present(self, carrier_id: str, key: str) -> bool:
        return bool(self._secret_get(f"carriers.{carrier_id}.{key}"))

    # ------------------------------------------------------------------ settings
    async def save_settings(self, new: Settings, actor: str = "manager") -> None:
        """Save the local file and run with ``new``. Values head office sets are locked: a
        ``new`` that changes one raises ``HeadOfficeLocked`` and nothing is saved."""
        doc = self.headoffice.doc
        bad = changed_locked(new, doc)
        if bad:
            raise HeadOfficeLocked(bad)
        path = self.config_path
        mine = local_part(new, self.local_settings or self.settings, doc)
        await self.db.run(save_settings, mine, path)
        self.local_settings = mine
        self._run_with(overlay(mine, doc))
        await self.audit(actor, "settings_saved", {"path": str(path or "")})

    def _run_with(self, effective: Settings) -> None:
        self.settings = effective
        self.gateway.settings = effective
        self.bus.publish(SettingsChanged())

    @property
    def headoffice_version(self) -> int:
        return self.headoffice.version

    def headoffice_locked(self) -> frozenset[str]:
        """Dotted settings paths head office sets (the dialog shows them read-only)."""
        return self.headoffice.locked

    def start_headoffice(self) -> None:
        """At start (build_core): lay the last applied head-office settings over the file's,
        so a PC that cannot reach its hub runs with the version it last applied."""
        ho = HeadOffice.from_kv(self.db.kv_get(HEADOFFICE_KV))
        if ho.doc:
            self.local_settings = self.settings
            self.headoffice = ho
            self.settings = self.gateway.settings = overlay(self.settings, ho.doc)

    async def apply_headoffice(self, version: int, doc: dict[str, Any]) -> bool:
        """A newer head-office document from the hub: persist it, then run with it.
        An older or equal version, or one this PC may not apply, changes nothing."""
        if version <= self.headoffice.version:
            return False
        try:
            doc = check_document(doc)
        except HeadOfficeRejected as e:
            log.warning("hub: head-office settings v%d not applied: %s", version, e)
            return False
        ho = HeadOffice(version, doc)
        await self.db.run(self.db.kv_set, HEADOFFICE_KV, ho.to_kv())
        local = self.local_settings or self.settings
        self.local_settings, self.headoffice = local, ho
        self._run_with(overlay(local, doc))
        await self.audit("hub", "headoffice_settings_applied", {"version": version})
        return True

    # ------------------------------------------------------------------ dispatch
    async def collect_quotes(self, order_id: int) -> list[Quote]:
        return await self.dispatcher.collect_quotes(order_id)

    async def dispatch(
        self, order_id: int, *, carrier: str | None = None, actor: str = "cashier"
    ) -> DeliveryAttempt:
        return await self.dispatcher.dispatch(order_id, carrier, actor=actor)

    async def cancel_preview(self, order_id: int) -> int | None:
        """The fee a cancel would cost now, or None when no carrier can say."""
        return await self.dispatcher.cancel_preview(order_id)

    async def cancel(
        self, order_id: int, *, reason: str, actor: str = "cashier", preview: bool = False
    ) -> int | None:
        """Cancel the delivery; with ``preview`` only ask what it would cost."""
        if preview:
            return await self.cancel_preview(order_id)
        return await self.dispatcher.cancel(order_id, reason, actor=actor)

    async def add_tip(self, order_id: int, *, amount_fen: int, actor: str = "cashier") -> int:
        return await self.dispatcher.add_tip(order_id, amount_fen, actor=actor)

    async def redispatch(self, order_id: int, *, actor: str = "cashier") -> DeliveryAttempt:
        return await self.dispatcher.redispatch(order_id, actor=actor)

    async def mark_self_delivered(self, order_id: int, *, actor: str = "cashier") -> None:
        await self.dispatcher.mark_self_delivered(order_id, actor=actor)

    async def refresh(self, order_id: int) -> None:
        """Ask the carrier for the live attempt's status now."""
        await self.dispatcher.refresh(order_id)

    async def test_carrier(self, carrier_id: str) -> Quote:
        """A real quote for a small order 1.5 km from the store through the configured
        adapter (settings' "test connection"). Raises ``KeyError`` when the carrier is
        not enabled or lacks credentials, the adapter's ``CarrierError`` on failure."""
        entry = self.gateway.get(carrier_id)
        return await entry.adapter.quote(test_order(self.settings.store, self.clock.now()))

    async def check_carrier(
        self, carrier_id: str, *, progress: Callable[[str], None] | None = None
    ) -> CheckReport:
        """The first-day check (settings' button, ``carrier-check``): safe calls compared
        with what the adapter expects. Live with the merchant's credentials when they are
        configured, else against the rehearsal sandbox (a private one when none runs)."""
        from app.core.carriers.check import run_check

        secrets = self.gateway.secrets
        live = has_real_credentials(carrier_id, self.settings, secrets)
        return await run_check(
            carrier_id,
            self.settings,
            secrets,
            live=live,
            sandbox_url=None if live else self.gateway.sandbox_url,
            progress=progress,
        )

    def sample_order_payload(self, seq: int, rng: random.Random) -> dict[str, Any]:
        """A realistic POS payload near the store (the menu's simulated order)."""
        return make_order_payload(rng, self.settings.store, seq)

    # ------------------------------------------------------------------ printing
    async def print_ticket(self, order_id: int) -> PrintJob:
        """The first ticket for the order, or an explicit extra copy (补打) after that."""
        if await self.printing.jobs_for_order(order_id):
            return await self.printing.reprint(order_id)
        return await self.printing.print_order(order_id)

    async def reprint(self, order_id: int, *, template: str | None = None) -> PrintJob:
        return await self.printing.reprint(order_id, template=template)

    async def preview_png(
        self, order_id: int, *, width: int = 80, template: str | None = None
    ) -> bytes:
        return await self.printing.preview_png(order_id, width, template)

    def template_names(self) -> list[str]:
        return self.printing.template_names()

    def default_template(self) -> str:
        return self.printing.template_name(None)

    def printer_status(self) -> list[PrinterState]:
        return self.printing.printer_status()

    async def live_delivery_count(self) -> int:
        """Deliveries a carrier is working on now: a signed update waits until it is 0."""
        return len(await self.db.run(self.db.live_attempts))

    async def held_prints(self) -> list[PrintJob]:
        return await self.printing.held_jobs()

    async def release_held_prints(self, *, job_ids: list[str] | None = None) -> int:
        """A human decided: print the held backlog (all, or the jobs listed) now."""
        return await self.printing.release_held(job_ids)

    async def discard_held_prints(self, *, job_ids: list[str] | None = None) -> int:
        return await self.printing.discard_held(job_ids)

    def register_print_transport(self, kind: str, transport: Transport) -> None:
        """Front ends add transports the core cannot build (the GUI's ``system``)."""
        self.printing.register_transport(kind, transport)

    # ------------------------------------------------------------------ backups
    def _backup_locations(self) -> tuple[Path, Path]:
        from app.core.backup import locations

        return locations(self.settings.database_url(), self.settings.backup.folder)

    async def backups(self) -> tuple[Path, list[tuple[datetime, Path]]]:
        """The backup folder and its dated backups, newest first (BackupError: no SQLite)."""
        from app.core.backup import list_backups

        _db, folder = self._backup_locations()
        return folder, await asyncio.to_thread(list_backups, folder)

    async def backup_now(
        self, dest: str | Path | None = None, progress: Callable[[int, int], None] | None = None
    ) -> Path:
        """An online backup (a worker thread) to ``dest`` (file or folder; default: the
        backup folder); ``progress(done, total)`` is called from that thread."""
        from app.core.backup import backup_to

        db, folder = self._backup_locations()
        target = Path(dest) if dest else folder
        if not dest:
            folder.mkdir(parents=True, exist_ok=True)
        return await asyncio.to_thread(backup_to, db, target, progress)

    async def prepare_restore(
        self, backup: str | Path, progress: Callable[[int, int], None] | None = None
    ) -> Path:
        """Check ``backup`` and stage it; the restore happens at the next start."""
        from app.core.backup import request_restore

        db, _folder = self._backup_locations()
        return await asyncio.to_thread(request_restore, Path(backup), db, progress)

    async def export(self, path: str | Path, **options: Any) -> ExportResult:
        """``ReportService.export``'s keyword options (date_from, date_to, carriers,
        fmt, progress, cancel, actor, lang)."""
        return await self.reports.export(path, **options)

    async def summary(
        self, *, date_from: DateLike, date_to: DateLike, carriers: Sequence[str] | None = None
    ) -> Summary:
        return await self.reports.summary(date_from, date_to, carriers)

    async def import_bill(
        self,
        carrier: str,
        path: str | Path,
        *,
        mapping: BillMapping | None = None,
        actor: str = "manager",
    ) -> MatchReport:
        return await self.reports.import_bill(carrier, path, mapping, actor=actor)
