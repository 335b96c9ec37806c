"""Past-tense events and the in-process bus. The UI bridge re-emits them as Qt signals;
the POS webhook outbox, printing and alerts subscribe too. Handlers are plain callables
run synchronously in publish order; a failing handler is logged, never propagated."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.core.domain.attention import AttentionReason

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Event:
    pass


@dataclass(frozen=True, slots=True)
class OrderReceived(Event):
    order_id: int
    pos_order_id: str
    source: str = "pos"  # pos | manual | simulated
    # the stored order's own dispatch mode ("" = unknown): lets auto-dispatch skip a
    # manual order without reading it back (one read per order on the intake hot path)
    dispatch_mode: str = ""
    pickup_no: str = ""  # what the cashier calls the order (#A008, 美团 #12)


@dataclass(frozen=True, slots=True)
class OrderChanged(Event):
    order_id: int
    state: str = ""


@dataclass(frozen=True, slots=True)
class QuoteCollected(Event):
    order_id: int
    carrier: str
    fee_fen: int


@dataclass(frozen=True, slots=True)
class QuoteFailed(Event):
    order_id: int
    carrier: str
    reason: str


@dataclass(frozen=True, slots=True)
class QuotesCompleted(Event):
    order_id: int
    count: int


@dataclass(frozen=True, slots=True)
class DispatchDecided(Event):
    order_id: int
    carrier: str
    reason: str


@dataclass(frozen=True, slots=True)
class AttemptStatusChanged(Event):
    order_id: int
    attempt_id: int
    carrier: str
    status: str
    previous: str = ""


@dataclass(frozen=True, slots=True)
class RiderMoved(Event):
    order_id: int
    attempt_id: int
    lat: float
    lng: float


class AlertKind(StrEnum):
    """What an alert is about. Alerts are decided in the core only; the UI plays them."""

    NEW_ORDER = "new_order"
    DELIVERED = "delivered"
    ATTENTION = "attention"  # the order needs a human; ``reason`` says why
    NO_RIDER = "no_rider"
    STALE = "stale"
    RIDER_CANCELLED = "rider_cancelled"
    RETURNING = "returning"
    CARRIER_ERROR = "carrier_error"
    PRINTER = "printer"
    # a platform refused an order's status sync-back for good; not cleared by the order
    # moving on (the platform still believes the old state): the cashier acknowledges
    SYNC_BACK = "sync_back"
    # the database refused a write: disk full, read-only or locked (``storage.faults``)
    STORAGE = "storage"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


# the per-order alerts that say "this order needs a human"; cleared when it moves on
ORDER_TROUBLE = frozenset(
    {
        AlertKind.ATTENTION,
        AlertKind.NO_RIDER,
        AlertKind.STALE,
        AlertKind.RIDER_CANCELLED,
        AlertKind.RETURNING,
        AlertKind.CARRIER_ERROR,
    }
)


@dataclass(frozen=True, slots=True)
class AlertRaised(Event):
    order_id: int | None
    kind: AlertKind
    message: str
    severity: Severity = Severity.WARNING
    reason: AttentionReason | None = None  # for kind ATTENTION
    order_label: str = ""  # the pickup number when the publisher knows it

    def __post_init__(self) -> None:
        # publishers that still pass plain strings get the enums (a typo fails here)
        object.__setattr__(self, "kind", AlertKind(self.kind))
        object.__setattr__(self, "severity", Severity(self.severity))


@dataclass(frozen=True, slots=True)
class AlertCleared(Event):
    order_id: int | None
    kind: AlertKind

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", AlertKind(self.kind))


@dataclass(frozen=True, slots=True)
class PrintJobChanged(Event):
    job_id: str
    order_id: int | None
    state: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class SettingsChanged(Event):
    section: str = ""


@dataclass(frozen=True, slots=True)
class ConnectivityChanged(Event):
    online: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class SourceOrderArrived(Event):
    """An order from a platform (美团外卖, 饿了么 …) is on the board. ``ring``: live, so the
    counter plays "您有新的美团订单"; False for back-filled orders older than a few minutes."""

    order_id: int
    source: str  # meituan | eleme
    source_order_id: str
    pickup_no: str = ""  # 美团 #12
    ring: bool = True
    fulfilment: str = ""  # self_delivery | platform_delivery | pickup


@dataclass(frozen=True, slots=True)
class SourceOrderUpdated(Event):
    """A platform changed an order JuPei holds (confirmed, cancelled, refund asked …)."""

    order_id: int | None
    source: str
    source_order_id: str
    state: str = ""  # SourceOrderState value
    cancel_requested: bool = False
    refund_state: str = ""


@dataclass(frozen=True, slots=True)
class SourceHealthChanged(Event):
    """One source connector's health for the board: state is a runner ``HealthState``
    value (starting | catching_up | healthy | error)."""

    source: str
    state: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class StorageStateChanged(Event):
    """The database started refusing writes (``fault``: full | readonly | busy) or
    accepts them again (``fault`` "")."""

    fault: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class SyncBackChanged(Event):
    """A status sync-back call to a platform was sent, failed, or parked."""

    order_id: int | None
    source: str
    status: str
    outcome: str  # sent | retrying | parked
    detail: str = ""


Handler = Callable[[Any], None]


@dataclass
class EventBus:
    _subs: dict[type, list[Handler]] = field(default_factory=lambda: defaultdict(list))

    def subscribe(self, event_type: type[Event], handler: Handler) -> Callable[[], None]:
        self._subs[event_type].append(handler)
        return lambda: self._subs[event_type].remove(handler)

    def subscribe_all(self, handler: Handler) -> Callable[[], None]:
        return self.subscribe(Event, handler)

    def publish(self, event: Event) -> None:
        for etype in (type(event), Event):
            for h in list(self._subs.get(etype, ())):
                try:
                    h(event)
                except Exception:
                    log.exception("event handler failed for %s", type(event).__name__)
