"""Serve both source simulators on one loopback port for rehearsal and manual testing:
美团外卖 under ``/meituan/api/v1/``, 饿了么 under ``/eleme/api/v1/``, and a small control
API under ``/__sources/<source>/`` to create orders, push them, cancel, refund, set
faults and read the call log (what the rehearsal timeline shows).

Control API (JSON in, JSON out):
- ``POST new_order`` ``{"push": true, ...overrides}`` → ``{"order_id", "pushed"}``
- ``POST cancel`` / ``POST refund`` ``{"order_id", "push": true}``
- ``POST faults`` ``{"drop_pushes": 1, ...}`` (fields of ``common.Faults``)
- ``POST retry``: the platform re-sends pushes that were not acknowledged
- ``GET log`` → accepted calls, refused calls, push deliveries
- ``POST /__sources/targets`` ``{"jupei": "http://127.0.0.1:8731"}`` (or the two URLs
  ``meituan_push_base`` / ``eleme_push_url``): where the platforms push to

``SourceSimServer`` runs all this inside the current event loop (rehearsal mode, and
``python -m app sandbox``), like the carrier ``SandboxServer``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import Callable
from dataclasses import fields as dc_fields
from typing import Any, Protocol

from aiohttp import web

from app.core.clock import Clock, SystemClock
from app.core.sandbox.sources.common import Faults, Log, PushSender
from app.core.sandbox.sources.douyin import DouyinSim
from app.core.sandbox.sources.eleme import ElemeSim
from app.core.sandbox.sources.hualala import HualalaSim
from app.core.sandbox.sources.keruyun import KeruyunSim
from app.core.sandbox.sources.meituan import MeituanSim
from app.core.sandbox.sources.youzan import YouzanSim

log = logging.getLogger(__name__)

MT_KEY = web.AppKey("meituan_sim", MeituanSim)
ELEME_KEY = web.AppKey("eleme_sim", ElemeSim)
_FAULTS = {f.name for f in dc_fields(Faults)}


class Sim(Protocol):
    """A simulator added after 美团/饿了么: its API under ``/<id>/api/v1/``, pushes to
    ``<push_base_url>/<kind>`` (JuPei's ``/api/v1/sources/<id>``), control ops through
    ``control`` (``faults``, ``retry`` and ``log`` are the server's)."""

    faults: Faults
    log: Log
    pusher: PushSender
    push_base_url: str

    def make_app(self) -> web.Application: ...

    async def control(self, op: str, body: dict[str, Any]) -> dict[str, Any]: ...


# source id -> factory(clock, first-id seed); one line per simulated source
SIMS: dict[str, Callable[[Clock, int], Sim]] = {
    "keruyun": lambda clk, seed: KeruyunSim(clock=clk, first_order_id=612 * 10**15 + seed),
    "youzan": lambda clk, seed: YouzanSim(clock=clk),  # ids from its clock
    "douyin": lambda clk, seed: DouyinSim(clock=clk),  # ids from its clock
    "hualala": lambda clk, seed: HualalaSim(clock=clk, first_order_id=seed % 10**9),
}
SIM_IDS: tuple[str, ...] = ("meituan", "eleme", *SIMS)  # every simulated source
SIMS_KEY = web.AppKey("source_sims", dict)


def build_app(
    *,
    clock: Clock | None = None,
    meituan_push_base: str = "",
    eleme_push_url: str = "",
    first_ids: tuple[int, int, int] | None = None,
    jupei_base_url: str = "",
    seed: int = 1,
) -> web.Application:
    """``meituan_push_base``: JuPei's ``[sources.meituan] push_base_url`` (pushes go to
    ``<base>/<kind>``); ``eleme_push_url``: the one 饿了么 callback URL; ``first_ids``:
    the first 美团 order id, 饿了么 order id and 饿了么 push ``requestId`` (default: the
    simulators' fixed ones); ``jupei_base_url``: where the other simulators push;
    ``seed``: where their ids start."""
    clk = clock or SystemClock()
    mt_first, el_first, el_req = first_ids or (
        27061900338318741,
        3000000123456789012,
        100000021764401594,
    )
    mt = MeituanSim(clock=clk, push_base_url=meituan_push_base, first_order_id=mt_first)
    el = ElemeSim(
        clock=clk, push_url=eleme_push_url, first_order_id=el_first, first_request_id=el_req
    )
    root = web.Application()
    root[MT_KEY], root[ELEME_KEY] = mt, el
    root.add_subapp("/meituan", mt.make_app())
    root.add_subapp("/eleme", el.make_app())
    others: dict[str, Sim] = {}
    for sid, factory in SIMS.items():
        others[sid] = sim = factory(clk, seed)
        sim.push_base_url = _push_base(jupei_base_url, sid) if jupei_base_url else ""
        root.add_subapp(f"/{sid}", sim.make_app())
    root[SIMS_KEY] = others
    root.router.add_post("/__sources/meituan/{op}", _meituan_op)
    root.router.add_post("/__sources/eleme/{op}", _eleme_op)
    root.router.add_post("/__sources/{source}/{op}", _other_op)
    root.router.add_get("/__sources/{source}/log", _log)
    root.router.add_post("/__sources/targets", _targets)
    return root


def _push_base(jupei_base_url: str, source: str) -> str:
    return f"{jupei_base_url.rstrip('/')}/api/v1/sources/{source}"


def push_targets(jupei_base_url: str) -> tuple[str, str]:
    """The URLs JuPei's listener at ``jupei_base_url`` takes pushes on: 美团's push base
    (each kind under it) and 饿了么's one callback URL."""
    base = jupei_base_url.rstrip("/") + "/api/v1/sources"
    return f"{base}/meituan", f"{base}/eleme/push"


async def _targets(request: web.Request) -> web.Response:
    body = await _body(request)
    mt_base, el_url = push_targets(str(body["jupei"])) if body.get("jupei") else ("", "")
    mt, el = request.app[MT_KEY], request.app[ELEME_KEY]
    mt.push_base_url = str(body.get("meituan_push_base") or mt_base or mt.push_base_url)
    el.push_url = str(body.get("eleme_push_url") or el_url or el.push_url)
    others: dict[str, Sim] = request.app[SIMS_KEY]
    for sid, sim in others.items():
        jupei = _push_base(str(body["jupei"]), sid) if body.get("jupei") else ""
        sim.push_base_url = str(body.get(f"{sid}_push_base") or jupei or sim.push_base_url)
    return web.json_response(
        {
            "meituan_push_base": mt.push_base_url,
            "eleme_push_url": el.push_url,
            **{f"{sid}_push_base": sim.push_base_url for sid, sim in others.items()},
        }
    )


async def _body(request: web.Request) -> dict[str, Any]:
    data = await request.json() if request.can_read_body else {}
    return data if isinstance(data, dict) else {}


def _set_faults(faults: Faults, body: dict[str, Any]) -> dict[str, Any]:
    for key, value in body.items():
        if key in _FAULTS:
            setattr(faults, key, type(getattr(faults, key))(value))
    return {k: getattr(faults, k) for k in sorted(_FAULTS)}


class _Pushing(Protocol):
    faults: Faults
    pusher: PushSender


async def _shared_op(sim: _Pushing, op: str, body: dict[str, Any]) -> web.Response | None:
    """``faults`` and ``retry`` work the same on every simulator; None for other ops."""
    if op == "faults":
        return web.json_response(_set_faults(sim.faults, body))
    if op == "retry":
        return web.json_response({"accepted": await sim.pusher.retry_failed()})
    return None


async def _meituan_op(request: web.Request) -> web.Response:
    sim, op, body = request.app[MT_KEY], request.match_info["op"], await _body(request)
    push = bool(body.pop("push", True))
    if (shared := await _shared_op(sim, op, body)) is not None:
        return shared
    if op == "new_order":
        oid = sim.new_order(**body)
        return web.json_response({"order_id": oid, "pushed": push and await sim.push_order(oid)})
    oid = str(body.get("order_id", ""))
    if oid not in sim.orders:
        raise web.HTTPNotFound(text="unknown order_id")
    if op == "cancel":
        fields = sim.user_cancel(oid)
        return web.json_response(
            {"order_id": oid, "pushed": push and await sim.push("cancel", fields)}
        )
    if op == "refund":
        fields = sim.refund(oid, str(body.get("notify_type", "apply")))
        return web.json_response(
            {"order_id": oid, "pushed": push and await sim.push("refund", fields)}
        )
    raise web.HTTPNotFound(text=f"unknown op {op}")


async def _eleme_op(request: web.Request) -> web.Response:
    sim, op, body = request.app[ELEME_KEY], request.match_info["op"], await _body(request)
    push = bool(body.pop("push", True))
    if (shared := await _shared_op(sim, op, body)) is not None:
        return shared
    if op == "new_order":
        oid = sim.new_order(**body)
        return web.json_response(
            {"order_id": oid, "pushed": push and await sim.push_new_order(oid)}
        )
    oid = str(body.get("order_id", ""))
    if oid not in sim.orders:
        raise web.HTTPNotFound(text="unknown order_id")
    if op in ("cancel", "refund"):
        mtype, message = sim.user_cancel(oid) if op == "cancel" else sim.refund_apply(oid)
        return web.json_response(
            {"order_id": oid, "pushed": push and await sim.push(mtype, message)}
        )
    raise web.HTTPNotFound(text=f"unknown op {op}")


async def _other_op(request: web.Request) -> web.Response:
    sim: Sim | None = request.app[SIMS_KEY].get(request.match_info["source"])
    if sim is None:
        raise web.HTTPNotFound(text="unknown source")
    op, body = request.match_info["op"], await _body(request)
    if (shared := await _shared_op(sim, op, body)) is not None:
        return shared
    return web.json_response(await sim.control(op, body), dumps=_dumps)


def _sim_log(app: web.Application, source: str) -> Log:
    if source == "meituan":
        return app[MT_KEY].log
    if source == "eleme":
        return app[ELEME_KEY].log
    sim: Sim | None = app[SIMS_KEY].get(source)
    if sim is None:
        raise web.HTTPNotFound(text="unknown source")
    return sim.log


async def _log(request: web.Request) -> web.Response:
    log = _sim_log(request.app, request.match_info["source"])
    return web.json_response(
        {
            "calls": [{"path": c.path, "params": c.params} for c in log.calls],
            "rejected": [{"path": p, "why": w} for p, w in log.rejected],
            "deliveries": [
                {"kind": d.kind, "status": d.status, "accepted": d.accepted} for d in log.deliveries
            ],
        },
        dumps=_dumps,
    )


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


class SourceSimServer:
    """Both source simulators on one loopback port, in the current event loop. Pushes
    the platform could not deliver are re-sent every ``retry_every_s`` (the platforms
    retry; their schedule is unknown [?], so 0 leaves it to ``POST retry``).

    Order ids and 饿了么 push ``requestId``s start from the clock (17-digit 美团, 19-digit
    饿了么 ids), so a new session never reuses an id an earlier session stored in the
    same database (a reused ``requestId`` would be taken for a duplicate push)."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        jupei_base_url: str = "",
        retry_every_s: float = 0.0,
        shutdown_timeout: float = 0.5,
    ) -> None:
        clk = clock or SystemClock()
        mt_base, el_url = push_targets(jupei_base_url) if jupei_base_url else ("", "")
        ms = int(clk.now().timestamp() * 1000)
        first = (
            27_000_000_000_000_000 + ms * 1000,
            3_000_000_000_000_000_000 + ms * 1000,
            100_000_000_000_000_000 + ms * 1000,
        )
        self.app = build_app(
            clock=clk,
            meituan_push_base=mt_base,
            eleme_push_url=el_url,
            first_ids=first,
            jupei_base_url=jupei_base_url,
            seed=ms * 1000,
        )
        self.host, self.port = host, port
        self.retry_every_s = retry_every_s
        self._shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None
        self._retry: asyncio.Task[None] | None = None
        self._sock: socket.socket | None = None

    @property
    def meituan(self) -> MeituanSim:
        return self.app[MT_KEY]

    @property
    def eleme(self) -> ElemeSim:
        return self.app[ELEME_KEY]

    def sim(self, source: str) -> Any:
        """The simulator of ``source`` (tests drive and inspect it directly)."""
        if source == "meituan":
            return self.meituan
        if source == "eleme":
            return self.eleme
        return self.app[SIMS_KEY][source]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def api_url(self, source: str) -> str:
        """The ``base_url`` a connector of ``source`` is pointed at."""
        if source not in SIM_IDS:
            raise KeyError(source)
        return f"{self.base_url}/{source}/api/v1/"

    def bind(self) -> str:
        """Take the port now (before ``start``), so connectors built before the loop
        runs know the URL; returns ``base_url``."""
        if self._sock is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((self.host, self.port))
            self._sock, self.port = sock, int(sock.getsockname()[1])
        return self.base_url

    def push_to(self, jupei_base_url: str) -> None:
        """Point both platforms' pushes at JuPei's listener (known once it listens)."""
        self.meituan.push_base_url, self.eleme.push_url = push_targets(jupei_base_url)
        for sid, sim in self.app[SIMS_KEY].items():
            sim.push_base_url = _push_base(jupei_base_url, sid)

    async def start(self) -> None:
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=self._shutdown_timeout)
        await runner.setup()
        if self._sock is not None:
            await web.SockSite(runner, self._sock).start()
        else:
            await web.TCPSite(runner, self.host, self.port).start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        if self.retry_every_s > 0:
            self._retry = asyncio.create_task(self._retry_loop(), name="source-sim-retry")
        log.info("source simulators (%s) on %s", ", ".join(SIM_IDS), self.base_url)

    async def stop(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retry
            self._retry = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    async def _retry_loop(self) -> None:
        while True:
            await asyncio.sleep(self.retry_every_s)
            for sim in (self.meituan, self.eleme, *self.app[SIMS_KEY].values()):
                due = getattr(sim.pusher, "retry_due", None)  # a platform's own schedule
                if due is not None:
                    await due()
                elif sim.pusher.failed:
                    await sim.pusher.retry_failed()
