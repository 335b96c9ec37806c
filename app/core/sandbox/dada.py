"""Dada sandbox: speaks Dada's JSON envelope at Dada's paths over the shared engine.

It verifies the signature with the rehearsal credentials, validates required fields,
answers in Dada's ``{status, code, msg, result}`` envelope (yuan, GCJ-02, unix seconds)
and pushes Dada-shaped status callbacks through ``callback_payload``. Signing, status
codes and paths are written here from shared/carriers/dada.md, not taken from the
adapter, so the sandbox can disagree with a wrong adapter.

Disputed facts it can play (``engine.variant("dada", name, default)``, control API
``POST /__sandbox/variant``): ``sign_empty_body`` — an empty ``body`` (the city list)
keeps its key in the signed plaintext (``keep``, default) or is left out (``drop``);
``expire_after_s`` — an order nobody accepted within that many seconds is closed by Dada
as 7 已过期 (older doc copies, audit F10; ``0``, default: never, as the newer docs list
no 7).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web

from app.core.carriers.dada.rules import RULES
from app.core.clock import local_str
from app.core.money import yuan_to_fen
from app.core.sandbox.engine import SandboxEngine, SimOrder, SimQuote, SimState, Snapshot
from app.core.sandbox.front import Fail, Front, Op, Push, usual_errors

CARRIER = "dada"
CREDS = RULES.rehearsal_credentials

# Dada order status codes (dada.md §6); AT_DROPOFF: Dada has no "at drop-off"
SIM_CODE: dict[SimState, int] = {
    SimState.PENDING: 1,
    SimState.ACCEPTED: 2,
    SimState.AT_PICKUP: 100,
    SimState.PICKED_UP: 3,
    SimState.AT_DROPOFF: 3,
    SimState.DELIVERED: 4,
    SimState.CANCELLED: 5,
    SimState.RETURNING: 9,
    SimState.RETURNED: 10,
}
# the error codes this sandbox answers with (Dada publishes no table: our choice)
ERROR = {
    "auth": 2003,
    "rate_limit": 2999,
    "balance": 2076,
    "not_found": 2012,
    "duplicate": 2105,
    "state": 2062,
    "invalid": 2001,
    "quote_expired": 2108,
}
SIGNED_KEYS = ("app_key", "body", "format", "source_id", "timestamp", "v")
STATUS_MSG = {
    1: "待接单",
    2: "待取货",
    100: "骑士到店",
    3: "配送中",
    4: "已完成",
    5: "已取消",
    7: "已过期",
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
# cargo_type codes Dada documents (shared/carriers/dada.md §5); others are refused
CARGO_TYPES = frozenset(
    {1, 2, 3, 5, 8, 9, 13, 19, 20, 21, 24, 25, 26, 27, 28, 29, 31, 51, 53, 55, 57, 59, 61, 63,
     65, 66}
)  # fmt: skip
SHOP_OFFSET = (0.012, 0.009)  # where the registered shop sits relative to the receiver


def dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def sign(secret: str, params: Mapping[str, object], *, drop_empty: bool = False) -> str:
    """dada.md §3: MD5 upper of secret + sorted key+value of the system params + secret;
    ``drop_empty`` (the disputed variant) leaves an empty ``body`` out of the plaintext."""
    keys = (k for k in SIGNED_KEYS if not (drop_empty and params[k] in ("", None)))
    plain = "".join(k + str(params[k]) for k in sorted(keys))
    return hashlib.md5((secret + plain + secret).encode("utf-8")).hexdigest().upper()


def callback_signature(*values: object) -> str:
    """dada.md §8: MD5 lower of client_id, order_id, update_time sorted and joined."""
    return hashlib.md5("".join(sorted(str(v) for v in values)).encode("utf-8")).hexdigest()


def fail(kind: str, msg: str) -> Fail:
    return Fail(ERROR[kind], msg)


def dada_code(state: SimState) -> int:
    return SIM_CODE[state]


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
    return web.json_response(doc, dumps=dumps)


def _verify(doc: object, *, drop_empty: bool = False) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise fail("invalid", "请求格式错误")
    for k in (*SIGNED_KEYS, "signature"):
        if k not in doc:
            raise fail("invalid", f"缺少参数{k}")
    if doc["app_key"] != CREDS["app_key"] or str(doc["source_id"]) != CREDS["source_id"]:
        raise fail("auth", "app_key或source_id无效")
    if doc["signature"] != sign(CREDS["app_secret"], doc, drop_empty=drop_empty):
        raise fail("auth", "签名错误")
    try:
        body = json.loads(doc["body"]) if doc["body"] else {}
    except ValueError:
        raise fail("invalid", "body格式错误") from None
    return body if isinstance(body, dict) else {"_list": body}


def _require(body: dict[str, Any], keys: Iterable[str]) -> None:
    for k in keys:
        if body.get(k) in (None, ""):
            raise fail("invalid", f"缺少参数{k}")


def _order(engine: SandboxEngine, body: dict[str, Any]) -> SimOrder:
    _require(body, ("order_id",))
    o = engine.find(CARRIER, str(body["order_id"]))
    if o is None:
        raise fail("not_found", "订单不存在")
    return o


# ---------------------------------------------------------------- operations
def _price(engine: SandboxEngine, body: dict[str, Any]) -> SimQuote:
    """Validate order fields and price them. The shop is registered at Dada (shop_no),
    not sent: the sandbox places it a fixed ~1.5 km from the receiver."""
    _require(body, ORDER_REQUIRED)
    if not (body.get("receiver_phone") or body.get("receiver_tel")):
        raise fail("invalid", "缺少参数receiver_phone")
    if str(body["shop_no"]) != CREDS["shop_no"]:
        raise fail("invalid", "门店编号不存在")
    if "cargo_type" in body and body["cargo_type"] not in CARGO_TYPES:
        raise fail("invalid", "订单商品类型(cargo_type)不合法")
    dst = (float(body["receiver_lat"]), float(body["receiver_lng"]))
    src = (dst[0] + SHOP_OFFSET[0], dst[1] + SHOP_OFFSET[1])
    weight_g = int(math.ceil(float(body["cargo_weight"]) * 1000))
    return engine.quote(CARRIER, src, dst, weight_g, ttl_s=RULES.quote_ttl_s or 180, extra=body)


def _quote(engine: SandboxEngine, body: dict[str, Any]) -> dict[str, Any]:
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


def _create(
    engine: SandboxEngine, body: dict[str, Any], q: SimQuote
) -> tuple[SimOrder, dict[str, Any]]:
    key = str(q.extra["origin_id"])
    if engine.find(CARRIER, key) is not None:
        raise fail("duplicate", "订单已存在,origin_id重复")
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


def _add_after_query(engine: SandboxEngine, body: dict[str, Any]) -> tuple[SimOrder, None]:
    _require(body, ("deliveryNo",))
    q = engine.quote_valid(str(body["deliveryNo"]))
    if q is None or q.carrier != CARRIER:
        raise fail("quote_expired", "deliveryNo不存在或已过期")
    o, _ = _create(engine, body, q)
    return o, None


def _add_order(engine: SandboxEngine, body: dict[str, Any]) -> tuple[SimOrder, dict[str, Any]]:
    return _create(engine, body, _price(engine, body))


def _times(engine: SandboxEngine, snap: Snapshot) -> dict[str, Any]:
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


EXPIRED = 7


def _expire(engine: SandboxEngine, o: SimOrder) -> Snapshot:
    """Variant ``expire_after_s``: still waiting that long -> Dada closes it (7)."""
    snap = engine.snapshot(o)
    after = float(engine.variant(CARRIER, "expire_after_s", "0"))
    waited = engine.now() - o.created_at
    if after > 0 and snap.state is SimState.PENDING and waited >= after and not o.cancelled:
        engine.cancel(o, by="carrier_system")
        o.extra["expired"] = True
        snap = engine.snapshot(o)
    return snap


def _code(o: SimOrder, snap: Snapshot) -> int:
    if snap.state is SimState.CANCELLED and o.extra.get("expired"):
        return EXPIRED
    return dada_code(snap.state)


def status_result(engine: SandboxEngine, o: SimOrder) -> dict[str, Any]:
    snap = _expire(engine, o)
    code = _code(o, snap)
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


def _query(engine: SandboxEngine, body: dict[str, Any]) -> dict[str, Any]:
    return status_result(engine, _order(engine, body))


def _cancel(engine: SandboxEngine, body: dict[str, Any]) -> dict[str, Any]:
    o = _order(engine, body)
    _require(body, ("cancel_reason_id",))
    if int(body["cancel_reason_id"]) == 10000 and not body.get("cancel_reason"):
        raise fail("invalid", "缺少参数cancel_reason")
    state = engine.snapshot(o).state
    if state not in (SimState.PENDING, SimState.ACCEPTED, SimState.AT_PICKUP):
        raise fail("state", "订单状态不允许取消")
    return {"deduct_fee": engine.cancel(o, by="merchant") / 100}


def _tip(engine: SandboxEngine, body: dict[str, Any]) -> None:
    o = _order(engine, body)
    _require(body, ("tips",))
    if engine.snapshot(o).state is not SimState.PENDING:
        raise fail("state", "只有待接单的订单才能加小费")
    fen = yuan_to_fen(body["tips"])
    if fen % 10 or fen <= o.tip_fen:
        raise fail("invalid", "小费金额须大于上次小费且最多一位小数")
    engine.tip(o, fen, replace=True)


def _positions(engine: SandboxEngine, body: dict[str, Any]) -> list[Any]:
    ids = body.get("orderIds")
    if not isinstance(ids, list) or not ids or len(ids) > 50:
        raise fail("invalid", "orderIds须为1-50个订单号")
    out = []
    for key in ids:
        o = engine.find(CARRIER, str(key))
        snap = engine.snapshot(o) if o else None
        if o is None or snap is None or snap.rider is None or snap.position is None:
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


def _track(engine: SandboxEngine, body: dict[str, Any]) -> dict[str, Any]:
    o = _order(engine, body)
    return {"trackUrl": f"https://sandbox.invalid/dada/track/{o.carrier_order_id}"}


def _confirm_goods(engine: SandboxEngine, body: dict[str, Any]) -> None:
    o = _order(engine, body)
    if engine.snapshot(o).state is not SimState.RETURNING:
        raise fail("state", "订单不是返回中状态")
    o.return_confirmed = True


def _sim_cancel(engine: SandboxEngine, body: dict[str, Any]) -> None:
    """Sandbox-only ``/api/order/cancel``: the carrier side cancels the order."""
    engine.cancel(_order(engine, body), by="carrier_system")


# a few of the cities ``/api/cityCode/list`` names (dada.md §4: 上海 -> "021"; the others
# ASSUMED to follow the same telephone area codes)
CITY_CODES: tuple[tuple[str, str], ...] = (
    ("上海", "021"), ("北京", "010"), ("广州", "020"), ("深圳", "0755"),
    ("杭州", "0571"), ("成都", "028"), ("郑州", "0371"), ("武汉", "027"),
)  # fmt: skip


def _city_codes(body: dict[str, Any]) -> list[dict[str, str]]:
    return [{"cityName": name, "cityCode": code} for name, code in CITY_CODES]


# ---------------------------------------------------------------- app
class DadaFront(Front):
    carrier = CARRIER
    faults, bad_input = usual_errors(ERROR)

    def routes(self) -> dict[str, tuple[str, Op]]:
        e = self.engine
        return {
            "/api/order/queryDeliverFee": ("quote", lambda b: _quote(e, b)),
            "/api/order/addAfterQuery": ("create", lambda b: _add_after_query(e, b)[1]),
            "/api/order/addOrder": ("create", lambda b: _add_order(e, b)[1]),
            "/api/order/status/query": ("query", lambda b: _query(e, b)),
            "/api/order/formalCancel": ("cancel", lambda b: _cancel(e, b)),
            "/api/order/addTip": ("tip", lambda b: _tip(e, b)),
            "/api/order/transporter/position": ("positions", lambda b: _positions(e, b)),
            "/api/order/transporter/track": ("track", lambda b: _track(e, b)),
            "/api/order/confirm/goods": ("confirm", lambda b: _confirm_goods(e, b)),
            "/api/order/cancel": ("sim", lambda b: _sim_cancel(e, b)),  # sandbox only
            "/api/cityCode/list": ("cities", _city_codes),
        }

    async def verify(self, request: web.Request) -> dict[str, Any]:
        try:
            doc = json.loads(await request.read())
        except ValueError:
            raise fail("invalid", "请求格式错误") from None
        # the disputed fact: does an empty body keep its key in the signed plaintext?
        drop = self.engine.variant(CARRIER, "sign_empty_body", "keep") == "drop"
        return _verify(doc, drop_empty=drop)

    def reply(self, result: Any) -> web.Response:
        return _answer(0, "成功", result)

    def error(self, code: object, msg: str) -> web.Response:
        return _answer(int(str(code)), msg)


def make_app(engine: SandboxEngine) -> web.Application:
    return DadaFront(engine).make_app()


def callback_payload(engine: SandboxEngine, order: SimOrder, snap: Snapshot) -> Push | None:
    """Dada's status callback for ``order`` in state ``snap`` -> (url, headers, body)."""
    if not order.callback_url:
        return None
    code = _code(order, snap)
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
        "signature": callback_signature(order.carrier_order_id, order.key, update_time),
        "dm_id": snap.rider_index + 1 if snap.rider else 0,
        "dm_name": snap.rider[0] if snap.rider else "",
        "dm_mobile": snap.rider[1] if snap.rider else "",
        "finish_code": "",
    }
    return order.callback_url, {"Content-Type": "application/json"}, dumps(doc).encode()
