"""Fengniao v3 sandbox: ``/v3/invoke/<api>`` over the shared engine, in Fengniao's own
envelope (``{code, msg, business_data}``), checking the SHA-256 signature against
``RULES.rehearsal_credentials``. Error codes are the v2 ones the adapter assumes for v3;
rate-limit and balance errors, which have no known code, carry code 40000 and a message.
"""

from __future__ import annotations

import json
import time

from aiohttp import web

from app.core.carriers.fengniao.mapping import SIGNED_KEYS, dumps, sign
from app.core.carriers.fengniao.rules import RULES
from app.core.sandbox.engine import SandboxEngine, SimOrder, SimState, Snapshot
from app.core.sandbox.server import fault_response

CARRIER = "fengniao"
CREDS = RULES.rehearsal_credentials
CANCELLABLE = {SimState.PENDING, SimState.ACCEPTED, SimState.AT_PICKUP}
CODE_OF = {
    SimState.PENDING: 1,
    SimState.ACCEPTED: 20,
    SimState.AT_PICKUP: 80,
    SimState.PICKED_UP: 2,
    SimState.AT_DROPOFF: 2,
    SimState.RETURNING: 2,  # v2 has no return code: the rider still carries the goods
    SimState.DELIVERED: 3,
    SimState.CANCELLED: 4,
    SimState.RETURNED: 5,
}
SERVICE_GOODS_ID, BASE_GOODS_ID = 30002, 10001


class FnError(Exception):
    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code, self.msg = code, msg


def _reply(code: int, msg: str, data: object = None) -> web.Response:
    body = {"code": code, "msg": msg, "business_data": dumps(data) if data is not None else ""}
    return web.Response(body=dumps(body).encode(), content_type="application/json")


def _verify(env: dict) -> dict:
    if env.get("app_id") != CREDS["app_id"]:
        raise FnError(40001, "appid不存在")
    if env.get("access_token") != CREDS["access_token"]:
        raise FnError(40004, "token不正确或已失效")
    if sign(CREDS["app_secret"], {k: v for k, v in env.items() if k in SIGNED_KEYS}) != env.get(
        "signature"
    ):
        raise FnError(40002, "验证签名失败")
    if str(env.get("merchant_id")) != CREDS["merchant_id"]:
        raise FnError(40000, "商户不存在")
    return json.loads(env["business_data"])


def _need(biz: dict, *keys: str) -> None:
    missing = [k for k in keys if biz.get(k) in (None, "")]
    if missing:
        raise FnError(50010, "缺失必填项: " + ",".join(missing))


def _points(biz: dict) -> tuple[tuple[float, float], tuple[float, float]]:
    _need(biz, "receiver_longitude", "receiver_latitude", "position_source")
    if (
        biz.get("chain_store_id") != CREDS["shop_id"]
        and biz.get("out_shop_code") != CREDS["shop_id"]
    ):
        raise FnError(50041, "门店不存在")
    if int(biz["position_source"]) != 3:
        raise FnError(50041, "position_source 须为 3 (高德)")
    dst = (float(biz["receiver_latitude"]), float(biz["receiver_longitude"]))
    if biz.get("transport_latitude") not in (None, ""):
        src = (float(biz["transport_latitude"]), float(biz["transport_longitude"]))
    else:  # the store registered with the sandbox: 1.5 km west of the receiver
        src = (dst[0], dst[1] - 0.0165)
    return src, dst


def _order(engine: SandboxEngine, biz: dict) -> SimOrder:
    o = None
    if biz.get("partner_order_code"):
        o = engine.find(CARRIER, str(biz["partner_order_code"]))
    elif biz.get("order_id"):
        o = engine.find_by_carrier_id(CARRIER, str(biz["order_id"]))
    else:
        raise FnError(50010, "缺失必填项: partner_order_code/order_id")
    if o is None:
        raise FnError(50037, "订单不存在")
    return o


def detail(o: SimOrder, snap: Snapshot) -> dict:
    d: dict = {
        "order_id": o.carrier_order_id,
        "partner_order_code": o.key,
        "order_status": CODE_OF[snap.state],
        "order_total_amount_cent": o.fee_fen + o.tip_fen,
        "order_actual_amount_cent": o.fee_fen,
        "order_tip_amount_cent": o.tip_fen,
    }
    if snap.rider:
        d["carrier_driver_name"], d["carrier_driver_phone"] = snap.rider
    if snap.state is SimState.CANCELLED:
        d["actual_cancel_cost_cent"] = snap.cancel_fee_fen
        d["cancel_reason"] = 2 if snap.cancelled_by == "merchant" else 1
    if snap.state is SimState.RETURNED:
        d["description"] = "配送失败，商品已退回"
    return d


def _pre_create(engine: SandboxEngine, biz: dict) -> dict:
    _need(biz, "partner_order_code", "goods_weight")
    src, dst = _points(biz)
    q = engine.quote(CARRIER, src, dst, int(float(biz["goods_weight"]) * 1000), ttl_s=600)
    goods = {
        "service_goods_id": SERVICE_GOODS_ID,
        "base_goods_id": BASE_GOODS_ID,
        "is_valid": 1,
        "total_delivery_amount_cent": q.fee_fen,
        "actual_delivery_amount_cent": q.fee_fen,
    }
    return {"distance": q.distance_m, "time": q.delivery_eta_s, "goods_infos": [goods]}


