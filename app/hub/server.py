"""The hub's HTTP face (aiohttp). Behind TLS termination (Caddy, nginx); speaks HTTP.

- ``GET  /hub/v1/health``                  database reachable, migrations current, lag per store
- ``POST /hub/v1/enrol``                   one-time code → device token (``hub-join``)
- ``GET  /hub/v1/store``                   the device's store (device token)
- ``GET  /hub/v1/inbox?after=N&wait=S``    the store's pushes after cursor N; long-poll
- ``POST /hub/v1/inbox/ack``               ``{"cursor": N}``: the device has applied up to N
- ``POST /hub/v1/sync``                    the store's rows (orders, attempts, …), versioned
- ``POST /hub/v1/sources/{source}/{kind}`` a platform push: verify, store, reply
- ``/hub/v1/hq/…``                         head office (HQ token; ``app/hub/hq_api.py``)
- ``GET  /hub/v1/settings?after=V``        head-office settings newer than V (``ops.py``)

Device endpoints are rate limited per device (token bucket, ``JUPEI_HUB__DEVICE_RATE_PER_S``
and ``…_BURST``; 429 with ``Retry-After`` over it).

Every device endpoint serves only the token's own store; a ``store`` query parameter
naming another store is refused (403). The access log carries no query strings (美团
pushes may arrive as GET with the recipient's phone in the query) and no tokens.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from sqlalchemy import Engine, text

from app.core.clock import Clock
from app.core.sources.base import PushRejected, PushRequest
from app.hub.config import HubSettings
from app.hub.db import schema_state
from app.hub.hq_api import HqRoutes
from app.hub.notify import Notifier
from app.hub.ops import RateLimiter, add_routes, store_lag, too_many
from app.hub.pushes import PushStore
from app.hub.relay import PREFIX, Relay
from app.hub.repo import Device, HubRepo
from app.hub.sync import SyncStore, parse_health, parse_rows

log = logging.getLogger(__name__)

# never relayed to the counter: credentials and the proxy's view of the caller
DROPPED_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "x-forwarded-for", "x-real-ip", "forwarded"}
)
MAX_BODY = 1024 * 1024
DEVICE_ID = web.RequestKey("device_id", str)  # for the access log: the device, never its token


class AccessLogger(AbstractAccessLogger):
    """One JSON object a line: method, path without query, status, ms, bytes, the device id
    (never its token) and the rate-limit verdict. No query strings (美团 may send the
    recipient's phone there), no headers, no bodies, no signatures."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        entry = {
            "method": request.method,
            "path": request.path,
            "status": response.status,
            "ms": round(time * 1000, 1),
            "bytes": response.body_length,
            "device": request.get(DEVICE_ID),
        }
        self.logger.info("%s", json.dumps(entry, ensure_ascii=False, separators=(",", ":")))

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)


