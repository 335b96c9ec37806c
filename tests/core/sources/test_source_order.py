"""SourceOrder: phone kinds kept as given, the upsert rank rule, the pickup label and
the pure conversion to a JuPei Order."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.domain import Channel
from app.core.domain.source_order import (
    FulfilmentMode,
    PhoneKind,
    RefundState,
    SourceItem,
    SourceMoney,
    SourceOrder,
    SourceOrderState,
    SourceRecipient,
    classify_phone,
    merge,
    to_order,
)

T0 = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def make(**kw: object) -> SourceOrder:
    base = SourceOrder(
        source="meituan",
        source_order_id="27061900338318741",
        source_store_ref="S001",
        display_no=12,
        state=SourceOrderState.NEW,
        source_status_raw="2",
        fulfilment=FulfilmentMode.SELF_DELIVERY,
        recipient=SourceRecipient(
            "陆(先生)",
            (classify_phone("138*****678"), classify_phone("13812345678_1234")),
            "北京市朝阳区建国路88号",
            lat=39.9075,
            lng=116.46,
        ),
        money=SourceMoney(paid_total_fen=3850, delivery_fee_fen=500, packaging_fee_fen=150),
        created_at=T0,
        items=(SourceItem("宫保鸡丁", 2, 1600),),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_phone_kinds_are_detected_and_text_kept():
    assert classify_phone("13812345678").kind is PhoneKind.REAL
    v = classify_phone("13812345678_123456")
    assert (v.kind, v.number) == (PhoneKind.VIRTUAL, "13812345678_123456")
    assert classify_phone("13812345678,1234").kind is PhoneKind.VIRTUAL
    assert classify_phone("138*****678").kind is PhoneKind.MASKED
    assert classify_phone("010-65550000").kind is PhoneKind.REAL


def test_display_label_is_the_pickup_number():
    assert make().display_label() == "美团 #12"
    assert make(source="eleme").display_label() == "饿了么 #12"
    assert make(source="eleme").display_label("en") == "Ele.me #12"
    assert make(display_no=None).display_label() == "美团"


def test_only_live_self_delivery_is_dispatchable():
    assert make().dispatchable
    assert not make(fulfilment=FulfilmentMode.PICKUP).dispatchable
    assert not make(fulfilment=FulfilmentMode.PLATFORM_DELIVERY).dispatchable
    assert not make(state=SourceOrderState.CANCELLED).dispatchable


def test_merge_never_moves_a_terminal_state_back():
    cancelled = make(state=SourceOrderState.CANCELLED, source_status_raw="9", cancel_requested=True)
    late_paid = make(state=SourceOrderState.NEW, note="newer note")
    out = merge(cancelled, late_paid)
    assert out.state is SourceOrderState.CANCELLED
    assert out.source_status_raw == "9"
    assert out.cancel_requested
    assert out.note == "newer note"


def test_merge_moves_forward_and_keeps_refund_and_day_no():
    old = make(refund_state=RefundState.APPLIED)
    new = make(state=SourceOrderState.CONFIRMED, source_status_raw="4", display_no=None)
    out = merge(old, new)
    assert out.state is SourceOrderState.CONFIRMED
    assert out.refund_state is RefundState.APPLIED
    assert out.display_no == 12


def test_merge_keeps_the_full_copy_over_a_degraded_one():
    full = make()
    degraded = make(
        data_degraded=True,
        recipient=SourceRecipient("美团客人"),
        state=SourceOrderState.CONFIRMED,
    )
    out = merge(full, degraded)
    assert out.recipient.name == "陆(先生)"
    assert out.state is SourceOrderState.CONFIRMED
    assert not out.data_degraded


def test_merge_refuses_different_orders():
    with pytest.raises(ValueError):
        merge(make(), make(source_order_id="1"))


def test_to_order_is_a_board_order():
    o = to_order(make(), received_at=T0)
    assert o.pos_order_id == "meituan:27061900338318741"
    assert o.channel is Channel.MEITUAN
    assert o.pickup_no == "美团 #12"
    assert o.customer.phone == "13812345678_1234"  # the dialable virtual number
    assert (o.total_fen, o.goods_value_fen, o.delivery_fee_fen) == (3850, 3200, 500)
    assert o.customer.address.lat == 39.9075
    assert o.extra["dispatch"] is True
    assert o.extra["source_order_id"] == "27061900338318741"


def test_to_order_marks_orders_never_dispatched_and_missing_points():
    so = make(
        fulfilment=FulfilmentMode.PICKUP,
        recipient=SourceRecipient("美团客人"),
        items=(),
        is_reservation=True,
        expected_delivery_at=T0,
    )
    o = to_order(so)
    assert o.extra["dispatch"] is False
    assert o.extra["needs_geocode"] is True
    assert o.goods_value_fen == 3850 - 500 - 150
    assert o.scheduled_at == T0


states = st.sampled_from(list(SourceOrderState))


@given(states, states)
def test_merge_rank_never_decreases(a: SourceOrderState, b: SourceOrderState):
    out = merge(make(state=a), make(state=b))
    assert out.state.rank >= a.rank
    if a.terminal:
        assert out.state is a
