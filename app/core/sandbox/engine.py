"""The carrier-neutral simulated world behind every sandbox.

Orders follow a timeline on an accelerated clock (``speed`` sim seconds per real second,
plus manual ``advance``): accept, at shop, picked up, at drop-off, delivered, or a
scenario's variant (no rider, rider cancels and the order is re-thrown, delivery failure
and return). Riders move along store -> customer. Everything random comes from one seed.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from app.core.clock import LOCAL_TZ
from app.core.geo import distance_m


class SimState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    AT_PICKUP = "at_pickup"
    PICKED_UP = "picked_up"
    AT_DROPOFF = "at_dropoff"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNING = "returning"
    RETURNED = "returned"


TERMINAL = {SimState.DELIVERED, SimState.CANCELLED, SimState.RETURNED}


class Scenario(StrEnum):
    NORMAL = "normal"
    NO_RIDER = "no_rider"
    RIDER_CANCELS = "rider_cancels"  # accepted, rider withdraws, re-thrown, new rider
    RETURN = "return"  # picked up, delivery fails, goods come back
    SLOW = "slow"  # a rider accepts, but late


Point = tuple[float, float]  # (lat, lng), GCJ-02


@dataclass
class Faults:
    """What the next requests to one carrier suffer. Rates are probabilities 0..1."""

    latency_ms: int = 0
    hang: bool = False  # never answer (until the client gives up)
    error_5xx: float = 0.0
    malformed: float = 0.0
    rate_limit: float = 0.0
    auth: bool = False  # reject our signature as the carrier would
    insufficient_balance: bool = False  # creates fail with the carrier's balance error
    hang_after_create: bool = False  # create is done, the answer never comes


@dataclass
class Timeline:
    accept_s: float = 30
    at_pickup_s: float = 180
    picked_up_s: float = 300
    at_dropoff_s: float = 900
    delivered_s: float = 960


@dataclass
class SimQuote:
    carrier: str
    token: str
    fee_fen: int
    distance_m: int
    accept_eta_s: int
    pickup_eta_s: int
    delivery_eta_s: int
    expires_at: float  # sim seconds
    src: tuple[float, float]
    dst: tuple[float, float]
    weight_g: int
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class SimOrder:
    carrier: str
    key: str  # the merchant's idempotency key (origin id)
    carrier_order_id: str
    created_at: float  # sim seconds
    scenario: Scenario
    timeline: list[tuple[float, SimState, int]]  # (offset, state, rider index)
    fee_fen: int
    distance_m: int
    src: tuple[float, float]
    dst: tuple[float, float]
    riders: list[tuple[str, str]]
    rider_start: tuple[float, float]
    tip_fen: int = 0
    tip_count: int = 0
    cancelled: tuple[float, int, str] | None = None  # (sim time, fee fen, by)
    return_confirmed: bool = False
    callback_url: str = ""
    notified: str = ""  # last state pushed by callback
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Snapshot:
    state: SimState
    rider: tuple[str, str] | None
    rider_index: int
    position: tuple[float, float] | None
    reassigned: bool
    times: dict[SimState, float]  # sim time each state was reached
    cancel_fee_fen: int
    cancelled_by: str


class SandboxEngine:
    def __init__(self, *, seed: int = 7, speed: float = 1.0, timeline: Timeline | None = None):
        self.seed = seed
        self.speed = speed
        self.timeline = timeline or Timeline()
        self._rng = random.Random(seed)
        self._start_mono = time.monotonic()
        self._offset = 0.0
        self.epoch = datetime.now(UTC)  # wall time at sim second 0
        self.quotes: dict[str, SimQuote] = {}
        self.orders: dict[str, dict[str, SimOrder]] = {}
        self.create_calls: dict[str, int] = {}
        self.request_counts: dict[str, int] = {}
        self.faults: dict[str, Faults] = {}
        self.scenario: dict[str, Scenario] = {}
        self.balance_fen: dict[str, int] = {}
        # per carrier, the disputed wire facts a sandbox plays ({"field_style": "camel"}):
        # each carrier's front reads its own names, with its default when unset
        self.variants: dict[str, dict[str, str]] = {}
        self._seq = itertools.count(1)

    # ------------------------------------------------------------------ clock
    def now(self) -> float:
        return (time.monotonic() - self._start_mono) * self.speed + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds

    def wall(self, sim_t: float | None = None) -> datetime:
        t = self.now() if sim_t is None else sim_t
        return self.epoch + timedelta(seconds=t)

    # ------------------------------------------------------------------ control
    def set_faults(self, carrier: str, faults: Faults) -> None:
        self.faults[carrier] = faults

    def set_scenario(self, carrier: str, scenario: Scenario) -> None:
        self.scenario[carrier] = scenario

    def set_variant(self, carrier: str, name: str, value: str) -> None:
        self.variants.setdefault(carrier, {})[name] = value

    def variant(self, carrier: str, name: str, default: str) -> str:
        return self.variants.get(carrier, {}).get(name, default)

    def reset(self) -> None:
        self.variants.clear()
        self.quotes.clear()
        self.orders.clear()
        self.create_calls.clear()
        self.request_counts.clear()
        self.faults.clear()
        self.scenario.clear()

    async def before_request(self, carrier: str, *, op: str) -> str | None:
        """Apply faults; return an action the protocol front must answer with, or None.

        Actions: "5xx", "malformed", "rate_limit", "auth", "balance" (creates only).
        A hang is served here by sleeping.
        """
        self.request_counts[carrier] = self.request_counts.get(carrier, 0) + 1
        f = self.faults.get(carrier)
        if f is None:
            return None
        if f.latency_ms:
            await asyncio.sleep(f.latency_ms / 1000)
        if f.hang:
            await asyncio.sleep(3600)
        if f.auth:
            return "auth"
        if f.rate_limit and self._rng.random() < f.rate_limit:
            return "rate_limit"
        if f.error_5xx and self._rng.random() < f.error_5xx:
            return "5xx"
        if f.malformed and self._rng.random() < f.malformed:
            return "malformed"
        if op == "create" and f.insufficient_balance:
            return "balance"
        return None

    async def after_create(self, carrier: str) -> None:
        f = self.faults.get(carrier)
        if f is not None and f.hang_after_create:
            await asyncio.sleep(3600)

    # ------------------------------------------------------------------ pricing
    def price(self, carrier: str, src: Point, dst: Point, weight_g: int) -> tuple[int, int]:
        d = int(distance_m(src[0], src[1], dst[0], dst[1]) * 1.3)  # road factor
        fee = 600
        if d > 3000:
            fee += -(-(d - 3000) // 1000) * 150
        if weight_g > 5000:
            fee += -(-(weight_g - 5000) // 1000) * 200
        hour = self.wall().astimezone(LOCAL_TZ).hour
        if hour >= 22 or hour < 6:
            fee += 300
        elif 11 <= hour < 13 or 17 <= hour < 19:
            fee += 200
        digest = hashlib.sha256(f"{self.seed}:{carrier}".encode()).digest()
        factor = 85 + digest[0] % 31  # 85%..115%, stable per carrier and seed
        fee = fee * factor // 100
        return max(fee // 10 * 10, 100), d

    def quote(
        self,
        carrier: str,
        src: Point,
        dst: Point,
        weight_g: int,
        *,
        ttl_s: float = 180,
        extra: dict[str, Any] | None = None,
    ) -> SimQuote:
        fee, d = self.price(carrier, src, dst, weight_g)
        t = self.timeline
        token = f"{carrier.upper()}Q{next(self._seq):08d}"
        q = SimQuote(
            carrier,
            token,
            fee,
            d,
            int(t.accept_s),
            int(t.picked_up_s),
            int(t.delivered_s + d / 5),
            self.now() + ttl_s,
            (src[0], src[1]),
            (dst[0], dst[1]),
            weight_g,
            dict(extra or {}),
        )
        self.quotes[token] = q
        return q

    def quote_valid(self, token: str) -> SimQuote | None:
        q = self.quotes.get(token)
        if q is None or self.now() > q.expires_at:
            return None
        return q

    # ------------------------------------------------------------------ orders
    def find(self, carrier: str, key: str) -> SimOrder | None:
        return self.orders.get(carrier, {}).get(key)

    def find_by_carrier_id(self, carrier: str, carrier_order_id: str) -> SimOrder | None:
        for o in self.orders.get(carrier, {}).values():
            if o.carrier_order_id == carrier_order_id:
                return o
        return None

    def create(
        self,
        carrier: str,
        key: str,
        *,
        src: Point,
        dst: Point,
        fee_fen: int,
        distance_m: int,
        callback_url: str = "",
        extra: dict[str, Any] | None = None,
    ) -> tuple[SimOrder, bool]:
        """Create (or find, if ``key`` exists) an order. Returns (order, created_now)."""
        self.create_calls[carrier] = self.create_calls.get(carrier, 0) + 1
        existing = self.find(carrier, key)
        if existing is not None:
            return existing, False
        scenario = self.scenario.get(carrier, Scenario.NORMAL)
        rng = random.Random(f"{self.seed}:{carrier}:{key}")
        cid = f"{carrier[:2].upper()}{int(self.now() * 1000) % 10**9:09d}{next(self._seq):05d}"
        riders = [
            (_rider_name(rng), f"1{rng.randint(3, 9)}{rng.randint(0, 10**9 - 1):09d}")
            for _ in range(2)
        ]
        start = (src[0] + rng.uniform(-0.008, 0.008), src[1] + rng.uniform(-0.008, 0.008))
        order = SimOrder(
            carrier,
            key,
            cid,
            self.now(),
            scenario,
            _timeline(self.timeline, scenario),
            fee_fen,
            distance_m,
            (src[0], src[1]),
            (dst[0], dst[1]),
            riders,
            start,
            callback_url=callback_url,
            extra=dict(extra or {}),
        )
        self.orders.setdefault(carrier, {})[key] = order
        return order, True

    def live_count(self, carrier: str | None = None) -> int:
        """Orders not in a terminal state (the 'exactly one live delivery' checks)."""
        n = 0
        for cid, orders in self.orders.items():
            if carrier and cid != carrier:
                continue
            n += sum(1 for o in orders.values() if self.snapshot(o).state not in TERMINAL)
        return n

    def snapshot(self, o: SimOrder) -> Snapshot:
        elapsed = self.now() - o.created_at
        state, rider_idx, had_rider = SimState.PENDING, -1, False
        times: dict[SimState, float] = {SimState.PENDING: o.created_at}
        for off, st, ridx in o.timeline:
            if off > elapsed or (o.cancelled and o.created_at + off > o.cancelled[0]):
                break
            had_rider = had_rider or rider_idx >= 0
            state, rider_idx = st, ridx
            times[st] = o.created_at + off
        reassigned = had_rider and (state is SimState.PENDING or rider_idx > 0)
        if o.cancelled:
            t = o.cancelled[0]
            if state in (SimState.PICKED_UP, SimState.AT_DROPOFF):
                state = SimState.RETURNING
                times[state] = t
            elif state not in TERMINAL and state is not SimState.RETURNING:
                state = SimState.CANCELLED
                times[state] = t
        if state is SimState.RETURNING and o.return_confirmed:
            state = SimState.RETURNED
            times[state] = self.now()
        assigned = rider_idx >= 0 and state is not SimState.PENDING
        rider = o.riders[rider_idx] if assigned else None
        pos = self._position(o, state, times) if rider else None
        fee, by = (o.cancelled[1], o.cancelled[2]) if o.cancelled else (0, "")
        return Snapshot(state, rider, rider_idx, pos, reassigned, times, fee, by)

    def _position(
        self, o: SimOrder, state: SimState, times: Mapping[SimState, float]
    ) -> tuple[float, float]:
        now, t = self.now(), self.timeline
        if state is SimState.ACCEPTED:
            f = min(1.0, (now - times[SimState.ACCEPTED]) / max(t.at_pickup_s - t.accept_s, 1))
            return _lerp(o.rider_start, o.src, f)
        if state in (SimState.AT_PICKUP, SimState.RETURNED, SimState.CANCELLED):
            return o.src
        if state is SimState.PICKED_UP:
            f = min(1.0, (now - times[SimState.PICKED_UP]) / max(t.at_dropoff_s - t.picked_up_s, 1))
            return _lerp(o.src, o.dst, f)
        if state is SimState.RETURNING:
            f = min(1.0, (now - times[SimState.RETURNING]) / 300)
            return _lerp(o.dst, o.src, f)
        return o.dst

    def cancel_fee(self, o: SimOrder) -> int:
        """Free before acceptance and within 60 s of it; 200 fen later; a return trip
        (half the fee) once the goods are picked up."""
        snap = self.snapshot(o)
        if snap.state is SimState.PENDING:
            return 0
        if snap.state in (SimState.PICKED_UP, SimState.AT_DROPOFF):
            return o.fee_fen // 2
        accepted = snap.times.get(SimState.ACCEPTED, self.now())
        return 0 if self.now() - accepted <= 60 else 200

    def cancel(self, o: SimOrder, *, by: str = "merchant") -> int:
        if o.cancelled:
            return o.cancelled[1]
        fee = self.cancel_fee(o)
        o.cancelled = (self.now(), fee, by)
        return fee

    def tip(self, o: SimOrder, amount_fen: int, *, replace: bool = False) -> int:
        o.tip_fen = amount_fen if replace else o.tip_fen + amount_fen
        o.tip_count += 1
        return o.tip_fen

    def stats(self) -> dict[str, Any]:
        return {
            "create_calls": dict(self.create_calls),
            "requests": dict(self.request_counts),
            "orders": {c: len(v) for c, v in self.orders.items()},
            "live": {c: self.live_count(c) for c in self.orders},
            "sim_now": self.now(),
        }


def _timeline(t: Timeline, s: Scenario) -> list[tuple[float, SimState, int]]:
    if s is Scenario.NO_RIDER:
        return [(0, SimState.PENDING, -1)]
    acc = t.accept_s * (8 if s is Scenario.SLOW else 1)
    base = [(0, SimState.PENDING, -1), (acc, SimState.ACCEPTED, 0)]
    shift = 0.0
    if s is Scenario.RIDER_CANCELS:
        base += [(acc + 40, SimState.PENDING, 0), (acc + 70, SimState.ACCEPTED, 1)]
        shift = 70
    rider = 1 if s is Scenario.RIDER_CANCELS else 0
    base += [
        (t.at_pickup_s + shift, SimState.AT_PICKUP, rider),
        (t.picked_up_s + shift, SimState.PICKED_UP, rider),
    ]
    if s is Scenario.RETURN:
        return base + [
            (t.at_dropoff_s, SimState.AT_DROPOFF, rider),
            (t.at_dropoff_s + 120, SimState.RETURNING, rider),
            (t.at_dropoff_s + 600, SimState.RETURNED, rider),
        ]
    return base + [
        (t.at_dropoff_s + shift, SimState.AT_DROPOFF, rider),
        (t.delivered_s + shift, SimState.DELIVERED, rider),
    ]


def _lerp(a: Point, b: Point, f: float) -> Point:
    return (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f)


_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"


def _rider_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN)
