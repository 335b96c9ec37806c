"""The pure order parser: examples, coordinate handling, and hypothesis properties
(valid payloads always parse; arbitrary JSON never raises anything but
OrderValidationError)."""

import copy
import random
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.config import StoreSettings
from app.core.domain import Channel, CoordSystem, DispatchMode
from app.core.geo import bd09_to_gcj02, wgs84_to_gcj02
from app.core.pos.schema import OrderValidationError, parse_order
from app.core.pos.sim import make_order_payload
from tests.fakes.pos import payload

STORE = StoreSettings()


def error_of(p, **kw) -> OrderValidationError:
    with pytest.raises(OrderValidationError) as ei:
        parse_order(p, default_dispatch="manual", **kw)
    return ei.value


def test_minimal_payload_with_defaults():
    o = parse_order(payload(), default_dispatch="auto")
    assert o.pos_order_id == "P1001" and o.channel is Channel.POS
    assert o.created_at == datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
    assert o.dispatch_mode is DispatchMode.AUTO
    assert o.goods_value_fen == 3800 and o.delivery_fee_fen == 0 and o.weight_g == 1000
    a = o.customer.address
    assert (a.lat, a.lng, a.orig_system) == (31.233, 121.476, CoordSystem.GCJ02)


def test_explicit_dispatch_and_extension_fields_win():
    o = parse_order(
        payload(dispatch="manual", delivery_fee_fen=500, note="少辣\n放门口"),
        default_dispatch="auto",
    )
    assert o.dispatch_mode is DispatchMode.MANUAL and o.delivery_fee_fen == 500
    assert o.note == "少辣\n放门口"


@pytest.mark.parametrize("system,conv", [("bd09", bd09_to_gcj02), ("wgs84", wgs84_to_gcj02)])
def test_coordinates_converted_to_gcj02_original_kept(system, conv):
    c = dict(payload()["customer"], coord_system=system)
    a = parse_order(payload(customer=c)).customer.address
    assert (a.lat, a.lng) == pytest.approx(conv(31.233, 121.476))
    assert (a.orig_system, a.orig_lat, a.orig_lng) == (CoordSystem(system), 31.233, 121.476)


def test_rfc3339_variants():
    for text in ["2026-11-24T04:00:00Z", "2026-11-24t04:00:00z", "2026-11-24 12:00:00.5+08:00"]:
        assert parse_order(payload(created_at=text)).created_at.tzinfo is UTC


@pytest.mark.parametrize(
    "mutate,field,code",
    [
        (lambda p: p.pop("pos_order_id"), "pos_order_id", "missing_field"),
        (lambda p: p.update(pos_order_id="x" * 65), "pos_order_id", "invalid_field"),
        (lambda p: p.update(pos_order_id=7), "pos_order_id", "invalid_field"),
        (lambda p: p.update(channel="fax"), "channel", "invalid_field"),
        (lambda p: p.pop("channel"), "channel", "missing_field"),
        (lambda p: p.update(created_at="2026-11-24T12:00:00"), "created_at", "invalid_field"),
        (lambda p: p.update(created_at="2026-13-40T12:00:00Z"), "created_at", "invalid_field"),
        (lambda p: p.update(total_fen=12.5), "total_fen", "invalid_field"),
        (lambda p: p.update(total_fen=True), "total_fen", "invalid_field"),
        (lambda p: p.update(total_fen=-1), "total_fen", "invalid_field"),
        (lambda p: p.update(items={}), "items", "invalid_field"),
        (lambda p: p["items"][0].update(qty=0), "items[0].qty", "invalid_field"),
        (lambda p: p["items"].append("x"), "items[1]", "invalid_field"),
        (lambda p: p.update(customer=[]), "customer", "invalid_field"),
        (lambda p: p["customer"].update(lat=91), "customer.lat", "invalid_field"),
        (lambda p: p["customer"].update(lng="121"), "customer.lng", "invalid_field"),
        (lambda p: p["customer"].update(phone="call me"), "customer.phone", "invalid_field"),
        (lambda p: p["customer"].update(name="  "), "customer.name", "missing_field"),
        (
            lambda p: p["customer"].update(coord_system="mars"),
            "customer.coord_system",
            "invalid_field",
        ),
        (lambda p: p["customer"].update(address="a\x00b"), "customer.address", "invalid_field"),
        (lambda p: p.update(note="\ud800"), "note", "invalid_field"),
        (lambda p: p.update(dispatch="later"), "dispatch", "invalid_field"),
        (lambda p: p.update(weight_g=0), "weight_g", "invalid_field"),
    ],
)
def test_invalid_fields_are_422_with_the_field(mutate, field, code):
    p = payload()
    mutate(p)
    e = error_of(p)
    assert (e.status, e.code, e.field) == (422, code, field)
    assert e.as_dict()["error"]["field"] == field


@pytest.mark.parametrize("body", [[], "x", 3, None])
def test_non_object_is_400(body):
    assert error_of(body).status == 400


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32), seq=st.integers(0, 10**6))
def test_generated_pos_payloads_always_parse(seed, seq):
    p = make_order_payload(random.Random(seed), STORE, seq)
    o = parse_order(copy.deepcopy(p), default_dispatch="manual")
    assert o.pos_order_id == p["pos_order_id"]
    assert o.total_fen == sum(i.qty * i.price_fen for i in o.items) + o.delivery_fee_fen


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
_keys = st.sampled_from(list(payload()) + ["customer", "dispatch", "note", "weight_g"])


@settings(max_examples=300, deadline=None)
@given(base=st.just(payload()), edits=st.dictionaries(_keys, _json, max_size=4))
def test_arbitrary_json_only_raises_validation_errors(base, edits):
    p = dict(copy.deepcopy(base), **edits)
    try:
        o = parse_order(p, default_dispatch="manual")
    except OrderValidationError as e:
        assert e.status in (400, 422) and e.code and e.message
    else:
        assert 1 <= len(o.pos_order_id) <= 64


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["name", "phone", "address", "lat", "lng", "coord_system"]), _json
    )
)
def test_arbitrary_customer_only_raises_validation_errors(customer):
    try:
        parse_order(payload(customer=customer), default_dispatch="manual")
    except OrderValidationError as e:
        assert e.status == 422 and e.field and e.field.startswith("customer")


def test_mini_program_spelling_is_the_miniprogram_channel():
    """A merchant's own mini-program backend (README "Your own mini-program or website")
    may write the channel as issue 17 does; anything else stays refused."""
    body = payload(channel="mini_program")
    assert parse_order(body).channel is Channel.MINIPROGRAM
    assert parse_order(payload(channel="miniprogram")).channel is Channel.MINIPROGRAM
    with pytest.raises(OrderValidationError):
        parse_order(payload(channel="mini-program"))
