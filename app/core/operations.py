"""What the UI may do with an order now (``OrderActions``) and the carrier facts it shows.

Both are decided here, in the core, from the carrier rules and the attempt's state, so
the UI never re-implements a tip cap, a "can dispatch" test or a match on English text:
it enables the buttons in ``allowed``, highlights ``resolves`` and bounds the tip input
by ``tip``. Pure: no I/O beyond reading the carrier registry (static data)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.core.board import BoardRow, Lane
from app.core.carriers.registry import CARRIER_IDS, CARRIERS, SELF_DELIVERY, rules
from app.core.carriers.rules import CarrierRules
from app.core.domain import DeliveryAttempt, DeliveryStatus
from app.core.domain.attention import AttentionReason

R = AttentionReason


class Action(StrEnum):
    """An operator action on one order; the value is the detail panel's button key."""

    QUOTE = "quote"
    DISPATCH = "best"
    TIP = "tip"
    CANCEL = "cancel"
    REDISPATCH = "redispatch"
    PRINT = "print"
    SELF_DELIVERED = "self"
    REFRESH = "refresh"


@dataclass(frozen=True, slots=True)
class TipRange:
    """What a tip may be now: ``min_fen``..``max_fen`` in steps of ``step_fen``."""

    min_fen: int
    step_fen: int
    max_fen: int
    current_fen: int


@dataclass(frozen=True, slots=True)
class OrderActions:
    allowed: frozenset[Action]
    resolves: Action | None = None  # the action that resolves the attention reason
    tip: TipRange | None = None


NO_ACTIONS = OrderActions(frozenset())
# what an order the platform delivers itself (or the customer collects) never offers
NOT_DISPATCHED = frozenset(
    {Action.QUOTE, Action.DISPATCH, Action.REDISPATCH, Action.SELF_DELIVERED}
)
TIP_CEILING_FEN = 100_00  # per tip, when a carrier states no cap of its own

# the action that resolves each reason an order needs a human
RESOLUTIONS: dict[AttentionReason, Action] = {
    R.NO_RIDER: Action.TIP,
    R.TRACKING_STALE: Action.REFRESH,
    R.GOODS_RETURNING: Action.SELF_DELIVERED,
    R.GOODS_RETURNED: Action.SELF_DELIVERED,
    R.CANCEL_PENDING: Action.REFRESH,
    R.CANCEL_UNCONFIRMED: Action.REFRESH,
    R.CREATE_UNKNOWN: Action.REFRESH,
    R.TOO_OLD: Action.DISPATCH,
    R.PLATFORM_CANCELLED: Action.CANCEL,
}


def carrier_rules(carrier: str) -> CarrierRules | None:
    """The rules of a carrier with an adapter; None for self delivery or an unknown id."""
    return rules(carrier) if carrier in CARRIER_IDS else None


def tip_range(attempt: DeliveryAttempt) -> TipRange | None:
    """The tip the carrier takes now, or None (no tips, not now, or at the cap)."""
    r = carrier_rules(attempt.carrier)
    if r is None or not r.tips.supported or not attempt.status.live:
        return None
    t = r.tips
    if t.only_before_accept and attempt.status is not DeliveryStatus.PENDING_ACCEPT:
        return None
    cap = (t.max_total_fen - attempt.tip_fen) if t.max_total_fen else TIP_CEILING_FEN
    if cap < t.min_fen:
        return None
    return TipRange(t.min_fen, max(t.step_fen, 1), cap, attempt.tip_fen)


def order_actions(row: BoardRow) -> OrderActions:
    """What the operator may do with the order in ``row`` now (pure)."""
    a = row.attempt
    live = a is not None and a.status.live
    open_ = row.lane not in (Lane.DONE, Lane.CANCELLED)
    tip = tip_range(a) if a is not None and live else None
    allowed = {Action.PRINT}
    if open_:
        allowed.add(Action.SELF_DELIVERED)
        if not live:
            allowed.add(Action.QUOTE)
    if row.lane is Lane.NEW or (row.lane is Lane.ATTENTION and not live):
        allowed.add(Action.DISPATCH)
    if live:
        allowed |= {Action.CANCEL, Action.REFRESH}
    if tip is not None:
        allowed.add(Action.TIP)
    if open_ and row.lane is Lane.ATTENTION:
        allowed.add(Action.REDISPATCH)
    if row.order.extra.get("dispatch") is False:
        # 平台配送 / 自取 from an order source: shown and printed, never dispatched by us
        allowed -= NOT_DISPATCHED
        return OrderActions(frozenset(allowed), None, tip)
    resolves = _resolution(row, tip)
    if resolves is not None:
        allowed.add(resolves)  # the highlighted way out is always clickable
    return OrderActions(frozenset(allowed), resolves, tip)


def _resolution(row: BoardRow, tip: TipRange | None) -> Action | None:
    if row.lane is not Lane.ATTENTION or row.attention is None:
        return None
    action = RESOLUTIONS.get(row.attention.reason, Action.REDISPATCH)
    if action is Action.TIP and tip is None:
        return Action.REDISPATCH  # no tip possible: another carrier is the way out
    return action


SELF_COLOUR = "#52c41a"  # self delivery has no carrier folder; each carrier's is in its rules


@dataclass(frozen=True, slots=True)
class CarrierFacts:
    """What the UI shows or asks about one carrier (names, colour, credentials, rules)."""

    id: str
    name_zh: str
    name_en: str
    colour: str
    rules: CarrierRules | None  # None for self delivery (no adapter)

    def name(self, lang: str = "zh") -> str:
        return self.name_zh if lang == "zh" else self.name_en


def carrier_facts() -> dict[str, CarrierFacts]:
    """Every carrier in registry order, then self delivery; built from the registry."""
    out = {
        m.id: CarrierFacts(m.id, m.rules.name_zh, m.rules.name_en, m.colour, m.rules)
        for m in CARRIERS
    }
    out[SELF_DELIVERY] = CarrierFacts(SELF_DELIVERY, "自配送", "Self delivery", SELF_COLOUR, None)
    return out
