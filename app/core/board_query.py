"""The paged board as the service offers it: lane counts and keyset pages, in SQL.

``AppService.board_page`` / ``AppService.lane_counts`` delegate here. Without a search
the board shows the last ``ui.board_days``; a search looks through every order (a
cashier asked about yesterday's order must find it). Rows are built by the service's
``board_row`` (``lane_for``), the SQL lane only selects and counts them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from app.core.board import BoardRow, Lane
from app.core.clock import Clock
from app.core.config import Settings
from app.core.domain import DeliveryAttempt, Order
from app.core.storage import board_repo
from app.core.storage.board_repo import Cursor, LaneTimes
from app.core.storage.repos import Database
from app.core.storage.source_repo import requests_for_orders

__all__ = ["BoardPage", "Cursor", "board_page", "lane_counts"]


@dataclass(frozen=True, slots=True)
class BoardPage:
    rows: list[BoardRow]
    next_cursor: Cursor | None  # None: this was the last page


class _Core(Protocol):
    settings: Settings
    db: Database
    clock: Clock

    def board_row(
        self, order: Order, attempts: list[DeliveryAttempt], platform_request: str = ""
    ) -> BoardRow: ...


def lane_times(core: _Core, now: datetime) -> LaneTimes:
    s = core.settings
    return LaneTimes(
        now,
        no_rider_after_s=s.alerts.no_rider_after_min * 60,
        stale_after_s=s.dispatch.stale_tracking_s,
    )


def _since(core: _Core, now: datetime, search: str) -> datetime | None:
    return None if search else now - timedelta(days=core.settings.ui.board_days)


async def board_page(
    core: _Core,
    *,
    lanes: Sequence[Lane] | None = None,
    search: str = "",
    before: Cursor | None = None,
    limit: int = 200,
) -> BoardPage:
    now = core.clock.now()
    search = search.strip()
    orders, cursor = await core.db.run(
        board_repo.page_orders,
        core.db.engine,
        lane_times(core, now),
        since=_since(core, now, search),
        lanes=lanes,
        search=search,
        before=before,
        limit=limit,
    )
    ids = [o.id for o in orders if o.id is not None]
    atts = await core.db.run(core.db.attempts_for_orders, ids)
    reqs = await core.db.run(requests_for_orders, core.db.engine, ids)  # shown red, restarts too
    rows = [core.board_row(o, atts.get(o.id or 0, []), reqs.get(o.id or 0, "")) for o in orders]
    return BoardPage(rows, cursor)


async def lane_counts(core: _Core, *, search: str = "") -> dict[Lane, int]:
    now = core.clock.now()
    search = search.strip()
    return await core.db.run(
        board_repo.lane_counts,
        core.db.engine,
        lane_times(core, now),
        since=_since(core, now, search),
        search=search,
    )
