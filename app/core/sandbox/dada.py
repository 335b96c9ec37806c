"""Dada sandbox: speaks Dada's JSON envelope at Dada's paths over the shared engine.

It verifies the signature with the rehearsal credentials, validates required fields,
answers in Dada's ``{status, code, msg, result}`` envelope (yuan, GCJ-02, unix seconds)
and pushes Dada-shaped status callbacks through ``callback_payload``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable

from aiohttp import web

from app.core.carriers.dada import codes, mapping
from app.core.carriers.dada.rules import RULES
from app.core.clock import local_str
from app.core.domain import DeliveryStatus
from app.core.money import yuan_to_fen
from app.core.sandbox.engine import SandboxEngine, SimOrder, SimQuote, SimState, Snapshot
from app.core.sandbox.server import fault_response, unless_client_gone

CARRIER = "dada"
CREDS = RULES.rehearsal_credentials

SIM_TO_STATUS = {
    SimState.PENDING: DeliveryStatus.PENDING_ACCEPT,
    SimState.ACCEPTED: DeliveryStatus.ACCEPTED,
    SimState.AT_PICKUP: DeliveryStatus.AT_PICKUP,
    SimState.PICKED_UP: DeliveryStatus.PICKED_UP,
    SimState.AT_DROPOFF: DeliveryStatus.PICKED_UP,  # Dada has no "at drop-off"
    SimState.DELIVERED: DeliveryStatus.DELIVERED,
    SimState.CANCELLED: DeliveryStatus.CANCELLED,
    SimState.RETURNING: DeliveryStatus.RETURNING,
    SimState.RETURNED: DeliveryStatus.RETURNED,
}
STATUS_MSG = {
    1: "待接单",
    2: "待取货",
    100: "骑士到店",
    3: "配送中",
    4: "已完成",
    5: "已取消",
    9: "妥投异常之物品返回中",
    10: "妥投异常之物品返回完成",
}
ORDER_REQUIRED = (
    "shop_no",
    "origin_id",
    "cargo_price",
    "is_prepay",
    "receiver_name",
    "receiver_address",
    "receiver_lat",
    "receiver_lng",
    "callback",
    "cargo_weight",
)
SHOP_OFFSET = (0.012, 0.009)  # where the registered shop sits relative to the receiver


class Fail(Exception):
    def __init__(self, kind: str, msg: str) -> None:
        super().__init__(msg)
        self.code = codes.ERROR_CODES[kind][0]
        self.msg = msg


def dada_code(state: SimState) -> int:
    return codes.code_for(SIM_TO_STATUS[state])


def _answer(code: int, msg: str, result: object = None) -> web.Response:
    ok = code == 0
    doc = {
        "status": "success" if ok else "fail",
        "code": code,
        "msg": msg,
        "result": result,
        "errorCode": code,
        "success": ok,
        "fail": not ok,
    }
    return web.json_response(doc, dumps=mapping.dumps)


def _verify(doc: object) -> dict:
    if not isinstance(doc, dict):
        raise Fail("invalid", "请求格式错误")
    for k in (*mapping.SIGNED_KEYS, "signature"):
        if k not in doc:
            raise Fail("invalid", f"缺少参数{k}")
    if doc["app_key"] != CREDS["app_key"] or str(doc["source_id"]) != CREDS["source_id"]:
        raise Fail("auth", "app_key或source_id无效")
    if doc["signature"] != mapping.sign(CREDS["app_secret"], doc):
        raise Fail("auth", "签名错误")
    try:
        body = json.loads(doc["body"]) if doc["body"] else {}
    except ValueError:
        raise Fail("invalid", "body格式错误") from None
    return body if isinstance(body, dict) else {"_list": body}


def _require(body: dict, keys) -> None:
    for k in keys:
        if body.get(k) in (None, ""):
            raise Fail("invalid", f"缺少参数{k}")


def _order(engine: SandboxEngine, body: dict) -> SimOrder:
    _require(body, ("order_id",))
    o = engine.find(CARRIER, str(body["order_id"]))
    if o is None:
        raise Fail("not_found", "订单不存在")
    return o


# ---------------------------------------------------------------- operations
def _price(engine: SandboxEngine, body: dict) -> SimQuote:
    """Validate order fields and price them. The shop is registered at Dada (shop_no),
    not sent: the sandbox places it a fixed ~1.5 km from the receiver."""
    _require(body, ORDER_REQUIRED)
    if not (body.get("receiver_phone") or body.get("receiver_tel")):
        raise Fail("invalid", "缺少参数receiver_phone")
    if str(body["shop_no"]) != CREDS["shop_no"]:
        raise Fail("invalid", "门店编号不存在")
    dst = (float(body["receiver_lat"]), float(body["receiver_lng"]))
    src = (dst[0] + SHOP_OFFSET[0], dst[1] + SHOP_OFFSET[1])
    weight_g = int(math.ceil(float(body["cargo_weight"]) * 1000))
    return engine.quote(CARRIER, src, dst, weight_g, ttl_s=RULES.quote_ttl_s or 180, extra=body)


def _quote(engine: SandboxEngine, body: dict) -> dict:
    q = _price(engine, body)
    return {
        "distance": q.distance_m,
        "fee": q.fee_fen / 100,
        "deliverFee": q.fee_fen / 100,
        "insuranceFee": 0,
        "couponFee": 0,
        "tips": 0,
        "deliveryNo": q.token,
        "expiredTime": int(engine.wall(q.expires_at).timestamp()),
    }


def _create(engine: SandboxEngine, body: dict, q: SimQuote) -> tuple[SimOrder, dict]:
    key = str(q.extra["origin_id"])
    if engine.find(CARRIER, key) is not None:
        raise Fail("duplicate", "订单已存在,origin_id重复")
    o, _ = engine.create(
        CARRIER,
        key,
        src=q.src,
        dst=q.dst,
        fee_fen=q.fee_fen,
        distance_m=q.distance_m,
        callback_url=str(q.extra.get("callback") or ""),
        extra={"client_id": ""},
    )
    o.extra["client_id"] = o.carrier_order_id
    fee = q.fee_fen / 100
    return o, {
        "distance": q.distance_m,
        "fee": fee,
        "deliverFee": fee,
        "insuranceFee": 0,
        "couponFee": 0,
        "tips": 0,
    }


def _add_after_query(engine: SandboxEngine, body: dict) -> tuple[SimOrder, None]:
    _require(body, ("deliveryNo",))
    q = engine.quote_valid(str(body["deliveryNo"]))
    if q is None or q.carrier != CARRIER:
        raise Fail("quote_expired", "deliveryNo不存在或已过期")
    o, _ = _create(engine, body, q)
    return o, None


def _add_order(engine: SandboxEngine, body: dict) -> tuple[SimOrder, dict]:
    return _create(engine, body, _price(engine, body))


def _times(engine: SandboxEngine, snap: Snapshot) -> dict:
    def at(*states: SimState) -> str:
        for st in states:
            if st in snap.times:
                return local_str(engine.wall(snap.times[st]))
        return ""

    return {
        "createTime": at(SimState.PENDING),
        "acceptTime": at(SimState.ACCEPTED),
        "fetchTime": at(SimState.PICKED_UP),
        "finishTime": at(SimState.DELIVERED),
        "cancelTime": at(SimState.CANCELLED),
    }


def status_result(engine: SandboxEngine, o: SimOrder) -> dict:
    snap = engine.snapshot(o)
    code = dada_code(snap.state)
    r = {
        "orderId": o.key,
        "statusCode": code,
        "statusMsg": STATUS_MSG.get(code, ""),
        "transporterName": "",
        "transporterPhone": "",
        "transporterLat": "",
        "transporterLng": "",
        "deliveryFee": o.fee_fen / 100,
        "tips": o.tip_fen / 100,
        "distance": o.distance_m,
        "orderFinishCode": "",
        "insuranceFee": 0,
        "actualFee": (o.fee_fen + o.tip_fen) / 100 if code == 4 else 0,
        "deductFee": snap.cancel_fee_fen / 100,
        **_times(engine, snap),
    }
    if snap.rider:
        r["transporterName"], r["transporterPhone"] = snap.rider
    if snap.position:
        r["transporterLat"], r["transporterLng"] = (f"{v:.6f}" for v in snap.position)
    return r


def _query(engine: SandboxEngine, body: dict) -> dict:
    return status_result(engine, _order(engine, body))


def _cancel(engine: SandboxEngine, body: dict) -> dict:
    o = _order(engine, body)
    _require(body, ("cancel_reason_id",))
    if int(body["cancel_reason_id"]) == 10000 and not body.get("cancel_reason"):
        raise Fail("invalid", "缺少参数cancel_reason")
    state = engine.snapshot(o).state
    if state not in (SimState.PENDING, SimState.ACCEPTED, SimState.AT_PICKUP):
        raise Fail("state", "订单状态不允许取消")
    return {"deduct_fee": engine.cancel(o, by="merchant") / 100}


def _tip(engine: SandboxEngine, body: dict) -> None:
    o = _order(engine, body)
    _require(body, ("tips",))
    if engine.snapshot(o).state is not SimState.PENDING:
        raise Fail("state", "只有待接单的订单才能加小费")
    fen = yuan_to_fen(body["tips"])
    if fen % 10 or fen <= o.tip_fen:
        raise Fail("invalid", "小费金额须大于上次小费且最多一位小数")
    engine.tip(o, fen, replace=True)


def _positions(engine: SandboxEngine, body: dict) -> list:
    ids = body.get("orderIds")
    if not isinstance(ids, list) or not ids or len(ids) > 50:
        raise Fail("invalid", "orderIds须为1-50个订单号")
    out = []
    for key in ids:
        o = engine.find(CARRIER, str(key))
        snap = engine.snapshot(o) if o else None
        if snap is None or snap.rider is None or snap.position is None:
            continue
        out.append(
            {
                "orderId": o.key,
                "transporterName": snap.rider[0],
                "transporterPhone": snap.rider[1],
                "transporterLat": f"{snap.position[0]:.6f}",
                "transporterLng": f"{snap.position[1]:.6f}",
            }
        )
    return out


def _track(engine: SandboxEngine, body: dict) -> dict:
    o = _order(engine, body)
    return {"trackUrl": f"https://sandbox.invalid/dada/track/{o.carrier_order_id}"}


def _confirm_goods(engine: SandboxEngine, body: dict) -> None:
    o = _order(engine, body)
    if engine.snapshot(o).state is not SimState.RETURNING:
        raise Fail("state", "订单不是返回中状态")
    o.return_confirmed = True


def _sim_cancel(engine: SandboxEngine, body: dict) -> None:
    """Sandbox-only ``/api/order/cancel``: the carrier side cancels the order."""
    engine.cancel(_order(engine, body), by="carrier_system")


# ---------------------------------------------------------------- app
Op = Callable[[SandboxEngine, dict], object]

ROUTES: dict[str, tuple[str, Op]] = {
    mapping.PATH_QUOTE: ("quote", _quote),
    mapping.PATH_ADD_AFTER_QUERY: ("create", _add_after_query),
    mapping.PATH_ADD_ORDER: ("create", _add_order),
    mapping.PATH_QUERY: ("query", _query),
    mapping.PATH_CANCEL: ("cancel", _cancel),
    mapping.PATH_TIP: ("tip", _tip),
    mapping.PATH_POSITION: ("positions", _positions),
    mapping.PATH_TRACK: ("track", _track),
    mapping.PATH_CONFIRM_GOODS: ("confirm", _confirm_goods),
    "/api/order/cancel": ("sim", _sim_cancel),
}

FAULT_KIND = {
    "rate_limit": ("rate_limit", "请求过于频繁"),
    "auth": ("auth", "签名错误"),
    "balance": ("balance", "账户余额不足"),
}


def _handler(engine: SandboxEngine, op: str, fn: Op) -> Callable[[web.Request], Awaitable]:
    async def handle(request: web.Request) -> web.Response:
        alive, action = await unless_client_gone(request, engine.before_request(CARRIER, op=op))
        if not alive:
            return web.Response(status=504)
        if action in ("5xx", "malformed"):
            return fault_response(action)  # type: ignore[return-value]
        try:
            if action in FAULT_KIND:
                raise Fail(*FAULT_KIND[action])
            try:
                doc = json.loads(await request.read())
            except ValueError:
                raise Fail("invalid", "请求格式错误") from None
            body = _verify(doc)
            result = fn(engine, body)
        except Fail as f:
            return _answer(f.code, f.msg)
        if op == "create":
            alive, _ = await unless_client_gone(request, engine.after_create(CARRIER))
            if not alive:
                return web.Response(status=504)
            result = result[1]  # type: ignore[index]
        return _answer(0, "成功", result)

    return handle


def make_app(engine: SandboxEngine) -> web.Application:
    app = web.Application()
    for path, (op, fn) in ROUTES.items():
        app.router.add_post(path, _handler(engine, op, fn))
    return app


def callback_payload(engine: SandboxEngine, order: SimOrder, snap: Snapshot):
    """Dada's status callback for ``order`` in state ``snap`` -> (url, headers, body)."""
    if not order.callback_url:
        return None
    code = dada_code(snap.state)
    t = snap.times.get(snap.state, engine.now())
    ts = engine.wall(t).timestamp()
    update_time = int(ts * 1000) if code == 1000 else int(ts)
    cancel_from = {"merchant": 2, "rider": 1, "carrier_system": 3}.get(snap.cancelled_by, 0)
    doc = {
        "client_id": order.carrier_order_id,
        "order_id": order.key,
        "order_status": code,
        "repeat_reason_type": 1 if snap.reassigned else 0,
        "cancel_reason": "",
        "cancel_from": cancel_from if code == 5 else 0,
        "update_time": update_time,
        "signature": mapping.callback_signature(order.carrier_order_id, order.key, update_time),
        "dm_id": snap.rider_index + 1 if snap.rider else 0,
        "dm_name": snap.rider[0] if snap.rider else "",
        "dm_mobile": snap.rider[1] if snap.rider else "",
        "finish_code": "",
    }
    return order.callback_url, {"Content-Type": "application/json"}, mapping.dumps(doc).encode()
