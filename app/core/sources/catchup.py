"""What a source does on start and after downtime (shared/sources/README.md §5), on any
connector and any store: pull what pushes missed, re-read every open order to catch
cancels and refunds, then report healthy. Back-filled orders older than the ring
window are stored silently (no sound storm after a night offline).

Storage is reached through the small ``store.SourceStore`` protocol so this runs the
same on SQLite, in rehearsal, and in tests.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.core.domain.source_order import SourceOrder
from app.core.sources.base import SourceAuthError, SourceConnector, SourceError
from app.core.sources.store import SourceStore

log = logging.getLogger(__name__)

RING_WINDOW = timedelta(minutes=5)


@dataclass
class CatchUpReport:
    source: str
    new: list[SourceOrder] = field(default_factory=list)
    ring: list[SourceOrder] = field(default_factory=list)  # new and young enough to ring
    refreshed: int = 0
    token_refreshed: bool = False
    error: str = ""

    @property
    def healthy(self) -> bool:
        return not self.error


def should_ring(order: SourceOrder, now: datetime, window: timedelta = RING_WINDOW) -> bool:
    return now - order.created_at <= window


async def catch_up(
    connector: SourceConnector,
    store: SourceStore,
    now: datetime,
    *,
    ring_window: timedelta = RING_WINDOW,
) -> CatchUpReport:
    report = CatchUpReport(connector.id)
    try:
        await _pull_once_refreshing(connector, store, now, ring_window, report)
        opened = await store.open_ids(connector.id)
        for order in await connector.refresh(opened):
            await store.upsert(order)
            report.refreshed += 1
    except SourceError as e:
        report.error = str(e)
        log.info("%s: catch-up stopped: %s", connector.id, e)
    return report


async def pull_refreshing(
    connector: SourceConnector, store: SourceStore, report: CatchUpReport | None = None
) -> list[SourceOrder]:
    """One pull; an auth refusal refreshes the token once where the connector can (an
    expired token is the usual reason after downtime or a day of pulling; the connector
    saves the new one, see ``tokens``) and pulls again."""
    try:
        return await connector.pull(await store.known_ids(connector.id))
    except SourceAuthError:
        refresher = getattr(connector, "refresh_token", None)
        if refresher is None:
            raise
        await refresher()
        if report is not None:
            report.token_refreshed = True
        return await connector.pull(await store.known_ids(connector.id))


async def _pull_once_refreshing(
    connector: SourceConnector,
    store: SourceStore,
    now: datetime,
    ring_window: timedelta,
    report: CatchUpReport,
) -> None:
    pulled = await pull_refreshing(connector, store, report)
    await _store_pulled(pulled, store, now, ring_window, report)


async def _store_pulled(
    pulled: Sequence[SourceOrder],
    store: SourceStore,
    now: datetime,
    ring_window: timedelta,
    report: CatchUpReport,
) -> None:
    for order in pulled:
        if await store.upsert(order):
            report.new.append(order)
            if should_ring(order, now, ring_window):
                report.ring.append(order)
