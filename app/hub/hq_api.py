"""Head office on the hub: the HQ routes (issue 16 item 6). Read-only across stores.

- ``POST /hub/v1/hq/login``     ``{"name", "password"}`` → an HQ token (expires)
- ``POST /hub/v1/hq/logout``    the token stops working
- ``GET  /hub/v1/hq/stores``    every store: group, devices, last sync, health
- ``GET  /hub/v1/hq/board``     newest orders across stores with their latest attempt;
  ``store=ID`` (repeatable) filters, ``limit``, ``before=<cursor>`` pages
- ``GET  /hub/v1/hq/reports``   ``from``/``to`` business days, ``store=``: cost, acceptance
  and delivery time, cancel rate by store × carrier × day, and the selection's summary
- ``GET  /hub/v1/hq/export``    the reconciliation rows of any set of stores, streamed as
  NDJSON (chunked): a header line ``{"total", "stores"}``, one line per attempt, then
  ``{"end": true, "rows": N}`` (a reader missing it knows the stream was cut)

Only an HQ token (``Authorization: Bearer jpq_…``) opens them; a counter's device token is
refused (401), and an HQ token opens no device endpoint (they are in different tables).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import Engine

from app.core.clock import Clock
from app.core.reconciliation.summary import Aggregator, Summary, SummaryRow
from app.core.storage.recon_repo import AttemptRecord
from app.hub.hq_repo import HqRepo, HqUser, StoreAttempt

log = logging.getLogger(__name__)
HQ = "/hub/v1/hq"
MAX_DAYS = 400  # a report or an export spans at most this many business days


def _json_error(exc: type[web.HTTPException], msg: str) -> web.HTTPException:
    return exc(text=json.dumps({"error": msg}), content_type="application/json")


def row_json(s: SummaryRow) -> dict[str, Any]:
    return {
        "key": s.key,
        "orders": s.orders,
        "attempts": s.attempts,
        "delivered": s.delivered,
        "cancels": s.cancels,
        "cancel_rate": round(s.cancel_rate, 4),
        "cancel_fee_fen": s.cancel_fee_fen,
        "tip_fen": s.tip_fen,
        "net_cost_fen": s.net_cost_fen,
        "accept_mean_min": s.accept_mean_min,
        "accept_p90_min": s.accept_p90_min,
        "deliver_mean_min": s.deliver_mean_min,
        "deliver_p90_min": s.deliver_p90_min,
        "failovers": s.failovers,
    }


def summary_json(s: Summary) -> dict[str, Any]:
    return {
        "carriers": [row_json(r) for r in s.carriers],
        "days": [row_json(r) for r in s.days],
        "day_carrier": [
            {"day": d, "carrier": c, **row_json(r)} for (d, c), r in s.day_carrier.items()
        ],
        "total": row_json(s.total),
    }


def record_json(store_id: str, r: AttemptRecord) -> dict[str, Any]:
    doc: dict[str, Any] = {"store_id": store_id}
    for k, v in r._asdict().items():
        doc[k] = v.isoformat() if isinstance(v, dt.datetime) else v
    return doc


class OrderKeys:
    """Attempts of several stores fed to one ``Aggregator``: the counters' order ids
    repeat across stores, so each (store, order) gets its own number. Input is ordered
    by store then order, so only the current pair is remembered (flat memory)."""

    def __init__(self) -> None:
        self.last: tuple[str, int] | None = None
        self.n = 0

    def key(self, store_id: str, order_id: int) -> int:
        if (store_id, order_id) != self.last:
            self.last = (store_id, order_id)
            self.n += 1
        return self.n


def cross_store_report(pages: Iterator[list[StoreAttempt]]) -> dict[str, Any]:
    """Per store × day × carrier cells, per store totals, and the whole selection."""
    per_store: dict[str, Aggregator] = {}
    overall, keys = Aggregator(), OrderKeys()
    for page in pages:
        for sa in page:
            r = sa.record
            agg = per_store.get(sa.store_id)
            if agg is None:
                agg = per_store[sa.store_id] = Aggregator()
            agg.add(r)
            overall.add(r._replace(order_id=keys.key(sa.store_id, r.order_id)))
    cells, stores = [], []
    for store_id, agg in sorted(per_store.items()):
        s = agg.result()
        stores.append({"store_id": store_id, **row_json(s.total)})
        for (day, carrier), row in s.day_carrier.items():
            cells.append({"store_id": store_id, "day": day, "carrier": carrier, **row_json(row)})
    return {"cells": cells, "stores": stores, "summary": summary_json(overall.result())}


class LoginThrottle:
    """Failed logins per user name, per hub process: after ``limit`` failures within
    ``window_s`` the name is refused (429) until the window passes, right password or
    not; a success clears it. Memory: one small list per name that failed recently."""

    def __init__(self, limit: int = 5, window_s: float = 300.0) -> None:
        self.limit, self.window_s = limit, window_s
        self.failures: dict[str, list[float]] = {}

    def _recent(self, name: str, now: float) -> list[float]:
        got = [t for t in self.failures.get(name, []) if now - t < self.window_s]
        if got:
            self.failures[name] = got
        else:
            self.failures.pop(name, None)
        return got

    def retry_after(self, name: str, now: float) -> float:
        """Seconds until the name may try again; 0 when it may now."""
        recent = self._recent(name, now)
        if len(recent) < self.limit:
            return 0.0
        return max(1.0, self.window_s - (now - recent[-self.limit]))

    def failed(self, name: str, now: float) -> None:
        self._recent(name, now)
        self.failures.setdefault(name, []).append(now)
        if len(self.failures) > 10_000:  # a flood of made-up names: forget the oldest
            self.failures.pop(next(iter(self.failures)))

    def succeeded(self, name: str) -> None:
        self.failures.pop(name, None)


class HqRoutes:
    def __init__(self, engine: Engine, clock: Clock, token_hours: float = 12.0) -> None:
        self.repo = HqRepo(engine)
        self.clock = clock
        self.ttl = timedelta(hours=token_hours)
        self.throttle = LoginThrottle()

    def install(self, app: web.Application) -> None:
        app.router.add_post(HQ + "/login", self.login)
        app.router.add_post(HQ + "/logout", self.logout)
        app.router.add_get(HQ + "/stores", self.stores)
        app.router.add_get(HQ + "/board", self.board)
        app.router.add_get(HQ + "/reports", self.reports)
        app.router.add_get(HQ + "/export", self.export)

    # ------------------------------------------------------------------ auth
    async def login(self, request: web.Request) -> web.Response:
        try:
            doc = await request.json()
            name, password = str(doc["name"]), str(doc["password"])
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error": "body must be {name, password}"}, status=400)
        t = time.monotonic()
        wait = self.throttle.retry_after(name, t)
        if wait:
            return web.json_response(
                {"error": "too many failed logins; try again later"},
                status=429,
                headers={"Retry-After": str(int(wait + 0.999))},
            )
        got = await asyncio.to_thread(self.repo.login, name, password, self.clock.now(), self.ttl)
        if got is None:
            self.throttle.failed(name, t)
            log.info("hub: head-office login refused")
            return web.json_response({"error": "name or password wrong"}, status=401)
        self.throttle.succeeded(name)
        log.info("hub: head-office user %s logged in", got.user.name)
        await asyncio.to_thread(self.repo.record, self.clock.now(), got.user.name, "hq_login", {})
        return web.json_response(
            {"token": got.token, "expires_at": got.expires_at.isoformat(), "name": got.user.name}
        )

    @staticmethod
    def _bearer(request: web.Request) -> str:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _json_error(web.HTTPUnauthorized, "head-office token required")
        return token.strip()

    async def _user(self, request: web.Request) -> HqUser:
        token = self._bearer(request)
        user = await asyncio.to_thread(self.repo.user_for_token, token, self.clock.now())
        if user is None:
            raise _json_error(
                web.HTTPUnauthorized, "head-office token unknown or expired; log in again"
            )
        return user

    async def logout(self, request: web.Request) -> web.Response:
        await self._user(request)
        await asyncio.to_thread(self.repo.logout, self._bearer(request))
        return web.json_response({"ok": True})

    # ------------------------------------------------------------------ reads
    async def stores(self, request: web.Request) -> web.Response:
        await self._user(request)
        return web.json_response({"stores": await asyncio.to_thread(self.repo.stores)})

    async def board(self, request: web.Request) -> web.Response:
        await self._user(request)
        q = request.query
        try:
            limit = int(q.get("limit", "100"))
            before = _cursor(q.get("before", ""))
        except ValueError:
            msg = "limit must be a number, before a cursor"
            raise _json_error(web.HTTPBadRequest, msg) from None
        rows = await asyncio.to_thread(self.repo.board, q.getall("store", []), limit, before)
        nxt = None
        if len(rows) >= max(1, limit) and rows:
            last = rows[-1]
            nxt = json.dumps([last["received_at"], last["store_id"], last["id"]])
        return web.json_response({"rows": rows, "next": nxt})

    def _range(self, request: web.Request) -> tuple[list[str], str, str]:
        q = request.query
        try:
            a = dt.date.fromisoformat(q["from"])
            b = dt.date.fromisoformat(q["to"])
        except (KeyError, ValueError):
            raise _json_error(web.HTTPBadRequest, "from and to must be YYYY-MM-DD") from None
        a, b = min(a, b), max(a, b)
        if (b - a).days > MAX_DAYS:
            raise _json_error(web.HTTPBadRequest, f"at most {MAX_DAYS} days at once")
        return list(q.getall("store", [])), a.isoformat(), b.isoformat()

    async def reports(self, request: web.Request) -> web.Response:
        await self._user(request)
        store_ids, a, b = self._range(request)
        doc = await asyncio.to_thread(
            lambda: cross_store_report(self.repo.attempts(store_ids, a, b))
        )
        return web.json_response({"from": a, "to": b, **doc})

    async def export(self, request: web.Request) -> web.StreamResponse:
        user = await self._user(request)
        store_ids, a, b = self._range(request)
        total = await asyncio.to_thread(self.repo.count_attempts, store_ids, a, b)
        names = await asyncio.to_thread(self.repo.store_names)
        chosen = {k: v for k, v in names.items() if not store_ids or k in store_ids}
        resp = web.StreamResponse(headers={"Content-Type": "application/x-ndjson; charset=utf-8"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        await resp.write(_line({"total": total, "stores": chosen, "from": a, "to": b}))
        pages = self.repo.attempts(store_ids, a, b)
        done = 0
        while True:
            page = await asyncio.to_thread(next, pages, None)
            if page is None:
                break
            await resp.write(b"".join(_line(record_json(p.store_id, p.record)) for p in page))
            done += len(page)
        await resp.write(_line({"end": True, "rows": done}))
        await resp.write_eof()
        detail = {"stores": sorted(chosen), "from": a, "to": b, "rows": done}
        await asyncio.to_thread(self.repo.record, self.clock.now(), user.name, "hq_export", detail)
        log.info("hub: head-office export by %s: %d rows, %d stores", user.name, done, len(chosen))
        return resp


def _line(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def _cursor(raw: str) -> tuple[str, str, int] | None:
    if not raw:
        return None
    got = json.loads(raw)
    if not (isinstance(got, list) and len(got) == 3):
        raise ValueError("bad cursor")
    return str(got[0]), str(got[1]), int(got[2])
