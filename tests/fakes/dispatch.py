"""Fakes for the dispatch parts' unit tests: an in-memory carrier (``FakeCarrier``) that
records what it was asked, and ``dispatch_world``, a real ``DispatchContext`` over a temp
SQLite database, a hand-moved clock and a real gateway whose entries are fake carriers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.carriers.base import (
    CallbackRejected,
    CallbackRequest,
    CallbackResult,
    CarrierError,
    CreateResult,
    NotFoundError,
    RiderPosition,
    StatusSnapshot,
)
from app.core.carriers.gateway import CarrierEntry, CarrierGateway
from app.core.carriers.http import CarrierHttp
from app.core.carriers.registry import rules
from app.core.config import DatabaseSettings, DispatchSettings, Settings
from app.core.dispatch.context import DispatchContext
from app.core.domain import DeliveryAttempt, DeliveryStatus, Order, Quote, Rider
from app.core.events import Event, EventBus
from app.core.secrets import MemorySecretStore
from app.core.storage.db import make_engine, migrate
from app.core.storage.repos import Database
from tests.fakes.clock import FakeClock


class FakeCarrier:
    """A carrier in memory: quotes at ``fee_fen``, creates keyed by our idempotency key,
    answers queries from ``status``; ``fail_create`` makes the next creates raise."""

    def __init__(self, cid: str, clock: FakeClock, fee_fen: int = 800) -> None:
        self.id = cid
        self.rules = rules(cid)
        self.clock = clock
        self.fee_fen = fee_fen
        self.quote_keys: list[str] = []
        self.created: dict[str, Order] = {}
        self.status: dict[str, DeliveryStatus] = {}
        self.tips: dict[str, int] = {}
        self.fail_create: CarrierError | None = None

    async def quote(self, order: Order, *, key: str = "") -> Quote:
        self.quote_keys.append(key)
        return Quote(self.id, self.fee_fen, 1800, self.clock.now(), binding=False)

    async def create(self, order: Order, quote: Quote, attempt: DeliveryAttempt) -> CreateResult:
        if self.fail_create is not None:
            raise self.fail_create
        key = attempt.idempotency_key
        self.created[key] = order
        self.status.setdefault(key, DeliveryStatus.PENDING_ACCEPT)
        return CreateResult(f"{self.id}-{key}", fee_fen=quote.fee_fen)

    async def cancel_preview(self, attempt: DeliveryAttempt) -> int:
        return 0

    async def cancel(self, attempt: DeliveryAttempt, reason: str) -> int:
        self.status[attempt.idempotency_key] = DeliveryStatus.CANCELLED
        return 0

    async def add_tip(self, attempt: DeliveryAttempt, amount_fen: int) -> int:
        key = attempt.idempotency_key
        self.tips[key] = self.tips.get(key, 0) + amount_fen
        return self.tips[key]

    async def query(self, attempt: DeliveryAttempt) -> StatusSnapshot:
        key = attempt.idempotency_key
        if key not in self.status:
            raise NotFoundError(self.id, f"no order {key}")
        st = self.status[key]
        rider = Rider("王师傅", "13700000000") if st is DeliveryStatus.ACCEPTED else None
        return StatusSnapshot(st, st.value, f"{self.id}-{key}", key, rider=rider)

    async def rider_positions(self, attempts: Sequence[DeliveryAttempt]) -> list[RiderPosition]:
        return []

    def parse_callback(self, request: CallbackRequest) -> CallbackResult:
        raise CallbackRejected("the fake carrier takes no callbacks")


@dataclass
class World:
    ctx: DispatchContext
    db: Database
    bus: EventBus
    clock: FakeClock
    carriers: dict[str, FakeCarrier]
    settings: Settings
    seen: list[Event] = field(default_factory=list)

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.seen if isinstance(e, kind)]


def dispatch_world(tmp_path: Path, *carrier_ids: str, **dispatch: Any) -> World:
    """A context with ``carrier_ids`` as fake carriers (default: dada and sf); keyword
    arguments are ``[dispatch]`` settings."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'dispatch.db'}"),
        dispatch=DispatchSettings(**dispatch),
    )
    engine = make_engine(settings.database_url())
    migrate(engine)
    db, bus, clock = Database(engine), EventBus(), FakeClock()
    gateway = CarrierGateway(settings, MemorySecretStore(), CarrierHttp(), clock)
    fakes = {
        cid: FakeCarrier(cid, clock, 800 + 100 * i)
        for i, cid in enumerate(carrier_ids or ("dada", "sf"))
    }
    for cid, fake in fakes.items():
        gateway.entries[cid] = CarrierEntry(cid, fake, fake.rules, 60, rehearsal=True)
    ctx = DispatchContext(db, bus, clock, gateway, lambda: settings)
    world = World(ctx, db, bus, clock, fakes, settings)
    bus.subscribe_all(world.seen.append)
    return world
