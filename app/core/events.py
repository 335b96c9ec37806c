"""Past-tense events and the in-process bus. The UI bridge re-emits them as Qt signals;
the POS webhook outbox, printing and alerts subscribe too. Handlers are plain callables
run synchronously in publish order; a failing handler is logged, never propagated."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Event:
    pass


@dataclass(frozen=True, slots=True)
class OrderReceived(Event):
    order_id: int
    pos_order_id: str
    source: str = "pos"  # pos | manual | simulated


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


@dataclass(frozen=True, slots=True)
class AlertRaised(Event):
    order_id: int | None
    kind: str  # new_order | no_rider | rider_cancelled | returning | carrier_error | stale | printer | delivered
    message: str
    severity: str = "warning"  # info | warning | critical


@dataclass(frozen=True, slots=True)
class AlertCleared(Event):
    order_id: int | None
    kind: str


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
