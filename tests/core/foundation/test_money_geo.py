"""Money and coordinate conversions: exact rounding, round trips within 1 fen / 1e-6°."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core import geo
from app.core.money import fen_to_yuan, fmt_yuan, yuan_str, yuan_to_fen


@pytest.mark.parametrize(
    ("value", "fen"),
    [("12.345", 1235), (12.3, 1230), ("0.005", 1), ("0.004", 0), (7, 700), ("-1.005", -101)],
)
def test_yuan_to_fen_half_up(value, fen):
    assert yuan_to_fen(value) == fen


def test_bool_is_not_money():
    with pytest.raises(TypeError):
        yuan_to_fen(True)


def test_formats():
    assert yuan_str(1235) == "12.35" and yuan_str(1235, 1) == "12.4"
    assert fmt_yuan(-50) == "-¥0.50" and fmt_yuan(None) == "—"


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_fen_round_trip(fen):
    assert yuan_to_fen(fen_to_yuan(fen)) == fen
    assert yuan_to_fen(str(fen_to_yuan(fen))) == fen
    assert yuan_to_fen(float(fen_to_yuan(fen))) == fen  # a carrier's float, via repr


@given(st.decimals(min_value=-100000, max_value=100000, places=4, allow_nan=False))
def test_yuan_to_fen_within_half_fen(d):
    assert abs(Decimal(yuan_to_fen(d)) - d * 100) <= Decimal("0.5")


lat_s = st.floats(min_value=18.0, max_value=53.0, allow_nan=False)
lng_s = st.floats(min_value=73.0, max_value=135.0, allow_nan=False)


@given(lat_s, lng_s)
def test_bd09_round_trip(lat, lng):
    b = geo.gcj02_to_bd09(lat, lng)
    back = geo.bd09_to_gcj02(*b)
    assert abs(back[0] - lat) < 1e-6 and abs(back[1] - lng) < 1e-6


@given(lat_s, lng_s)
def test_wgs84_round_trip(lat, lng):
    g = geo.wgs84_to_gcj02(lat, lng)
    back = geo.gcj02_to_wgs84(*g)
    assert abs(back[0] - lat) < 1e-6 and abs(back[1] - lng) < 1e-6


@given(lat_s, lng_s)
def test_e6_round_trip(lat, lng):
    assert abs(geo.from_e6(geo.to_e6(lat)) - lat) <= 5e-7
    assert isinstance(geo.to_e6(lng), int)


def test_known_offsets_and_distance():
    # the BD-09 offset is about 0.006°; Tiananmen GCJ-02 -> BD-09 by the standard formula
    b = geo.gcj02_to_bd09(39.908692, 116.397477)
    assert abs(b[0] - 39.915) < 0.002 and abs(b[1] - 116.404) < 0.002
    assert 1100 < geo.distance_m(31.2304, 121.4737, 31.2400, 121.4800) < 1300
    assert geo.to_gcj02("gcj02", 1.0, 2.0) == (1.0, 2.0)
    with pytest.raises(ValueError):
        geo.to_gcj02("mercator", 1.0, 2.0)


def test_fmt_money_per_store_currency():
    from app.core.money import fmt_money

    assert fmt_money(975, "USD") == "$9.75"
    assert fmt_money(1235) == fmt_yuan(1235) == "¥12.35"
    assert fmt_money(-250, "cad") == "-CA$2.50"
    assert fmt_money(975, "JPY") == "JP¥975"  # no minor unit
    assert fmt_money(975, "CHF") == "CHF 9.75"
    assert fmt_money(None, "USD") == "—"
