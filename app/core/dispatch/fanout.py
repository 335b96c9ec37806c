"""Quote fan-out: every enabled carrier at once, each under its own timeout and all under
one deadline, so a hung carrier never holds the others. Quotes are stored and published
(``QuoteCollected`` / ``QuoteFailed`` / ``QuotesCompleted``) the moment each arrives."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from app.core.carriers.base import CarrierError, UnavailableError
from app.core.dispatch.context import DispatchContext
from app.core.domain import Order, Quote
from app.core.events import QuoteCollected, QuoteFailed, QuotesCompleted

log = logging.getLogger(__name__)


@dataclass
class FanoutResult:
    quotes: list[Quote] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    unreachable: set[str] = field(default_factory=set)  # timeouts / UnavailableError
    elapsed_s: float = 0.0

    @property
    def offline(self) -> bool:
        """Nothing answered and every failure was a connectivity failure."""
        return not self.quotes and bool(self.unreachable) and self.unreachable == set(self.failures)


async def _one(ctx: DispatchContext, cid: str, order: Order, key: str, timeout_s: float) -> Quote:
    adapter = ctx.gateway.get(cid).adapter
    try:
        return await asyncio.wait_for(adapter.quote(order, key=key), timeout_s)
    except TimeoutError:
        raise UnavailableError(cid, f"no quote within {timeout_s:g}s") from None


async def collect(
    ctx: DispatchContext, order: Order, carriers: list[str], *, key: str
) -> FanoutResult:
    """Quote ``carriers`` for ``order`` in parallel; ``key`` is the idempotency key the
    create will use (carriers that bind a quote to the origin id need it now)."""
    assert order.id is not None
    s, breakers = ctx.settings, ctx.breakers
    res = FanoutResult()
    t0 = ctx.clock.monotonic()
    tasks: dict[asyncio.Task[Quote], str] = {}
    for cid in carriers:
        if not breakers.get(cid).allow():
            _fail(ctx, order.id, cid, "circuit breaker open", res, unreachable=True)
            continue
        tasks[asyncio.create_task(_one(ctx, cid, order, key, s.quote_timeout_s))] = cid
    pending = set(tasks)
    deadline = t0 + s.quote_deadline_s
    while pending:
        left = deadline - ctx.clock.monotonic()
        if left <= 0:
            break
        done, pending = await asyncio.wait(
            pending, timeout=left, return_when=asyncio.FIRST_COMPLETED
        )
        for task in done:
            await _settle(ctx, order.id, tasks[task], task, res)
    for task in pending:  # past the overall deadline
        task.cancel()
        breakers.get(tasks[task]).failure()
        _fail(ctx, order.id, tasks[task], "overall quote deadline passed", res, unreachable=True)
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    res.elapsed_s = ctx.clock.monotonic() - t0
    ctx.bus.publish(QuotesCompleted(order.id, len(res.quotes)))
    return res


async def _settle(
    ctx: DispatchContext, order_id: int, cid: str, task: asyncio.Task[Quote], res: FanoutResult
) -> None:
    breakers = ctx.breakers
    exc = task.exception()
    if exc is None:
        q = task.result()
        breakers.get(cid).success()
        res.quotes.append(q)
        await ctx.db.run(ctx.db.add_quote, order_id, q)
        ctx.bus.publish(QuoteCollected(order_id, cid, q.fee_fen))
        return
    unreachable = isinstance(exc, UnavailableError)
    if unreachable:
        breakers.get(cid).failure()
    elif not isinstance(exc, CarrierError):
        log.error("quote from %s crashed", cid, exc_info=exc)
    _fail(ctx, order_id, cid, str(exc), res, unreachable=unreachable)


def _fail(
    ctx: DispatchContext,
    order_id: int,
    cid: str,
    reason: str,
    res: FanoutResult,
    *,
    unreachable: bool,
) -> None:
    res.failures[cid] = reason
    if unreachable:
        res.unreachable.add(cid)
    log.info("quote %s for order %s failed: %s", cid, order_id, reason)
    ctx.bus.publish(QuoteFailed(order_id, cid, reason))
