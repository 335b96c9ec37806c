"""Hub operations beside the core routes (issue 16 items 5 and 7):

- ``GET /hub/v1/settings?after=V``  the device's store's head-office settings (``app.hub.hq``):
  200 ``{"version", "settings"}`` when newer than V, else 204.
- lag per store for ``GET /hub/v1/health``: the oldest relayed push its PCs have not
  acknowledged (age in seconds) and when it last synced.
- per-device rate limits: a token bucket per device token (per hub process); over it the
  hub answers 429 with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web
from sqlalchemy import Engine, text

from app.hub.hq import HqRepo

if TYPE_CHECKING:
    from app.hub.server import HubServer


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token bucket per key: ``rate`` requests a second on average, ``burst`` at once.
    ``take`` returns 0.0 when allowed, else the seconds until a token is there."""

    def __init__(self, rate: float, burst: float, max_keys: int = 50_000) -> None:
        self.rate, self.burst, self.max_keys = rate, burst, max_keys
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str, now: float) -> float:
        if self.rate <= 0:
            return 0.0
        b = self._buckets.get(key)
        if b is None:
            if len(self._buckets) >= self.max_keys:
                self._buckets.clear()  # a bounded table: forgetting only grants a full bucket
            b = self._buckets[key] = _Bucket(self.burst, now)
        b.tokens = min(self.burst, b.tokens + (now - b.at) * self.rate)
        b.at = now
        if b.tokens >= 1.0:
            b.tokens -= 1.0
            return 0.0
        return (1.0 - b.tokens) / self.rate


def too_many(retry_after_s: float) -> web.HTTPTooManyRequests:
    return web.HTTPTooManyRequests(
        text='{"error": "rate limit: slow down"}',
        content_type="application/json",
        headers={"Retry-After": str(max(1, math.ceil(retry_after_s)))},
    )


LAG_SQL = text(
    """
    SELECT s.id, s.name, s.grp, ss.last_sync_at,
           (SELECT min(p.received_at) FROM hub_push p
             WHERE p.store_id = s.id
               AND p.seq > COALESCE((SELECT min(d.acked_cursor) FROM hub_device d
                                      WHERE d.store_id = s.id AND d.revoked_at IS NULL), 0)
           ) AS oldest_unacked
      FROM hub_store s LEFT JOIN hub_store_sync ss ON ss.store_id = s.id
     ORDER BY s.grp, s.name
    """
)


def store_lag(engine: Engine, now: datetime) -> list[dict[str, Any]]:
    """Per store: ``inbox_lag_s`` (age of the oldest push not yet acknowledged by every
    live PC of the store; 0 when none waits) and ``last_sync_at`` (null: never synced)."""
    with engine.connect() as conn:
        rows = conn.execute(LAG_SQL).all()
    return [
        {
            "store_id": r.id,
            "name": r.name,
            "group": r.grp,
            "inbox_lag_s": (
                round((now - r.oldest_unacked).total_seconds(), 1) if r.oldest_unacked else 0.0
            ),
            "last_sync_at": r.last_sync_at.isoformat() if r.last_sync_at else None,
            "sync_age_s": (
                round((now - r.last_sync_at).total_seconds(), 1) if r.last_sync_at else None
            ),
        }
        for r in rows
    ]


def add_routes(app: web.Application, server: HubServer) -> None:
    hq = HqRepo(server.engine)

    async def settings(request: web.Request) -> web.Response:
        device = await server._device(request)
        try:
            after = int(request.query.get("after", "0"))
        except ValueError:
            return web.json_response({"error": "after must be a number"}, status=400)
        eff = await asyncio.to_thread(hq.effective, device.store_id)
        if eff.version <= after:
            return web.Response(status=204)
        return web.json_response(
            {"store_id": device.store_id, "version": eff.version, "settings": eff.settings}
        )

    app.router.add_get("/hub/v1/settings", settings)
