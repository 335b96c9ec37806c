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
"""

from __future__ import annotations

import json
from dataclasses import fields as dc_fields
from typing import Any

from aiohttp import web

from app.core.clock import Clock, SystemClock
from app.core.sandbox.sources.common import Faults, Log
from app.core.sandbox.sources.eleme import ElemeSim
from app.core.sandbox.sources.meituan import MeituanSim

MT_KEY = web.AppKey("meituan_sim", MeituanSim)
ELEME_KEY = web.AppKey("eleme_sim", ElemeSim)
_FAULTS = {f.name for f in dc_fields(Faults)}


def build_app(
    *, clock: Clock | None = None, meituan_push_base: str = "", eleme_push_url: str = ""
) -> web.Application:
    """``meituan_push_base``: JuPei's ``[sources.meituan] push_base_url`` (pushes go to
    ``<base>/<kind>``); ``eleme_push_url``: the one 饿了么 callback URL."""
    clk = clock or SystemClock()
    mt = MeituanSim(clock=clk, push_base_url=meituan_push_base)
    el = ElemeSim(clock=clk, push_url=eleme_push_url)
    root = web.Application()
    root[MT_KEY], root[ELEME_KEY] = mt, el
    root.add_subapp("/meituan", mt.make_app())
    root.add_subapp("/eleme", el.make_app())
    root.router.add_post("/__sources/meituan/{op}", _meituan_op)
    root.router.add_post("/__sources/eleme/{op}", _eleme_op)
    root.router.add_get("/__sources/{source}/log", _log)
    return root


async def _body(request: web.Request) -> dict[str, Any]:
    data = await request.json() if request.can_read_body else {}
    return data if isinstance(data, dict) else {}


def _set_faults(faults: Faults, body: dict[str, Any]) -> dict[str, Any]:
    for key, value in body.items():
        if key in _FAULTS:
            setattr(faults, key, type(getattr(faults, key))(value))
    return {k: getattr(faults, k) for k in sorted(_FAULTS)}


async def _meituan_op(request: web.Request) -> web.Response:
    sim, op, body = request.app[MT_KEY], request.match_info["op"], await _body(request)
    push = bool(body.pop("push", True))
    if op == "faults":
        return web.json_response(_set_faults(sim.faults, body))
    if op == "retry":
        return web.json_response({"accepted": await sim.pusher.retry_failed()})
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
    if op == "faults":
        return web.json_response(_set_faults(sim.faults, body))
    if op == "retry":
        return web.json_response({"accepted": await sim.pusher.retry_failed()})
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


async def _log(request: web.Request) -> web.Response:
    source = request.match_info["source"]
    if source not in ("meituan", "eleme"):
        raise web.HTTPNotFound(text="unknown source")
    log: Log = request.app[MT_KEY].log if source == "meituan" else request.app[ELEME_KEY].log
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