async def _create(engine: SandboxEngine, biz: dict) -> dict:
    _need(
        biz,
        "partner_order_code",
        "receiver_name",
        "receiver_primary_phone",
        "receiver_address",
        "goods_weight",
        "service_goods_id",
    )
    src, dst = _points(biz)
    fee, dist = engine.price(CARRIER, src, dst, int(float(biz["goods_weight"]) * 1000))
    o, created = engine.create(
        CARRIER,
        str(biz["partner_order_code"]),
        src=src,
        dst=dst,
        fee_fen=fee,
        distance_m=dist,
        callback_url=str(biz.get("callback_url") or ""),
    )
    if not created:
        raise FnError(50011, "订单号重复提交")
    await engine.after_create(CARRIER)
    return {
        "order_id": o.carrier_order_id,
        "partner_order_code": o.key,
        "actual_delivery_amount_cent": fee,
        "distance": dist,
    }


def _cancellable(engine: SandboxEngine, o: SimOrder) -> None:
    if engine.snapshot(o).state not in CANCELLABLE:
        raise FnError(50102, "当前订单状态不允许取消")


def _cancel(engine: SandboxEngine, biz: dict) -> dict:
    o = _order(engine, biz)
    _need(biz, "order_cancel_code", "actual_cancel_cost_cent")
    _cancellable(engine, o)
    if int(biz["actual_cancel_cost_cent"]) != engine.cancel_fee(o):
        raise FnError(50101, "商户取消订单失败: 取消费用已变化，请重新预取消")
    engine.cancel(o, by="merchant")
    return {}


def _tip(engine: SandboxEngine, biz: dict) -> dict:
    o = _order(engine, biz)
    _need(biz, "add_tip_amount_cent", "third_index_id")
    amount, serial = int(biz["add_tip_amount_cent"]), str(biz["third_index_id"])
    seen = o.extra.setdefault("tip_serials", set())
    if serial in seen:
        return {"order_tip_amount_cent": o.tip_fen}
    if engine.snapshot(o).state is not SimState.PENDING:
        raise FnError(40000, "骑手已接单，不可加小费")
    if amount < RULES.tips.min_fen or amount % RULES.tips.step_fen:
        raise FnError(50041, "小费金额不符合规则")
    seen.add(serial)
    return {"order_tip_amount_cent": engine.tip(o, amount)}


def _knight(engine: SandboxEngine, biz: dict) -> dict:
    snap = engine.snapshot(_order(engine, biz))
    if snap.rider is None or snap.position is None:
        raise FnError(40000, "暂无骑手信息")
    return {
        "carrier_driver_name": snap.rider[0],
        "carrier_driver_phone": snap.rider[1],
        "carrier_driver_latitude": snap.position[0],
        "carrier_driver_longitude": snap.position[1],
    }


async def _dispatch(engine: SandboxEngine, api: str, biz: dict) -> object:
    if api == "createOrder":
        return await _create(engine, biz)
    if api == "preCreateOrder":
        return _pre_create(engine, biz)
    if api == "getOrderDetail":
        o = _order(engine, biz)
        return detail(o, engine.snapshot(o))
    if api == "getCancelReasonList":
        _order(engine, biz)
        return {
            "cancel_reason_list": [
                {"order_cancel_code": 32, "order_cancel_desc": "商家取消"},
                {"order_cancel_code": 0, "order_cancel_desc": "其他"},
            ]
        }
    if api == "preCancelOrder":
        o = _order(engine, biz)
        _cancellable(engine, o)
        return {"actual_cancel_cost_cent": engine.cancel_fee(o)}
    if api == "cancelOrder":
        return _cancel(engine, biz)
    if api == "addTip":
        return _tip(engine, biz)
    if api == "getKnightInfo":
        return _knight(engine, biz)
    raise FnError(40000, f"接口不存在: {api}")


def make_app(engine: SandboxEngine) -> web.Application:
    async def invoke(request: web.Request) -> web.Response:
        api = request.match_info["api"]
        action = await engine.before_request(CARRIER, op="create" if api == "createOrder" else api)
        if action in ("5xx", "malformed"):
            return fault_response(action)  # type: ignore[return-value]
        if action == "auth":
            return _reply(40002, "验证签名失败")
        if action == "rate_limit":
            return _reply(40000, "请求过于频繁，请稍后再试")
        try:
            biz = _verify(await request.json())
            if action == "balance":
                raise FnError(40000, "商户余额不足")
            return _reply(200, "success", await _dispatch(engine, api, biz))
        except FnError as e:
            return _reply(e.code, e.msg)
        except (ValueError, KeyError, TypeError):
            return _reply(40000, "请求失败: 参数格式错误")

    app = web.Application()
    app.router.add_post("/v3/invoke/{api}", invoke)
    return app


def callback_payload(engine: SandboxEngine, order: SimOrder, snap: Snapshot):
    """A v3 ``orderStatusNotify`` push to ``order.callback_url``, signed like requests."""
    if not order.callback_url:
        return None
    param = {**detail(order, snap), "push_time": int(engine.wall().timestamp() * 1000)}
    env = {
        "app_id": CREDS["app_id"],
        "timestamp": str(int(time.time() * 1000)),
        "business_data": dumps({"callback_business_type": "orderStatusNotify", "param": param}),
    }
    env["signature"] = sign(CREDS["app_secret"], env)
    return order.callback_url, {"Content-Type": "application/json"}, dumps(env).encode()
