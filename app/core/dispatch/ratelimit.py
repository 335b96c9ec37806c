"""Token bucket per carrier: ``rules.rate_limit_per_s`` requests per second with a burst
of one second's worth, so tracking never trips a carrier's QPS limit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    rate_per_s: float
    now: Callable[[], float]
    burst: float = 0.0
    tokens: float = field(default=-1.0)
    stamp: float = field(default=-1.0)

    def __post_init__(self) -> None:
        self.burst = self.burst or max(1.0, self.rate_per_s)
        self.tokens = self.burst
        self.stamp = self.now()

    def _refill(self) -> None:
        t = self.now()
        self.tokens = min(self.burst, self.tokens + (t - self.stamp) * self.rate_per_s)
        self.stamp = t

    def try_take(self) -> float:
        """Take a token and return 0, or return how long to wait for one."""
        self._refill()
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate_per_s

    async def acquire(self) -> None:
        while (wait := self.try_take()) > 0:
            await asyncio.sleep(wait)
