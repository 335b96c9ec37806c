"""A platform order rings through ``SourceOrderArrived`` (the UI's "您有新的美团订单"), not
through the core's generic new-order alert: one order, one chime, and none when it
was back-filled after downtime."""

from __future__ import annotations

from app.core.alerts import AlertRules
from app.core.events import AlertKind, AlertRaised, EventBus, OrderReceived


def test_only_pos_orders_raise_the_generic_new_order_alert():
    bus = EventBus()
    raised: list[AlertRaised] = []
    bus.subscribe(AlertRaised, raised.append)
    AlertRules(bus).start()
    bus.publish(OrderReceived(1, "meituan:2706190033", "meituan", "manual", "美团 #12"))
    bus.publish(OrderReceived(2, "eleme:3000000123", "eleme", "manual", "饿了么 #3"))
    bus.publish(OrderReceived(3, "A1001", "pos", "auto", "A12"))
    assert [(a.order_id, a.kind, a.order_label) for a in raised] == [
        (3, AlertKind.NEW_ORDER, "A12")
    ]
