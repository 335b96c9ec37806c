"""Carrier rules as data. Dispatch and the UI read these; nothing about a carrier is
hard-coded elsewhere. Each carrier's ``rules.py`` builds one ``CarrierRules``."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core.domain import DeliveryStatus


@dataclass(frozen=True, slots=True)
class TipRules:
    supported: bool
    mode: str = "add"  # "add": each call adds; "replace": each call sets a new, larger total
    min_fen: int = 100
    step_fen: int = 100  # amounts must be multiples of this
    max_total_fen: int | None = None
    max_times: int | None = None
    allowed_steps_fen: tuple[int, ...] = ()  # fixed menu, when the carrier has one
    only_before_accept: bool = True
    note: str = ""

    def validate(self, current_total_fen: int, add_fen: int, times_so_far: int) -> str | None:
        """Return why a tip of ``add_fen`` on top of ``current_total_fen`` is refused."""
        if not self.supported:
            return "carrier does not take tips"
        if add_fen < self.min_fen:
            return f"tip below minimum {self.min_fen} fen"
        if self.step_fen and add_fen % self.step_fen:
            return f"tip must be a multiple of {self.step_fen} fen"
        if self.allowed_steps_fen and add_fen not in self.allowed_steps_fen:
            return "tip not in the carrier's fixed steps"
        if self.max_total_fen is not None and current_total_fen + add_fen > self.max_total_fen:
            return f"total tip above cap {self.max_total_fen} fen"
        if self.max_times is not None and times_so_far >= self.max_times:
            return f"at most {self.max_times} tips"
        return None


@dataclass(frozen=True, slots=True)
class CancelRules:
    # the last status in which the merchant may still cancel through the API
    allowed_until: DeliveryStatus = DeliveryStatus.AT_PICKUP
    has_preview: bool = True  # a fee-preview call exists
    # seconds after acceptance during which a cancel is known to be free (0 = never known)
    free_after_accept_s: int = 0
    free_before_accept: bool = True
    note: str = ""

    def cancellable(self, status: DeliveryStatus) -> bool:
        if status.terminal:
            return False
        if status in (DeliveryStatus.CANCEL_REQUESTED, DeliveryStatus.RETURNING):
            return False
        return status.rank <= self.allowed_until.rank


@dataclass(frozen=True, slots=True)
class CarrierRules:
    id: str
    name_zh: str
    name_en: str
    production_base_url: str
    sandbox_base_url: str
    quote_binding: bool  # True: create uses the quote's token at the quoted price
    quote_ttl_s: int | None  # None: estimate only / unknown
    tips: TipRules
    cancel: CancelRules
    position_batch: int  # attempts per rider-position request
    rate_limit_per_s: float  # requests per second we allow ourselves per carrier
    coord_system: str  # what goes on the wire: "gcj02", "bd09", "gcj02_e6"
    money_unit: str  # "fen" or "yuan"; "cents": minor units of [store] currency
    accept_timeout_s: int  # default wait for a rider before failing over
    poll_interval_s: int = 30  # base tracking interval for a live attempt
    capabilities: frozenset[str] = field(default_factory=frozenset)
    credential_keys: tuple[str, ...] = ()  # config keys, in [carriers.<id>]
    secret_keys: tuple[str, ...] = ()  # those of them kept in the secret store
    rehearsal_credentials: dict[str, str] = field(default_factory=dict)  # sandbox values
    unverified: tuple[str, ...] = ()  # facts tagged [?] upstream, made configurable
    # an international carrier (DoorDash ...): money in the store's currency minor units;
    # a store in China only sees it when its [carriers.<id>] says enabled = true
    overseas: bool = False

    def has(self, capability: str) -> bool:
        return capability in self.capabilities
