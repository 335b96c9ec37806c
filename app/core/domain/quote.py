"""A carrier's price for one order."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Quote:
    carrier: str
    fee_fen: int
    distance_m: int
    quoted_at: datetime
    binding: bool  # True: the carrier will create at this price via ``token``
    expires_at: datetime | None = None
    token: str = ""  # Dada deliveryNo, Shansong orderNumber, UU priceToken ...
    accept_eta_s: int | None = None  # expected time until a rider accepts
    pickup_eta_s: int | None = None  # expected time until pickup
    delivery_eta_s: int | None = None  # expected time until delivered
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at
