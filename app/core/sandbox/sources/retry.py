"""A platform's push retry schedule (有赞: 5 s, 5 m 20 s, 21 m 20 s, 2 h; 抖音: 3 more
tries), for simulators whose pushes are rebuilt on every try (有赞 counts ``sendCount``
inside the signed body). No platform facts here: each simulator passes its schedule."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.core.clock import Clock
from app.core.sandbox.sources.common import Faults, Held, Log, PushSender


@dataclass
class Pending:
    key: str  # what to rebuild (the simulator's own reference)
    tries: int  # sends so far
    due: datetime


class RetrySchedule:
    def __init__(self, clock: Clock, delays_s: tuple[float, ...]) -> None:
        self.clock, self.delays_s = clock, delays_s
        self.pending: list[Pending] = []
        self.given_up: list[str] = []

    def failed(self, key: str, tries: int) -> None:
        """A send (the ``tries``-th) was not acknowledged: schedule the next or give up."""
        if tries > len(self.delays_s):
            self.given_up.append(key)
            return
        due = self.clock.now() + timedelta(seconds=self.delays_s[tries - 1])
        self.pending.append(Pending(key, tries, due))

    async def run_due(self, send: Callable[[str, int], Awaitable[bool]], *, all_now: bool) -> int:
        """Re-send what is due (everything with ``all_now``); ``send(key, try_no)``
        returns whether it was acknowledged. Returns how many were."""
        now = self.clock.now()
        due = [p for p in self.pending if all_now or p.due <= now]
        self.pending = [p for p in self.pending if p not in due]
        ok = 0
        for p in due:
            if await send(p.key, p.tries + 1):
                ok += 1
            else:
                self.failed(p.key, p.tries + 1)
        return ok


class ScheduledPushSender(PushSender):
    """A ``PushSender`` whose failed pushes wait in a ``RetrySchedule`` (rebuilt on each
    try by ``resend(key, try_no)``) instead of its ``failed`` list: ``retry_failed``
    (the control API's ``retry``) re-sends them all now; ``retry_due`` only those the
    platform's schedule has come to (the simulator server's retry loop)."""

    def __init__(
        self,
        faults: Faults,
        log_: Log,
        expected_reply: Mapping[str, str],
        schedule: RetrySchedule,
        resend: Callable[[str, int], Awaitable[bool]],
    ) -> None:
        super().__init__(faults, log_, expected_reply)
        self.schedule, self.resend = schedule, resend

    async def send_key(self, key: str, tries: int, held: Held) -> bool:
        """Send one try of ``key``; not acknowledged = scheduled (first try) by the caller."""
        ok = await self.send(held)
        self.failed = [h for h in self.failed if h is not held]  # the schedule owns it
        return ok

    async def retry_failed(self) -> int:
        return await self.schedule.run_due(self.resend, all_now=True)

    async def retry_due(self) -> int:
        return await self.schedule.run_due(self.resend, all_now=False)