class HubServer:
    def __init__(
        self,
        settings: HubSettings,
        engine: Engine,
        relay: Relay,
        notifier: Notifier,
        clock: Clock,
    ) -> None:
        self.settings, self.engine, self.relay = settings, engine, relay
        self.notifier, self.clock = notifier, clock
        self.repo = HubRepo(engine)
        self.pushes = PushStore(engine)
        self.sync_rows = SyncStore(engine)
        self.limiter = RateLimiter(settings.device_rate_per_s, settings.device_rate_burst)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_get("/hub/v1/health", self.health)
        app.router.add_post("/hub/v1/enrol", self.enrol)
        app.router.add_get("/hub/v1/store", self.store)
        app.router.add_get("/hub/v1/inbox", self.inbox)
        app.router.add_post("/hub/v1/inbox/ack", self.ack)
        app.router.add_post("/hub/v1/sync", self.sync)
        app.router.add_route("POST", PREFIX + "/{source}/{kind}", self.push)
        app.router.add_route("GET", PREFIX + "/{source}/{kind}", self.push)
        HqRoutes(self.engine, self.clock, self.settings.hq_token_hours).install(app)
        add_routes(app, self)  # head-office settings (app/hub/ops.py)
        return app

    # ------------------------------------------------------------------ operations
    async def health(self, _request: web.Request) -> web.Response:
        doc: dict[str, Any] = {"sources": list(self.relay.sources())}
        try:
            state = await asyncio.to_thread(schema_state, self.engine)
            await asyncio.to_thread(self._ping)
            if state.up_to_date:
                doc["stores"] = await asyncio.to_thread(store_lag, self.engine, self.clock.now())
        except Exception as e:  # any database failure: report it, never crash the probe
            doc.update(status="unavailable", database=f"unreachable: {type(e).__name__}")
            return web.json_response(doc, status=503)
        doc.update(
            database="ok",
            schema={"current": state.current, "head": state.head, "up_to_date": state.up_to_date},
            listener=self.notifier.listening.is_set(),
            status="ok" if state.up_to_date else "migrations pending",
        )
        return web.json_response(doc, status=200 if state.up_to_date else 503)

    def _ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    # ------------------------------------------------------------------ devices
    async def enrol(self, request: web.Request) -> web.Response:
        try:
            doc = await request.json()
            code = str(doc["code"])
            name = str(doc.get("device_name") or "")
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error": "body must be JSON with a code"}, status=400)
        got = await asyncio.to_thread(self.repo.enrol, code, name, self.clock.now())
        if got is None:
            return web.json_response(
                {"error": "enrolment code unknown, already used or expired"}, status=403
            )
        log.info("hub: device %s enrolled for store %s", got.device_id, got.store_id)
        return web.json_response(
            {
                "store_id": got.store_id,
                "store_name": got.store_name,
                "device_id": got.device_id,
                "token": got.token,
            }
        )

    async def _device(self, request: web.Request) -> Device:
        auth = request.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise web.HTTPUnauthorized(
                text='{"error": "device token required"}', content_type="application/json"
            )
        device = await asyncio.to_thread(self.repo.device_for_token, token.strip())
        if device is None:
            raise web.HTTPUnauthorized(
                text='{"error": "device token unknown or revoked"}', content_type="application/json"
            )
        request[DEVICE_ID] = device.id
        wait = self.limiter.take(device.id, asyncio.get_running_loop().time())
        if wait > 0:
            raise too_many(wait)
        asked = request.query.get("store")
        if asked is not None and asked != device.store_id:
            raise web.HTTPForbidden(
                text='{"error": "this device serves another store"}',
                content_type="application/json",
            )
        return device

    async def store(self, request: web.Request) -> web.Response:
        device = await self._device(request)
        head = await asyncio.to_thread(self.pushes.head, device.store_id)
        return web.json_response(
            {
                "store_id": device.store_id,
                "device_id": device.id,
                "head": head,
                "acked": device.acked_cursor,
            }
        )

    async def inbox(self, request: web.Request) -> web.Response:
        device = await self._device(request)
        try:
            after = int(request.query.get("after", device.acked_cursor))
            wait = float(request.query.get("wait", self.settings.long_poll_s))
        except ValueError:
            return web.json_response({"error": "after and wait must be numbers"}, status=400)
        wait = max(0.0, min(wait, self.settings.long_poll_s))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            armed = self.notifier.arm(device.store_id)
            items = await asyncio.to_thread(
                self.pushes.inbox, device.store_id, after, self.settings.inbox_batch
            )
            left = deadline - loop.time()
            if items or left <= 0 or self.notifier.closing:
                break
            await self.notifier.wait(armed, left)
        cursor = items[-1].cursor if items else after
        return web.json_response(
            {
                "store_id": device.store_id,
                "cursor": cursor,
                "pushes": [i.to_json() for i in items],
            }
        )

    async def ack(self, request: web.Request) -> web.Response:
        device = await self._device(request)
        try:
            cursor = int((await request.json())["cursor"])
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error": 'body must be {"cursor": N}'}, status=400)
        acked = await asyncio.to_thread(self.repo.ack, device, cursor, self.clock.now())
        return web.json_response({"store_id": device.store_id, "acked": acked})

    async def sync(self, request: web.Request) -> web.Response:
        """A batch of the device's store rows; applied under the token's store only."""
        device = await self._device(request)
        try:
            doc = await request.json()
            rows, health = parse_rows(doc), parse_health(doc)
        except ValueError as e:  # bad JSON, or SyncRejected
            return web.json_response({"error": str(e)[:200]}, status=400)
        try:
            done = await asyncio.to_thread(
                self.sync_rows.apply, device.store_id, rows, self.clock.now(), health
            )
        except Exception as e:  # database down: nothing applied, the counter sends again
            log.warning(
                "hub: sync from store %s not applied: %s", device.store_id, type(e).__name__
            )
            return web.json_response({"error": "try again"}, status=503)
        return web.json_response(
            {"store_id": device.store_id, "applied": done.applied, "stale": done.stale}
        )

    # ------------------------------------------------------------------ platforms
    async def push(self, request: web.Request) -> web.Response:
        source, kind = request.match_info["source"], request.match_info["kind"]
        if source not in self.relay.secrets:
            return web.json_response(
                {"error": f"source {source!r} is not relayed by this hub"}, status=404
            )
        push = PushRequest(
            request.method,
            request.path,
            dict(request.query),
            {k: v for k, v in request.headers.items() if k.lower() not in DROPPED_HEADERS},
            await request.read(),
        )
        origin = str(request.url.origin())
        try:
            verified = self.relay.verify(source, kind, push, origin)
        except PushRejected as e:
            log.info("hub: %s push refused: %s", source, e)
            return web.Response(
                status=e.reply_status, body=e.reply_body, content_type="application/json"
            )
        result = verified.result
        if verified.dedupe_key:
            try:
                stored = await asyncio.to_thread(
                    self.pushes.store,
                    source,
                    kind,
                    verified.dedupe_key,
                    verified.store_ref,
                    verified.source_order_id,
                    push,
                    self.clock.now(),
                )
            except Exception as e:  # database down: not stored, so the platform must retry
                log.warning("hub: %s push not stored: %s", source, type(e).__name__)
                return web.json_response({"error": "try again"}, status=503)
            if stored.push_id is not None and stored.store_id is None:
                log.info(
                    "hub: %s push for unmapped store ref %s queued", source, verified.store_ref
                )
        mime = result.reply_content_type.split(";", 1)[0].strip() or "application/json"
        return web.Response(status=result.reply_status, body=result.reply_body, content_type=mime)
