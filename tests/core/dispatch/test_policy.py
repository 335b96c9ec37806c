"""Pure policy, breaker and token-bucket tests (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.core.config import ChannelOverride, DispatchSettings, DistanceBand
from app.core.dispatch.breaker import BreakerState, CircuitBreaker
from app.core.dispatch.policy import PolicyInput, decide
from app.core.dispatch.ratelimit import TokenBucket
from app.core.domain import Quote

NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
CARRIERS = ["dada", "shansong", "sf", "meituan", "fengniao", "uupt"]


def q(carrier: str, fee: int, pickup: int | None = None, dist: int = 2000) -> Quote:
    return Quote(
        carrier,
        fee,
        dist,
        NOW,
        binding=False,
        expires_at=NOW + timedelta(minutes=3),
        pickup_eta_s=pickup,
    )


QUOTES = (q("dada", 900, 600), q("sf", 700, 1200), q("meituan", 800, 300))


def test_cheapest_picks_min_fee_and_explains_every_quote():
    d = decide(PolicyInput(QUOTES), DispatchSettings(strategy="cheapest"))
    assert [s.carrier for s in d.ranked] == ["sf", "meituan", "dada"]
    assert d.data["chosen"] == "sf"
    assert set(d.data["why_not"]) == {"meituan", "dada"}
    assert set(d.data["inputs"]["quotes"]) == {"dada", "sf", "meituan"}
    assert "cheapest" in d.message


def test_fastest_picks_min_pickup():
    d = decide(PolicyInput(QUOTES), DispatchSettings(strategy="fastest"))
    assert d.chosen is not None and d.chosen.carrier == "meituan"


def test_balanced_uses_reliability():
    s = DispatchSettings(
        strategy="balanced", weight_price=0.1, weight_time=0.0, weight_reliability=0.9
    )
    d = decide(PolicyInput(QUOTES, reliability={"dada": 0.99, "sf": 0.1, "meituan": 0.2}), s)
    assert d.chosen is not None and d.chosen.carrier == "dada"
    assert d.data["scores"]["dada"]["rel"] == 0.99


def test_rules_exclude_cap_pickup_band_tried_breaker():
    s = DispatchSettings(excluded=["sf"], fee_cap_fen=850, max_pickup_s=500)
    d = decide(PolicyInput(QUOTES), s)
    assert [x.carrier for x in d.ranked] == ["meituan"]
    assert "excluded" in d.rejected["sf"] and "cap" in d.rejected["dada"]
    d = decide(
        PolicyInput(QUOTES, tried=frozenset({"sf"}), unavailable=frozenset({"meituan"})),
        DispatchSettings(),
    )
    assert [x.carrier for x in d.ranked] == ["dada"]
    assert "tried" in d.rejected["sf"] and "breaker" in d.rejected["meituan"]
    bands = DispatchSettings(
        distance_bands=[
            DistanceBand(max_m=3000, carriers=["dada"]),
            DistanceBand(max_m=99999, carriers=["sf"]),
        ]
    )
    assert decide(PolicyInput(QUOTES, distance_m=2500), bands).ranked[0].carrier == "dada"
    assert decide(PolicyInput(QUOTES, distance_m=8000), bands).ranked[0].carrier == "sf"
    d = decide(PolicyInput(QUOTES), DispatchSettings(max_pickup_s=100))
    assert not d.ranked and d.chosen is None and "no eligible" in d.message


def test_preferred_first_only_within_window_and_channel_override():
    s = DispatchSettings(preferred=["dada"], preferred_minutes=5)
    assert decide(PolicyInput(QUOTES, minutes_since_received=1), s).ranked[0].carrier == "dada"
    assert decide(PolicyInput(QUOTES, minutes_since_received=6), s).ranked[0].carrier == "sf"
    s = DispatchSettings(
        channel_overrides={"meituan": ChannelOverride(strategy="fastest", excluded=["meituan"])}
    )
    d = decide(PolicyInput(QUOTES, channel="meituan"), s)
    assert d.strategy == "fastest" and d.ranked[0].carrier == "dada"


def test_forced_carrier_wins_over_strategy():
    d = decide(PolicyInput(QUOTES, forced="dada"), DispatchSettings())
    assert [x.carrier for x in d.ranked] == ["dada"] and "cashier" in d.data["why"]


quote_lists = st.lists(
    st.tuples(
        st.sampled_from(CARRIERS),
        st.integers(100, 5000),
        st.one_of(st.none(), st.integers(60, 3600)),
    ),
    min_size=1,
    max_size=8,
)


@given(
    quote_lists,
    st.sampled_from(["cheapest", "fastest", "balanced"]),
    st.sets(st.sampled_from(CARRIERS)),
    st.one_of(st.none(), st.integers(100, 5000)),
)
def test_choice_is_always_eligible(raw, strategy, excluded, cap):
    quotes = tuple(q(c, f, p) for c, f, p in raw)
    d = decide(
        PolicyInput(quotes),
        DispatchSettings(strategy=strategy, excluded=sorted(excluded), fee_cap_fen=cap),
    )
    for s in d.ranked:
        assert s.carrier not in excluded
        assert cap is None or s.fee_fen <= cap
    assert {s.carrier for s in d.ranked}.isdisjoint(d.rejected)
    every = {x.carrier for x in quotes}
    explained = set(d.data["why_not"]) | ({d.data["chosen"]} if d.data["chosen"] else set())
    assert explained == every
    if strategy == "cheapest" and d.ranked:
        assert d.ranked[0].fee_fen == min(s.fee_fen for s in d.ranked)


def test_breaker_opens_then_half_open_probe():
    t = [0.0]
    b = CircuitBreaker(2, 10.0, lambda: t[0])
    b.failure()
    assert b.allow()
    b.failure()
    assert b.state is BreakerState.OPEN and not b.allow() and b.is_open()
    t[0] = 11
    assert b.allow() and b.state is BreakerState.HALF_OPEN
    assert not b.allow()  # one probe at a time
    b.failure()
    assert b.state is BreakerState.OPEN and not b.allow()
    t[0] = 22
    assert b.allow()
    b.success()
    assert b.state is BreakerState.CLOSED and b.allow()


def test_token_bucket_limits_rate():
    t = [0.0]
    b = TokenBucket(2.0, lambda: t[0])
    assert b.try_take() == 0 and b.try_take() == 0
    assert b.try_take() > 0
    t[0] = 0.5
    assert b.try_take() == 0
