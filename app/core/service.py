"""AppService: the one surface the UI, the POS listener and the CLI call.

It owns no business rules of its own: intake goes through the group-commit batcher,
dispatch through ``Dispatcher``, storage through ``Database`` (always off the event-loop
thread). Everything it reports outward is a domain value or a past-tense event."""

from __future__ import annotations

import asyncio
import logging
import secrets as pysecrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.core.board import BoardRow, current_attempt, lane_for
from app.core.carriers.gateway import CarrierGateway
from app.core.clock import Clock
from app.core.config import Settings, save_settings
from app.core.dispatch import Dispatcher
from app.core.domain import DeliveryAttempt, Order, Quote
from app.core.events import EventBus, OrderChanged, SettingsChanged
from app.core.intake import IntakeBatcher
from app.core.logs import REDACTOR
from app.core.secrets import MemorySecretStore, SecretStore, SecretStoreUnavailable
from app.core.storage.repos import Database, InsertOutcome, OrderEvent

log = logging.getLogger(__name__)


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
class AppService:
    settings: Settings
    db: Database
    bus: EventBus
    clock: Clock
    secrets: SecretStore
    gateway: CarrierGateway
    intake: IntakeBatcher
    dispatcher: Dispatcher | None = None
    printing: object | None = None  # app.core.printing service, when configured
    reports: object | None = None
    rehearsal: bool = False
    sandbox: object | None = None  # SandboxServer in rehearsal mode
    config_path: object | None = None
    secret_problem: str = ""  # why secrets are ephemeral, shown in the UI
    _ephemeral: MemorySecretStore = field(default_factory=MemorySecretStore)
    _pos_secret: str | None = None  # resolved once (off the loop at start), not per request

    # ------------------------------------------------------------------ intake
    async def receive_order(self, order: Order, payload_hash: str, source: str) -> InsertOutcome:
        """Durably store a new order (group commit) before anyone is told "ok"."""
        return await self.intake.submit(order, payload_hash, source)

    # ------------------------------------------------------------------ reads
    async def board(
        self, *, since: datetime | None = None, search: str = "", limit: int = 5000
    ) -> list[BoardRow]:
        if since is None:
            since = self.clock.now() - timedelta(days=self.settings.ui.board_days)
        orders = await self.db.run(self.db.list_orders, since=since, search=search, limit=limit)
        atts = await self.db.run(self.db.attempts_for_orders, [o.id for o in orders])
        return [self.board_row(o, atts.get(o.id, [])) for o in orders]

    def board_row(self, order: Order, attempts: list[DeliveryAttempt]) -> BoardRow:
        a = current_attempt(attempts)
        lane, why = lane_for(
            order,
            a,
            self.clock.now(),
            no_rider_after_s=self.settings.alerts.no_rider_after_min * 60,
            stale_after_s=self.settings.dispatch.stale_tracking_s,
        )
        return BoardRow(order, a, lane, why)

    async def board_row_for(self, order_id: int) -> BoardRow | None:
        order = await self.db.run(self.db.get_order, order_id)
        if order is None:
            return None
        return self.board_row(order, await self.db.run(self.db.attempts_for_order, order_id))

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
        self, order_id: int, kind: str, actor: str, message: str, data: dict | None = None
    ) -> None:
        await self.db.run(
            self.db.append_event, order_id, self.clock.now(), kind, actor, message, data
        )
        self.bus.publish(OrderChanged(order_id))

    async def audit(self, actor: str, action: str, detail: dict) -> None:
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
        path = self.config_path
        await self.db.run(save_settings, new, path)  # type: ignore[arg-type]
        self.settings = new
        self.gateway.settings = new
        await self.audit(actor, "settings_saved", {"path": str(path or "")})
        self.bus.publish(SettingsChanged())
