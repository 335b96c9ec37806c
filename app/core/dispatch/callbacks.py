"""Optional carrier callback receiver (``[callbacks] enabled``, off by default: a counter
PC behind NAT needs a public relay to be reached).

Each carrier posts to ``/cb/<carrier>/<token>``; the token is random per carrier and kept
in the secret store (``callbacks.<carrier>.token``), so an unauthenticated carrier
callback still needs the secret path. ``adapter.parse_callback`` verifies and parses;
every event is only a *hint*: it triggers an immediate query of that attempt, and status
and money change only from the query's answer.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets

from aiohttp import web

from app.core.carriers.base import (
    CallbackRejected,
    CallbackRequest,
    CarrierContext,
    StatusSnapshot,
)
from app.core.dispatch.context import DispatchContext
from app.core.dispatch.tracking import Tracker

log = logging.getLogger(__name__)


class CallbackReceiver:
    def __init__(self, ctx: DispatchContext, tracker: Tracker) -> None:
        self.ctx = ctx
        self.tracker = tracker
        self._runner: web.AppRunner | None = None
        self.port = 0

    def token(self, cid: str) -> str:
        name = f"callbacks.{cid}.token"
        value = self.ctx.secret_get(name)
        if not value:
            value = secrets.token_hex(16)
            self.ctx.secret_set(name, value)
        return value

    def url_for(self, cid: str) -> str:
        cfg = self.ctx.callbacks
        base = cfg.public_base_url.rstrip("/") or f"http://{cfg.host}:{self.port}"
        return f"{base}/cb/{cid}/{self.token(cid)}"

    async def start(self) -> None:
        cfg = self.ctx.callbacks
        app = web.Application(client_max_size=256 * 1024)
        app.router.add_route("*", "/cb/{cid}/{token}", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, cfg.host, cfg.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._point_adapters()
        log.info("carrier callbacks on %s:%s", cfg.host, self.port)

    def _point_adapters(self) -> None:
        """Adapters built before the receiver started learn their callback URL."""
        for cid, entry in self.ctx.gateway.entries.items():
            ctx = getattr(entry.adapter, "ctx", None)
            if isinstance(ctx, CarrierContext):
                entry.adapter.ctx = dataclasses.replace(ctx, callback_url=self.url_for(cid))  # type: ignore[attr-defined]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def handle(self, request: web.Request) -> web.Response:
        cid = request.match_info["cid"]
        entries = self.ctx.gateway.entries
        if cid not in entries or not secrets.compare_digest(
            request.match_info["token"], self.token(cid)
        ):
            return web.Response(status=404)
        req = CallbackRequest(
            request.method,
            request.path,
            dict(request.query),
            dict(request.headers),
            await request.read(),
        )
        try:
            result = entries[cid].adapter.parse_callback(req)
        except CallbackRejected as e:
            log.info("callback from %s rejected: %s", cid, e)
            return web.Response(status=e.reply_status, body=e.reply_body)
        for ev in result.events:
            await self._hint(cid, ev.snapshot)
        return web.Response(
            status=result.reply_status,
            body=result.reply_body,
            content_type=result.reply_content_type.split(";")[0],
        )

    async def _hint(self, cid: str, snap: StatusSnapshot) -> None:
        db = self.ctx.db
        att = await db.run(
            db.find_attempt, cid, key=snap.idempotency_key, carrier_order_id=snap.carrier_order_id
        )
        if att is None or att.status.terminal:
            return
        self.ctx.spawn(self.tracker.poll_now(att), f"callback-{att.id}")
