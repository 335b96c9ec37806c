"""UU v3 sandbox: ``/order/<name>`` over the shared engine in UU's own envelope
(``{code, msg, body}``, success code 0), checking ``X-App-Id``, ``openId`` and the MD5
sign against ``RULES.rehearsal_credentials``. Coordinates are BD-09 on the wire.
Codes are UU's v2 table where one exists; the duplicate-originId and cancel-after-pickup
codes (-2014, -4005) are the sandbox's own, matched by the adapter on their message.

Disputed facts it can play (``engine.variant("uupt", name, default)``, control API
``POST /__sandbox/variant``), defaults = what UU's own tools show:
``timestamp_unit`` = ``ms`` — a seconds timestamp is refused (-102), as the official
example's milliseconds would have it (default: both accepted); ``fee_fields`` = ``total``
— ``orderPrice`` answers ``totalMoney`` without ``needPayMoney``;
``field_style`` ``snake`` (``receiver_phone``/``order_code`` read; camel names ignored like
any unknown field) | ``camel`` | ``both``; ``detail_fee`` ``orderPrice`` (orderDetail has
only ``orderPrice``) | ``needPayMoney``; ``cancel_fee_key`` ``deductFee`` | ``cancelFee``
(cancelOrder's answer); ``track`` ``lnglat`` (``driver_name``, ``driver_phone``,
``longitude``/``latitude`` BD-09) | ``driverLastLoc``. The ``balance`` fault answers
``orderCode`` + ``orderUrl``: the order exists but waits for payment (no rider comes).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from app.core.carriers.uupt.rules import RULES
from app.core.geo import bd09_to_gcj02, distance_m, gcj02_to_bd09
from app.core.sandbox.engine import SandboxEngine, Scenario, SimOrder, SimState, Snapshot
from app.core.sandbox.front import Fail, Front, Op, Push, current_fault

CARRIER = "uupt"
CREDS = RULES.rehearsal_credentials
CANCELLABLE = {SimState.PENDING, SimState.ACCEPTED, SimState.AT_PICKUP}
STATE = {
    SimState.PENDING: (1, "下单成功"),
    SimState.ACCEPTED: (3, "跑男已接单"),
    SimState.AT_PICKUP: (4, "跑男已到达"),
    SimState.PICKED_UP: (5, "跑男已取件"),
    SimState.AT_DROPOFF: (6, "跑男送达中"),
    SimState.DELIVERED: (10, "已完成"),
    SimState.CANCELLED: (11, "已取消"),
    SimState.RETURNING: (20, "异常订单"),
    SimState.RETURNED: (-3, "订单取消"),
}


def dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def sign(biz: str, secret: str, timestamp: object) -> str:
    """uupt.md §2: UPPER(MD5(biz + appSecret + timestamp)), plain concatenation."""
    return hashlib.md5(f"{biz}{secret}{timestamp}".encode()).hexdigest().upper()


def _reply(code: int, msg: str, body: object = None) -> web.Response:
    return web.Response(
        body=dumps({"code": code, "msg": msg, "body": body}).encode(),
        content_type="application/json",
    )


def _verify(
    headers: Mapping[str, str], env: dict[str, Any], *, ms_only: bool = False
) -> dict[str, Any]:
    if headers.get("X-App-Id") != CREDS["app_id"]:
        raise Fail(-103, "appid无效")
    if env.get("openId") != CREDS["open_id"]:
        raise Fail(-105, "openid无效")
    ts = env.get("timestamp")
    if not isinstance(ts, int) or (ms_only and ts < 10**11):
        raise Fail(-102, "timestamp错误")
    now = time.time() * (1000 if ts > 10**11 else 1)  # both units accepted: the unit is [?]
    if abs(now - ts) > 600 * (1000 if ts > 10**11 else 1):
        raise Fail(-102, "timestamp错误")
    if sign(env.get("biz", ""), CREDS["app_secret"], ts) != env.get("sign"):
        raise Fail(-104, "签名校验失败")
    biz: dict[str, Any] = json.loads(env["biz"])
    return biz


def _need(biz: dict[str, Any], *keys: str) -> None:
    missing = [k for k in keys if biz.get(k) in (None, "")]
    if missing:
        raise Fail(-101, "参数格式校验错误: " + ",".join(missing))


def _style(engine: SandboxEngine) -> str:
    return engine.variant(CARRIER, "field_style", "snake")


def _field(engine: SandboxEngine, biz: dict[str, Any], camel: str, snake: str) -> Any:
    """The value under the name(s) the played style reads; other spellings are ignored."""
    style = _style(engine)
    names = {"snake": (snake,), "camel": (camel,)}.get(style, (camel, snake))
    return next((biz[n] for n in names if biz.get(n) not in (None, "")), None)


def _order(engine: SandboxEngine, biz: dict[str, Any]) -> SimOrder:
    o = None
    code = _field(engine, biz, "orderCode", "order_code")
    if biz.get("originId"):
        o = engine.find(CARRIER, str(biz["originId"]))
    elif code:
        o = engine.find_by_carrier_id(CARRIER, str(code))
    if o is None:
        raise Fail(-4002, "订单编号无效")
    return o


def detail(
    o: SimOrder, snap: Snapshot, *, callback: bool = False, fee_key: str = "orderPrice"
) -> dict[str, Any]:
    state, text = STATE[snap.state]
    if snap.state is SimState.PENDING and snap.reassigned:
        state, text = 2, "跑男取消，重新派单"
    if callback and state == 11:
        state, text = -1, "订单取消"  # the callback table's cancel code
    d: dict[str, Any] = {
        "orderCode": o.carrier_order_id,
        "originId": o.key,
        "state": state,
        "stateText": text,
        "gratuityFee": o.tip_fen,
        "distance": o.distance_m,
    }
    if fee_key == "orderPrice":
        d["orderPrice"] = o.fee_fen
    else:
        d["totalMoney"] = d["needPayMoney"] = o.fee_fen
    if snap.rider:
        d["driverName"], d["driverMobile"] = snap.rider
    if snap.state is SimState.CANCELLED:
        d["cancelFee"] = snap.cancel_fee_fen
    return d


def _price(
    engine: SandboxEngine, biz: dict[str, Any], *, total_only: bool = False
) -> dict[str, Any]:
    _need(biz, "fromLat", "fromLng", "toLat", "toLng", "goodsWeight", "sendType")
    if not biz.get("adCode") and not biz.get("cityName"):
        raise Fail(-1003, "无法获取订单城市相关信息")
    src = bd09_to_gcj02(float(biz["fromLat"]), float(biz["fromLng"]))
    dst = bd09_to_gcj02(float(biz["toLat"]), float(biz["toLng"]))
    q = engine.quote(
        CARRIER, src, dst, int(float(biz["goodsWeight"]) * 1000), ttl_s=RULES.quote_ttl_s or 120
    )
    out = {
        "priceToken": q.token,
        "totalMoney": q.fee_fen,
        "needPayMoney": q.fee_fen,
        "distance": q.distance_m,
    }
    if total_only:
        del out["needPayMoney"]
    return out


async def _add(engine: SandboxEngine, biz: dict[str, Any]) -> dict[str, Any]:
    _need(biz, "priceToken", "originId", "receiver", "pushType", "payType")
    if _field(engine, biz, "receiverPhone", "receiver_phone") is None:
        phone = {"snake": "receiver_phone", "camel": "receiverPhone"}.get(_style(engine))
        raise Fail(-101, "参数格式校验错误: " + (phone or "receiver_phone"))
    q = engine.quote_valid(str(biz["priceToken"]))
    if q is None:
        raise Fail(-2002, "price_token无效或已过期")
    unpaid = current_fault() == "balance"
    saved = engine.scenario.get(CARRIER)
    if unpaid:  # UU holds the order until it is paid: no rider is ever asked
        engine.set_scenario(CARRIER, Scenario.NO_RIDER)
    try:
        o, created = engine.create(
            CARRIER,
            str(biz["originId"]),
            src=q.src,
            dst=q.dst,
            fee_fen=q.fee_fen,
            distance_m=q.distance_m,
            callback_url=str(biz.get("callbackUrl") or ""),
        )
    finally:
        if unpaid:
            engine.scenario.pop(CARRIER, None)
            if saved is not None:
                engine.set_scenario(CARRIER, saved)
    if not created:
        raise Fail(-2014, "订单重复提交: originId已存在")
    if unpaid:  # UU's CLI: orderCode and orderUrl both come back ([PAYMENT_REQUIRED])
        o.extra["unpaid"] = True
        url = f"https://pay.sandbox.uupt.invalid/{o.carrier_order_id}"
        return {"orderCode": o.carrier_order_id, "orderUrl": url}
    return {"orderCode": o.carrier_order_id, "originId": o.key}


def _cancellable(engine: SandboxEngine, o: SimOrder) -> None:
    if engine.snapshot(o).state not in CANCELLABLE:
        raise Fail(-4005, "跑男已取件，无法取消，请联系客服")


def _cancel(engine: SandboxEngine, biz: dict[str, Any]) -> dict[str, Any]:
    o = _order(engine, biz)
    if not biz.get("reason"):
        raise Fail(-4001, "取消原因不能为空")
    _cancellable(engine, o)
    key = engine.variant(CARRIER, "cancel_fee_key", "deductFee")
    return {key: engine.cancel(o, by="merchant")}


def _tip(engine: SandboxEngine, biz: dict[str, Any]) -> dict[str, Any]:
    o = _order(engine, biz)
    _need(biz, "gratuityFee")
    amount = int(biz["gratuityFee"])
    if engine.snapshot(o).state is not SimState.PENDING:
        raise Fail(-2006, "跑男已接单，不能加小费")
    if amount < RULES.tips.min_fen or amount % RULES.tips.step_fen:
        raise Fail(-2006, "小费金额错误")
    return {"gratuityFee": engine.tip(o, amount)}


def _track(engine: SandboxEngine, biz: dict[str, Any]) -> dict[str, Any]:
    o = _order(engine, biz)
    snap = engine.snapshot(o)
    if snap.rider is None or snap.position is None:
        raise Fail(-5004, "暂无跑男位置")
    b_lat, b_lng = gcj02_to_bd09(*snap.position)
    if engine.variant(CARRIER, "track", "lnglat") == "driverLastLoc":
        return {
            "driverName": snap.rider[0],
            "driverMobile": snap.rider[1],
            "driverLastLoc": f"{b_lng:.6f},{b_lat:.6f}",
        }
    return {  # UU's api-reference: driver_name, driver_phone, longitude, latitude, distance
        "driver_name": snap.rider[0],
        "driver_phone": snap.rider[1],
        "longitude": round(b_lng, 6),
        "latitude": round(b_lat, 6),
        "distance": distance_m(*snap.position, *o.dst),
    }


def _detail(engine: SandboxEngine, biz: dict[str, Any]) -> dict[str, Any]:
    o = _order(engine, biz)
    return detail(
        o, engine.snapshot(o), fee_key=engine.variant(CARRIER, "detail_fee", "orderPrice")
    )


def _cancel_fee(engine: SandboxEngine, biz: dict[str, Any]) -> dict[str, Any]:
    o = _order(engine, biz)
    _cancellable(engine, o)
    return {"cancelFee": engine.cancel_fee(o)}


class UuFront(Front):
    carrier = CARRIER
    faults = {"auth": (-104, "签名校验失败"), "rate_limit": (-10001, "发送频率过快")}
    bad_input = (-199, "参数格式校验错误")
    unknown_path = "/order/{name}"

    def routes(self) -> dict[str, tuple[str, Op]]:
        e = self.engine
        ops: dict[str, Op] = {
            "addOrder": lambda b: _add(e, b),
            "orderPrice": lambda b: _price(e, b, total_only=self._variant("fee_fields", "total")),
            "orderDetail": lambda b: _detail(e, b),
            "cancelFee": lambda b: _cancel_fee(e, b),
            "cancelOrder": lambda b: _cancel(e, b),
            "addGratuity": lambda b: _tip(e, b),
            "driverTrack": lambda b: _track(e, b),
        }
        return self.by_name("/order/", ops, create="addOrder")

    async def verify(self, request: web.Request) -> Any:
        ms_only = self._variant("timestamp_unit", "ms")
        return _verify(request.headers, await request.json(), ms_only=ms_only)

    def _variant(self, name: str, value: str) -> bool:
        return self.engine.variant(CARRIER, name, "") == value

    def reply(self, result: Any) -> web.Response:
        return _reply(0, "success", result)

    def error(self, code: object, msg: str) -> web.Response:
        return _reply(int(str(code)), msg)


def make_app(engine: SandboxEngine) -> web.Application:
    return UuFront(engine).make_app()


def callback_payload(engine: SandboxEngine, order: SimOrder, snap: Snapshot) -> Push | None:
    """A v3 status push ``{openId, timestamp, biz, sign}`` signed like requests."""
    if not order.callback_url:
        return None
    biz = dumps(
        {
            **detail(
                order,
                snap,
                callback=True,
                fee_key=engine.variant(CARRIER, "detail_fee", "orderPrice"),
            ),
            "changeTime": int(engine.wall().timestamp()),
        }
    )
    ts = int(time.time())
    env = {
        "openId": CREDS["open_id"],
        "timestamp": ts,
        "biz": biz,
        "sign": sign(biz, CREDS["app_secret"], ts),
    }
    return order.callback_url, {"Content-Type": "application/json"}, dumps(env).encode()
