"""Carrier choice as pure functions: strategy, rules and an explanation of every decision.

``decide`` takes the quotes and everything else it needs as plain values (no I/O, no
clock) and returns a ``Decision``: the eligible carriers in the order they should be
tried, the reason each other carrier was left out, the scores, and a short message plus
a JSON-able ``data`` dict that goes into the order's event log verbatim.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.core.config import DispatchSettings
from app.core.domain import Quote

DEFAULT_RELIABILITY = 0.8  # a carrier with no history here: neither trusted nor shunned
UNKNOWN_TIME_S = 3600  # a quote without any ETA ranks behind those that give one


@dataclass(frozen=True, slots=True)
class PolicyInput:
    quotes: tuple[Quote, ...]
    channel: str = "pos"
    distance_m: int | None = None
    minutes_since_received: float = 0.0
    reliability: Mapping[str, float] = field(default_factory=dict)
    unavailable: frozenset[str] = frozenset()  # breaker open
    tried: frozenset[str] = frozenset()  # carriers this order already failed with
    forced: str | None = None  # the cashier picked this carrier


@dataclass(frozen=True, slots=True)
class Scored:
    carrier: str
    fee_fen: int
    time_s: int
    reliability: float
    score: float
    quote: Quote


@dataclass(frozen=True, slots=True)
class Decision:
    strategy: str
    ranked: tuple[Scored, ...]  # eligible, best first
    rejected: Mapping[str, str]  # carrier -> why not eligible
    message: str
    data: dict[str, Any]

    @property
    def chosen(self) -> Scored | None:
        return self.ranked[0] if self.ranked else None


@dataclass(frozen=True, slots=True)
class _Rules:
    strategy: str
    preferred: tuple[str, ...]
    excluded: frozenset[str]


def effective_rules(settings: DispatchSettings, channel: str) -> _Rules:
    """``channel_overrides`` replace strategy / preferred / excluded for one channel."""
    ov = settings.channel_overrides.get(channel)
    strategy = (ov.strategy if ov and ov.strategy else None) or settings.strategy
    preferred = ov.preferred if ov and ov.preferred is not None else settings.preferred
    excluded = ov.excluded if ov and ov.excluded is not None else settings.excluded
    return _Rules(strategy, tuple(preferred), frozenset(excluded))


def quote_time_s(q: Quote) -> int:
    """Expected seconds until the goods leave the shop (acceptance + travel)."""
    if q.pickup_eta_s is not None:
        return q.pickup_eta_s
    if q.accept_eta_s is not None:
        return q.accept_eta_s
    return q.delivery_eta_s if q.delivery_eta_s is not None else UNKNOWN_TIME_S


def band_carriers(settings: DispatchSettings, distance_m: int | None) -> set[str] | None:
    """The carriers allowed by the first distance band that covers ``distance_m``."""
    if distance_m is None or not settings.distance_bands:
        return None
    for band in sorted(settings.distance_bands, key=lambda b: b.max_m):
        if distance_m <= band.max_m:
            return set(band.carriers)
    return None


def why_ineligible(
    q: Quote, inp: PolicyInput, settings: DispatchSettings, rules: _Rules, band: set[str] | None
) -> str | None:
    c = q.carrier
    if c in inp.unavailable:
        return "circuit breaker open (carrier failing)"
    if inp.forced is not None:
        return None if c == inp.forced else f"cashier chose {inp.forced}"
    if c in inp.tried:
        return "already tried for this order"
    if c in rules.excluded:
        return "excluded by rule"
    if settings.fee_cap_fen is not None and q.fee_fen > settings.fee_cap_fen:
        return f"fee {q.fee_fen} fen above cap {settings.fee_cap_fen}"
    pickup, cap = q.pickup_eta_s, settings.max_pickup_s
    if cap is not None and pickup is not None and pickup > cap:
        return f"pickup in {pickup}s, above max {cap}s"
    if band is not None and c not in band:
        return f"not in the distance band for {inp.distance_m} m"
    return None


def score(
    q: Quote, strategy: str, settings: DispatchSettings, inp: PolicyInput, best: tuple[int, int]
) -> Scored:
    """Higher is better. Cheapest and fastest rank on one axis (ties by the other);
    balanced mixes normalised price, time and measured reliability by the weights."""
    rel = float(inp.reliability.get(q.carrier, DEFAULT_RELIABILITY))
    fee, t = q.fee_fen, quote_time_s(q)
    if strategy == "cheapest":
        s = -fee - t / 1e6
    elif strategy == "fastest":
        s = -float(t) - fee / 1e6
    else:
        price_s = best[0] / fee if fee > 0 else 1.0
        time_s = best[1] / t if t > 0 else 1.0
        s = (
            settings.weight_price * price_s
            + settings.weight_time * time_s
            + settings.weight_reliability * rel
        )
    return Scored(q.carrier, fee, t, round(rel, 4), round(s, 6), q)


def _order(scored: list[Scored], preferred: tuple[str, ...], use_pref: bool) -> list[Scored]:
    ranked = sorted(scored, key=lambda s: (-s.score, s.fee_fen, s.carrier))
    if not use_pref:
        return ranked
    pos = {c: i for i, c in enumerate(preferred)}
    return sorted(ranked, key=lambda s: pos.get(s.carrier, len(pos)))


def decide(inp: PolicyInput, settings: DispatchSettings) -> Decision:
    rules = effective_rules(settings, inp.channel)
    band = band_carriers(settings, inp.distance_m)
    quotes = _best_per_carrier(inp.quotes)
    rejected: dict[str, str] = {}
    eligible: list[Quote] = []
    for q in quotes:
        why = why_ineligible(q, inp, settings, rules, band)
        if why is None:
            eligible.append(q)
        else:
            rejected[q.carrier] = why
    best = (
        min((q.fee_fen for q in eligible), default=0),
        min((quote_time_s(q) for q in eligible), default=0),
    )
    scored = [score(q, rules.strategy, settings, inp, best) for q in eligible]
    use_pref = bool(rules.preferred) and inp.minutes_since_received < settings.preferred_minutes
    ranked = _order(scored, rules.preferred, use_pref and inp.forced is None)
    return explain(inp, rules, ranked, rejected, use_pref)


def _best_per_carrier(quotes: tuple[Quote, ...]) -> list[Quote]:
    by: dict[str, Quote] = {}
    for q in quotes:
        if q.carrier not in by or q.fee_fen < by[q.carrier].fee_fen:
            by[q.carrier] = q
    return list(by.values())


def _why_chosen(top: Scored, rules: _Rules, inp: PolicyInput, use_pref: bool) -> str:
    if inp.forced is not None:
        return "chosen by the cashier"
    if use_pref and top.carrier in rules.preferred:
        return f"preferred carrier (first {len(rules.preferred)} in the preferred list window)"
    return {
        "cheapest": f"cheapest eligible quote ({top.fee_fen} fen)",
        "fastest": f"fastest eligible pickup ({top.time_s}s)",
    }.get(rules.strategy, f"best balanced score {top.score:.3f}")


def _why_not(s: Scored, top: Scored, rank: int) -> str:
    parts = [f"ranked #{rank}"]
    if s.fee_fen != top.fee_fen:
        parts.append(f"fee {s.fee_fen - top.fee_fen:+d} fen")
    if s.time_s != top.time_s:
        parts.append(f"time {s.time_s - top.time_s:+d}s")
    if s.reliability != top.reliability:
        parts.append(f"reliability {s.reliability - top.reliability:+.2f}")
    return ", ".join(parts) + "; kept as failover"


def explain(
    inp: PolicyInput,
    rules: _Rules,
    ranked: list[Scored],
    rejected: dict[str, str],
    use_pref: bool,
) -> Decision:
    not_chosen = dict(rejected)
    why = "no eligible carrier"
    if ranked:
        top = ranked[0]
        why = _why_chosen(top, rules, inp, use_pref)
        for i, s in enumerate(ranked[1:], start=2):
            not_chosen[s.carrier] = _why_not(s, top, i)
    data = _data(inp, rules, ranked, why, not_chosen, use_pref)
    head = f"{ranked[0].carrier}: {why}" if ranked else why
    others = "; ".join(f"{c}: {r}" for c, r in not_chosen.items())
    message = f"[{rules.strategy}] {head}" + (f" | others — {others}" if others else "")
    return Decision(rules.strategy, tuple(ranked), rejected, message, data)


def _data(
    inp: PolicyInput,
    rules: _Rules,
    ranked: list[Scored],
    why: str,
    not_chosen: dict[str, str],
    use_pref: bool,
) -> dict[str, Any]:
    """The decision's inputs, scores and reasons, JSON-able, for the order's log."""
    return {
        "strategy": rules.strategy,
        "inputs": {
            "channel": inp.channel,
            "distance_m": inp.distance_m,
            "minutes_since_received": round(inp.minutes_since_received, 2),
            "preferred": list(rules.preferred) if use_pref else [],
            "excluded": sorted(rules.excluded),
            "unavailable": sorted(inp.unavailable),
            "tried": sorted(inp.tried),
            "forced": inp.forced,
            "quotes": {q.carrier: q.fee_fen for q in inp.quotes},
        },
        "scores": {
            s.carrier: {
                "fee_fen": s.fee_fen,
                "time_s": s.time_s,
                "rel": s.reliability,
                "score": s.score,
            }
            for s in ranked
        },
        "ranked": [s.carrier for s in ranked],
        "chosen": ranked[0].carrier if ranked else None,
        "why": why,
        "why_not": not_chosen,
    }
