"""The alerts the core raises about orders as such: a new order, and the clearing of
alerts an order has moved past. Delivery, return, no-rider and carrier alerts are
raised where dispatch decides them. The UI only plays what arrives here: it never
derives an alert from a lane change, so one event is one chime."""

from __future__ import annotations

from collections.abc import Callable

from app.core.events import (
    AlertCleared,
    AlertKind,
    AlertRaised,
    EventBus,
    OrderChanged,
    OrderReceived,
    Severity,
)
from app.core.sources.registry import SOURCE_IDS

_WAITING = frozenset({"new", "queued"})  # order states in which "new order" still stands


class AlertRules:
    """Subscribes to order events and publishes ``AlertRaised`` / ``AlertCleared``."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self._unsubs: list[Callable[[], None]] = []

    def start(self) -> None:
        if not self._unsubs:
            self._unsubs = [
                self.bus.subscribe(OrderReceived, self._on_received),
                self.bus.subscribe(OrderChanged, self._on_changed),
            ]

    def stop(self) -> None:
        for unsub in self._unsubs:
            unsub()
        self._unsubs = []

    def _on_received(self, ev: OrderReceived) -> None:
        if ev.source in SOURCE_IDS:
            # a platform order rings through its ``SourceOrderArrived`` (the UI plays
            # "您有新的美团订单" when ``ring``; a back-filled order does not ring at all)
            return
        label = ev.pickup_no or ev.pos_order_id
        self.bus.publish(
            AlertRaised(
                ev.order_id,
                AlertKind.NEW_ORDER,
                f"new order {ev.pos_order_id}",
                Severity.INFO,
                order_label=label,
            )
        )

    def _on_changed(self, ev: OrderChanged) -> None:
        if not ev.state:
            return  # a timeline entry, not a state change
        if ev.state not in _WAITING:
            self.bus.publish(AlertCleared(ev.order_id, AlertKind.NEW_ORDER))
        if ev.state != "attention":
            self.bus.publish(AlertCleared(ev.order_id, AlertKind.ATTENTION))
