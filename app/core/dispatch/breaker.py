"""Circuit breaker per carrier: after ``breaker_failures`` consecutive failures a carrier
is skipped for ``breaker_reset_s``; then one half-open probe decides whether it closes
again (success) or stays open for another period (failure). Time is a monotonic
callable so tests can drive it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class CircuitBreaker:
    failures_to_open: int
    reset_s: float
    now: Callable[[], float]
    state: BreakerState = BreakerState.CLOSED
    failures: int = 0
    opened_at: float = 0.0
    probing: bool = False

    def allow(self) -> bool:
        """May a call go out now? In half-open state only one probe at a time."""
        if self.state is BreakerState.CLOSED:
            return True
        if self.state is BreakerState.OPEN:
            if self.now() - self.opened_at < self.reset_s:
                return False
            self.state = BreakerState.HALF_OPEN
            self.probing = False
        if self.probing:
            return False
        self.probing = True
        return True

    def is_open(self) -> bool:
        """Read-only view for the policy: open and not yet due for a probe."""
        if self.state is BreakerState.OPEN:
            return self.now() - self.opened_at < self.reset_s
        return self.state is BreakerState.HALF_OPEN and self.probing

    def success(self) -> None:
        self.state, self.failures, self.probing = BreakerState.CLOSED, 0, False

    def failure(self) -> None:
        self.failures += 1
        if self.state is BreakerState.HALF_OPEN or self.failures >= self.failures_to_open:
            self.state, self.opened_at, self.probing = BreakerState.OPEN, self.now(), False


@dataclass
class Breakers:
    failures_to_open: int
    reset_s: float
    now: Callable[[], float]
    _by: dict[str, CircuitBreaker] = field(default_factory=dict)

    def get(self, carrier: str) -> CircuitBreaker:
        b = self._by.get(carrier)
        if b is None:
            b = self._by[carrier] = CircuitBreaker(self.failures_to_open, self.reset_s, self.now)
        return b

    def open_set(self) -> frozenset[str]:
        return frozenset(c for c, b in self._by.items() if b.is_open())
