"""Fengniao v3 sandbox: ``/v3/invoke/<api>`` over the shared engine, in Fengniao's own
envelope (``{code, msg, business_data}``), checking the SHA-256 signature against
``RULES.rehearsal_credentials``. Error codes are the v2 ones the adapter assumes for v3;
rate-limit and balance errors, which have no known code, carry code 40000 and a message.

Disputed facts it can play (``engine.variant("fengniao", name, default)``, control API
``POST /__sandbox/variant``): ``callback_fields`` (audit F9) — a status callback carries
``app_id``, ``timestamp``, ``business_data`` signed over those three (``three``, default,
as varys verifies), also ``merchant_id``/``version`` outside the signature
(``extra_unsigned``) or inside it (``extra_signed``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from app.core.carriers.fengniao.rules import RULES
from app.core.sandbox.engine import SandboxEngine, SimOrder, SimState, Snapshot
from app.core.sandbox.front import Fail, Front, Op, Push

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


SIGNED_KEYS = ("app_id", "merchant_id", "timestamp", "version", "access_token", "business_data")


def dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def sign(secret: str, env: Mapping[str, object]) -> str:
    """fengniao.md §3: SHA-256 lower hex of secret + ``k=v&...`` over the sorted
    non-empty signed params."""
    keys = sorted(k for k in SIGNED_KEYS if env.get(k) not in (None, ""))
    plain = secret + "&".join(f"{k}={env[k]}" for k in keys)
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


def _reply(code: int, msg: str, data: object = None) -> web.Response:
    body = {"code": code, "msg": msg, "business_data": dumps(data) if data is not None else ""}
    return web.Response(body=dumps(body).encode(), content_type="application/json")


def _verify(env: dict[str, Any]) -> dict[str, Any]:
    if env.get("app_id") != CREDS["app_id"]:
        raise Fail(40001, "appid不存在")
    if env.get("access_token") != CREDS["access_token"]:
        raise Fail(40004, "token不正确或已失效")
    if sign(CREDS["app_secret"], env) != env.get("signature"):
        raise Fail(40002, "验证签名失败")
    if str(env.get("merchant_id")) != CREDS["merchant_id"]:
        raise Fail(40000, "商户不存在")
    biz: dict[str, Any] = json.loads(env["business_data"])
    return biz


def _need(biz: dict[str, Any], *keys: str) -> None:
    missing = [k for k in keys if biz.get(k) in (None, "")]
    if missing:
        raise Fail(50010, "缺失必填项: " + ",".join(missing))


def _points(biz: dict[str, Any]) -> tuple[tuple[float, float], tuple[float, float]]:
    _need(biz, "receiver_longitude", "receiver_latitude", "position_source")
    if (
        biz.get("chain_store_id") != CREDS["shop_id"]
        and biz.get("out_shop_code") != CREDS["shop_id"]
    ):
        raise Fail(50041, "门店不存在")
    if int(biz["position_source"]) != 3:
        raise Fail(50041, "position_source 须为 3 (高德)")
    dst = (float(biz["receiver_latitude"]), float(biz["receiver_longitude"]))
    if biz.get("transport_latitude") not in (None, ""):
        src = (float(biz["transport_latitude"]), float(biz["transport_longitude"]))
    else:  # the store registered with the sandbox: 1.5 km west of the receiver
        src = (dst[0], dst[1] - 0.0165)
    return src, dst


def _order(engine: SandboxEngine, biz: dict[str, Any]) -> SimOrder:
    o = None
    if biz.get("partner_order_code"):
        o = engine.find(CARRIER, str(biz["partner_order_code"]))
    elif biz.get("order_id"):
        o = engine.find_by_carrier_id(CARRIER, str(biz["order_id"]))
    else:
        raise Fail(50010, "缺失必填项: partner_order_code/order_id")
    if o is None:
        raise Fail(50037, "订单不存在")
    return o


def detail(o: SimOrder, snap: Snapshot) -> dict[str, Any]:
    d: dict[str, Any] = {
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


def _pre_create(engine: SandboxEngine, biz: dict[str, Any]) -> dict[str, Any]:
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


async def _create(engine: SandboxEngine, biz: dict[str, Any]) -> dict[str, Any]:
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
        raise Fail(50011, "订单号重复提交")
    return {
        "order_id": o.carrier_order_id,
        "partner_order_code": o.key,
        "actual_delivery_amount_cent": fee,
        "distance": dist,
    }


def _cancellable(engine: SandboxEngine, o: SimOrder) -> None:
    if engine.snapshot(o).state not in CANCELLABLE:
        raise Fail(50102, "当前订单状态不允许取消")


def _cancel(engine: SandboxEngine, biz: dict[str, Any]) -> dict[str, Any]:
    o = _order(engine, biz)
    _need(biz, "order_cancel_code", "actual_cancel_cost_cent")
    _cancellable(engine, o)
    if int(biz["actual_cancel_cost_cent"]) != engine.cancel_fee(o):
        raise Fail(50101, "商户取消订单失败: 取消费用已变化，请重新预取消")
    engine.cancel(o, by="merchant")
    return {}


def _tip(engine: SandboxEngine, biz: dict[str, Any]) -> dict[str, Any]:
    o = _order(engine, biz)
    _need(biz, "add_tip_amount_cent", "third_index_id")
    amount, serial = int(biz["add_tip_amount_cent"]), str(biz["third_index_id"])
    seen = o.extra.setdefault("tip_serials", set())
    if serial in seen:
        return {"order_tip_amount_cent": o.tip_fen}
    if engine.snapshot(o).state is not SimState.PENDING:
        raise Fail(40000, "骑手已接单，不可加小费")
    if amount < RULES.tips.min_fen or amount % RULES.tips.step_fen:
        raise Fail(50041, "小费金额不符合规则")
    seen.add(serial)
    return {"order_tip_amount_cent": engine.tip(o, amount)}


def _knight(engine: SandboxEngine, biz: dict[str, Any]) -> dict[str, Any]:
    snap = engine.snapshot(_order(engine, biz))
    if snap.rider is None or snap.position is None:
        raise Fail(40000, "暂无骑手信息")
    return {
        "carrier_driver_name": snap.rider[0],
        "carrier_driver_phone": snap.rider[1],
        "carrier_driver_latitude": snap.position[0],
        "carrier_driver_longitude": snap.position[1],
    }


def _cancel_reasons(engine: SandboxEngine, biz: dict[str, Any]) -> dict[str, Any]:
    _order(engine, biz)
    return {
        "cancel_reason_list": [
            {"order_cancel_code": 32, "order_cancel_desc": "商家取消"},
            {"order_cancel_code": 0, "order_cancel_desc": "其他"},
        ]
    }


def _pre_cancel(engine: SandboxEngine, biz: dict[str, Any]) -> dict[str, Any]:
    o = _order(engine, biz)
    _cancellable(engine, o)
    return {"actual_cancel_cost_cent": engine.cancel_fee(o)}


def _detail(engine: SandboxEngine, biz: dict[str, Any]) -> dict[str, Any]:
    o = _order(engine, biz)
    return detail(o, engine.snapshot(o))


class FengniaoFront(Front):
    carrier = CARRIER
    faults = {
        "auth": (40002, "验证签名失败"),
        "rate_limit": (40000, "请求过于频繁，请稍后再试"),
        "balance": (40000, "商户余额不足"),
    }
    late_faults = frozenset({"balance"})  # the account is checked after the signature
    bad_input = (40000, "请求失败: 参数格式错误")
    unknown_path = "/v3/invoke/{api}"

    def routes(self) -> dict[str, tuple[str, Op]]:
        e = self.engine
        ops: dict[str, Op] = {
            "createOrder": lambda b: _create(e, b),
            "preCreateOrder": lambda b: _pre_create(e, b),
            "getOrderDetail": lambda b: _detail(e, b),
            "getCancelReasonList": lambda b: _cancel_reasons(e, b),
            "preCancelOrder": lambda b: _pre_cancel(e, b),
            "cancelOrder": lambda b: _cancel(e, b),
            "addTip": lambda b: _tip(e, b),
            "getKnightInfo": lambda b: _knight(e, b),
        }
        return self.by_name("/v3/invoke/", ops, create="createOrder")

    async def verify(self, request: web.Request) -> Any:
        return _verify(await request.json())

    def reply(self, result: Any) -> web.Response:
        return _reply(200, "success", result)

    def error(self, code: object, msg: str) -> web.Response:
        return _reply(int(str(code)), msg)


def make_app(engine: SandboxEngine) -> web.Application:
    return FengniaoFront(engine).make_app()


def callback_payload(engine: SandboxEngine, order: SimOrder, snap: Snapshot) -> Push | None:
    """A v3 ``orderStatusNotify`` push to ``order.callback_url``, signed like requests."""
    if not order.callback_url:
        return None
    param = {**detail(order, snap), "push_time": int(engine.wall().timestamp() * 1000)}
    env = {
        "app_id": CREDS["app_id"],
        "timestamp": str(int(time.time() * 1000)),
        "business_data": dumps({"callback_business_type": "orderStatusNotify", "param": param}),
    }
    variant = engine.variant(CARRIER, "callback_fields", "three")
    extra = {"merchant_id": CREDS["merchant_id"], "version": "1.0"}
    if variant == "extra_signed":
        env.update(extra)
    env["signature"] = sign(CREDS["app_secret"], env)
    if variant == "extra_unsigned":
        env.update(extra)  # carried, but outside the signature
    return order.callback_url, {"Content-Type": "application/json"}, dumps(env).encode()
