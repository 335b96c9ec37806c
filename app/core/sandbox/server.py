"""Mount every carrier's sandbox under ``/<carrier>/`` on one loopback port, plus a
control API under ``/__sandbox/`` (stats, advance the clock, scenarios, faults, reset),
and push status callbacks to orders that asked for them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import fields
from types import ModuleType

import httpx
from aiohttp import web

from app.core.carriers.registry import CARRIER_IDS
from app.core.sandbox import dada, doordash, fengniao, meituan, sf, shansong, uber_direct, uupt
from app.core.sandbox.engine import Faults, SandboxEngine, Scenario

log = logging.getLogger(__name__)

ENGINE_KEY = web.AppKey("engine", SandboxEngine)


# every carrier's sandbox, by direct import (ids from the carrier registry)
SANDBOXES: dict[str, ModuleType] = {
    m.CARRIER: m for m in (dada, shansong, sf, meituan, fengniao, uupt, doordash, uber_direct)
}


def build_app(engine: SandboxEngine, carriers: tuple[str, ...] = CARRIER_IDS) -> web.Application:
    root = web.Application()
    root[ENGINE_KEY] = engine
    for cid in carriers:
        root.add_subapp(f"/{cid}", SANDBOXES[cid].make_app(engine))

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(engine.stats())

    async def advance(request: web.Request) -> web.Response:
        body = await request.json()
        engine.advance(float(body.get("seconds", 0)))
        return web.json_response({"sim_now": engine.now()})

    async def scenario(request: web.Request) -> web.Response:
        body = await request.json()
        engine.set_scenario(body["carrier"], Scenario(body["scenario"]))
        return web.json_response({"ok": True})

    async def faults(request: web.Request) -> web.Response:
        body = await request.json()
        known = {f.name for f in fields(Faults)}
        engine.set_faults(body["carrier"], Faults(**{k: v for k, v in body.items() if k in known}))
        return web.json_response({"ok": True})

    async def variant(request: web.Request) -> web.Response:
        body = await request.json()
        engine.set_variant(str(body["carrier"]), str(body["name"]), str(body["value"]))
        return web.json_response({"ok": True})

    async def reset(request: web.Request) -> web.Response:
        engine.reset()
        return web.json_response({"ok": True})

    root.router.add_get("/__sandbox/stats", stats)
    root.router.add_post("/__sandbox/advance", advance)
    root.router.add_post("/__sandbox/scenario", scenario)
    root.router.add_post("/__sandbox/faults", faults)
    root.router.add_post("/__sandbox/variant", variant)
    root.router.add_post("/__sandbox/reset", reset)
    return root


class SandboxServer:
    """Runs the sandboxes inside the current event loop (qasync or plain asyncio)."""

    def __init__(
        self,
        engine: SandboxEngine | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        carriers: tuple[str, ...] = CARRIER_IDS,
        push_callbacks: bool = True,
        shutdown_timeout: float = 0.5,
    ) -> None:
        self.engine = engine or SandboxEngine()
        self.host, self.port, self.carriers = host, port, carriers
        self._runner: web.AppRunner | None = None
        self._pusher: asyncio.Task[None] | None = None
        self._push = push_callbacks
        self._shutdown_timeout = shutdown_timeout  # a hung fault must not hold stop() 60 s

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def carrier_url(self, carrier: str) -> str:
        return f"{self.base_url}/{carrier}"

    async def start(self) -> None:
        self._runner = web.AppRunner(
            build_app(self.engine, self.carriers),
            access_log=None,
            shutdown_timeout=self._shutdown_timeout,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        if self._push:
            self._pusher = asyncio.create_task(self._push_loop(), name="sandbox-callbacks")
        log.info("sandboxes for %s on %s", ",".join(self.carriers), self.base_url)

    async def stop(self) -> None:
        if self._pusher:
            self._pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pusher
        if self._runner:
            await self._runner.cleanup()

    async def _push_loop(self) -> None:
        """Every half second, push a callback for each order whose state changed, in
        the carrier's own callback format (``callback_payload`` of its sandbox module)."""
        mods = {cid: SANDBOXES[cid] for cid in self.carriers}
        async with httpx.AsyncClient(timeout=3.0, trust_env=False) as client:
            while True:
                await asyncio.sleep(0.5)
                for cid, orders in list(self.engine.orders.items()):
                    build = getattr(mods.get(cid), "callback_payload", None)
                    if build is None:
                        continue
                    for o in list(orders.values()):
                        if not o.callback_url:
                            continue
                        snap = self.engine.snapshot(o)
                        tag = f"{snap.state}:{snap.rider_index}"
                        if tag == o.notified:
                            continue
                        o.notified = tag
                        req = build(self.engine, o, snap)
                        if req is None:
                            continue
                        url, headers, body = req
                        with contextlib.suppress(httpx.HTTPError):
                            await client.post(url, content=body, headers=headers)
