"""Platform-delivery stall detection and the platform rider status carried by pushes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from app.core.domain.source_order import FulfilmentMode, SourceOrderState
from app.core.domain.status import DeliveryStatus
from app.core.sources.stall import platform_stalled
from tests.core.sources.test_source_order import T0, make

PLATFORM = make(fulfilment=FulfilmentMode.PLATFORM_DELIVERY, state=SourceOrderState.CONFIRMED)


def test_no_platform_rider_after_the_limit_is_a_stall():
    assert not platform_stalled(PLATFORM, None, T0, T0 + timedelta(minutes=9))
    assert platform_stalled(PLATFORM, None, T0, T0 + timedelta(minutes=10))
    assert platform_stalled(PLATFORM, DeliveryStatus.PENDING_ACCEPT, T0, T0 + timedelta(minutes=15))
    assert platform_stalled(PLATFORM, DeliveryStatus.CANCELLED, T0, T0 + timedelta(minutes=10))
    assert not platform_stalled(PLATFORM, None, T0, T0 + timedelta(minutes=15), stall_min=20)


def test_a_rider_a_delivery_or_our_own_order_is_never_stalled():
    late = T0 + timedelta(hours=1)
    assert not platform_stalled(PLATFORM, DeliveryStatus.ACCEPTED, T0, late)
    assert not platform_stalled(PLATFORM, DeliveryStatus.PICKED_UP, T0, late)
    assert not platform_stalled(PLATFORM, DeliveryStatus.DELIVERED, T0, late)
    assert not platform_stalled(make(), None, T0, late)  # self delivery: ours to dispatch
    done = replace(PLATFORM, state=SourceOrderState.COMPLETED)
    assert not platform_stalled(done, None, T0, late)
