"""The sync-back outbox, storage-agnostic: which changes wait, in which order, and when
each is tried again (shared/sources/README.md §3 rules 1–5).

Key: ``(source_order_id, attempt_id, status)``. Where the platform needs order (美团
practice: 15 then 20; 饿了么: start before complete) nothing is superseded; elsewhere a
newer state of the same attempt replaces an unsent older one. Retries back off
exponentially until the platform says success; a refusal that is not retryable is
parked for a human instead of retried forever.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from app.core.sources.base import SourceAuthError, SourceError, SyncBack


class SyncTarget(Protocol):
    """What ``send`` needs: a ``SourceConnector``, or a wrapper routing the call."""

    async def sync_back(self, change: SyncBack) -> None: ...


@dataclass(frozen=True, slots=True)
class OutboxItem:
    change: SyncBack
    tries: int = 0
    next_at: datetime | None = None  # None: due now
    done: bool = False
    parked: str = ""  # why a human must look (non-retryable refusal)
    last_error: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        c = self.change
        return (c.source_order_id, c.attempt_id, c.status.value)

    @property
    def pending(self) -> bool:
        return not self.done and not self.parked


def backoff(tries: int, base_s: float = 5.0, cap_s: float = 600.0) -> timedelta:
    return timedelta(seconds=min(cap_s, base_s * 2 ** max(tries - 1, 0)))


def enqueue(items: list[OutboxItem], change: SyncBack, *, ordered: bool) -> list[OutboxItem]:
    """Add one change; a repeat of a key already queued changes nothing."""
    new = OutboxItem(change)
    if any(i.key == new.key for i in items):
        return items
    if ordered:
        return [*items, new]
    kept = [
        i
        for i in items
        if not (
            i.pending
            and i.change.source_order_id == change.source_order_id
            and i.change.attempt_id == change.attempt_id
            and i.change.status.rank < change.status.rank
        )
    ]
    return [*kept, new]


def due(items: list[OutboxItem], now: datetime) -> list[OutboxItem]:
    """The pending items to send now: per order only the oldest pending one, so
    ordered platforms never see 20 before 15."""
    out: list[OutboxItem] = []
    blocked: set[str] = set()
    for item in items:
        if not item.pending:
            continue
        oid = item.change.source_order_id
        if oid in blocked:
            continue
        blocked.add(oid)
        if item.next_at is None or item.next_at <= now:
            out.append(item)
    return out


async def send(connector: SyncTarget, item: OutboxItem, now: datetime) -> OutboxItem:
    """Try one item; return it done, rescheduled, or parked."""
    try:
        await connector.sync_back(item.change)
    except SourceError as e:
        tries = item.tries + 1
        # an auth refusal is usually an expired token: retried once it is refreshed,
        # never parked (the outbox must survive a night with a stale token)
        if not e.retryable and not isinstance(e, SourceAuthError):
            return replace(item, tries=tries, parked=str(e), last_error=str(e))
        return replace(item, tries=tries, next_at=now + backoff(tries), last_error=str(e))
    return replace(item, tries=item.tries + 1, done=True, last_error="")


async def flush(connector: SyncTarget, items: list[OutboxItem], now: datetime) -> list[OutboxItem]:
    """Send every due item once, in order; return the whole updated list."""
    sent = {i.key: await send(connector, i, now) for i in due(items, now)}
    return [sent.get(i.key, i) for i in items]
