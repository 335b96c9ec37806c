"""Race mode (opt-in ``[dispatch] race``): up to ``race_max`` carriers at once, only
carriers whose CancelRules make a cancel before acceptance free; the moment one rider
accepts, the others are cancelled (``reactions.Reactions``). The money at risk (a loser
accepting before our cancel lands) is computed and logged. Pure rules, no I/O."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.carriers.gateway import CarrierGateway
from app.core.dispatch.policy import Scored


@dataclass(frozen=True, slots=True)
class Risk:
    per_carrier_fen: dict[str, int]
    at_risk_fen: int


def racers(gateway: CarrierGateway, ranked: list[Scored], race_max: int) -> list[Scored]:
    ok = [s for s in ranked if gateway.get(s.carrier).rules.cancel.free_before_accept]
    return ok[: max(1, race_max)]


def money_at_risk(gateway: CarrierGateway, racing: list[Scored]) -> Risk:
    """If a loser's rider accepts before our cancel lands, the cancel may cost: free
    inside the carrier's free-after-accept window, else up to its fee (upper bound)."""
    per = {
        s.carrier: 0 if gateway.get(s.carrier).rules.cancel.free_after_accept_s > 0 else s.fee_fen
        for s in racing
    }
    return Risk(per, sum(per.values()) - min(per.values()))


def group_name(now_ts: float) -> str:
    return f"race{int(now_ts)}"
