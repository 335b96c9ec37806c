"""Shansong sandbox: the v5 merchant form protocol at ``/openapi/merchants/v5/*`` over
the shared engine.

It verifies ``sign`` with the rehearsal credentials, validates required fields, answers
``{status, msg, data}`` (fen, BD-09 plus gcj02 fields, Beijing local times) and builds
Shansong-shaped callbacks. Shansong's callback URL is set in its console, not per order:
``POST /__console/callback {"url": ...}`` plays that console for orders placed later.
"""

from __future__ import annotations

import hashlib
import json
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web

from app.core.carriers.shansong.rules import RULES
from app.core.clock import local_str
from app.core.geo import bd09_to_gcj02, gcj02_to_bd09
from app.core.sandbox.engine import SandboxEngine, SimOrder, SimState, Snapshot
from app.core.sandbox.front import Fail, Front, Op, Push, usual_errors

CARRIER = "shansong"
CREDS = RULES.rehearsal_credentials
CONSOLE: weakref.WeakKeyDictionary[SandboxEngine, str] = weakref.WeakKeyDictionary()

SIM_CODES: dict[SimState, tuple[int, int | None]] = {
    SimState.PENDING: (20, 1),
    SimState.ACCEPTED: (30, 1),
    SimState.AT_PICKUP: (30, 2),
    SimState.PICKED_UP: (40, 1),
    SimState.AT_DROPOFF: (40, 1),
    SimState.DELIVERED: (50, 1),
    SimState.CANCELLED: (60, None),
    SimState.RETURNING: (40, 3),
    SimState.RETURNED: (60, None),
}
SENDER_REQUIRED = ("fromAddress", "fromSenderName", "fromMobile", "fromLatitude", "fromLongitude")
RECEIVER_REQUIRED = ("orderNo", "toAddress", "toLatitude", "toLongitude", "toReceiverName",
                     "toMobile", "goodType", "weight")  # fmt: skip


# goodType codes Shansong documents (shared/carriers/shansong.md §5); others are refused
GOOD_TYPES = frozenset({1, 3, 5, 6, 7, 9, 10, 12, 13, 15, 16})
PREFIX = "/openapi/merchants/v5/"
FEE_TYPE_ADDITION = 9  # 加价费: the tip, listed apart from the freight
STATUS_DESC = {20: "派单中", 30: "待取货", 40: "闪送中", 50: "已完成", 60: "已取消"}
SUB_DESC: dict[tuple[int, int | None], str] = {
    (20, 1): "派单中", (20, 2): "转单改派中", (30, 1): "待取货", (30, 2): "已就位",
    (40, 1): "闪送中", (40, 3): "物品送回中", (50, 1): "已完成",
}  # fmt: skip
# the error codes this sandbox answers with (Shansong publishes no table: our choice)
ERROR = {
    "auth": 40001,
    "rate_limit": 42900,
    "balance": 50010,
    "not_found": 40400,
    "duplicate": 40900,
    "state": 40901,
    "invalid": 40000,
    "quote_expired": 40401,
}


def dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def sign(secret: str, form: Mapping[str, object]) -> str:
    """shansong.md §3: MD5 upper of secret + clientId.. data.. shopId.. timestamp..
    (``data`` only when not empty; the secret only in front)."""
    keys = [k for k in ("clientId", "data", "shopId", "timestamp") if form.get(k) not in (None, "")]
    plain = secret + "".join(k + str(form[k]) for k in keys)
    return hashlib.md5(plain.encode("utf-8")).hexdigest().upper()


def fail(kind: str, msg: str) -> Fail:
    return Fail(ERROR[kind], msg)


def ss_codes(snap: Snapshot) -> tuple[int, int | None]:
    st, sub = SIM_CODES[snap.state]
    if snap.state is SimState.PENDING and snap.reassigned:
        sub = 2  # 转单改派中
    return st, sub


def _answer(status: int, msg: str, data: object = None) -> web.Response:
    return web.json_response({"status": status, "msg": msg, "data": data}, dumps=dumps)


def _verify(form: Mapping[str, Any]) -> dict[str, Any]:
    for k in ("clientId", "shopId", "timestamp", "sign"):
        if not form.get(k):
            raise fail("invalid", f"缺少参数{k}")
    if form["clientId"] != CREDS["client_id"] or form["shopId"] != CREDS["shop_id"]:
        raise fail("auth", "clientId或shopId无效")
    if form["sign"] != sign(CREDS["app_secret"], dict(form)):
        raise fail("auth", "签名错误")
    try:
        data = json.loads(form["data"]) if form.get("data") else {}
    except ValueError:
        raise fail("invalid", "data格式错误") from None
    if not isinstance(data, dict):
        raise fail("invalid", "data格式错误")
    return data


def _require(d: dict[str, Any], keys: Iterable[str], where: str = "") -> None:
    for k in keys:
        if d.get(k) in (None, ""):
            raise fail("invalid", f"缺少参数{where}{k}")


def _order(engine: SandboxEngine, data: dict[str, Any]) -> SimOrder:
    iss, third = str(data.get("issOrderNo") or ""), str(data.get("thirdOrderNo") or "")
    if not (iss or third):
        raise fail("invalid", "缺少参数issOrderNo")
    o = engine.find(CARRIER, iss) if iss else None
    if o is None and third and not iss:
        o = next((x for x in engine.orders.get(CARRIER, {}).values()
                  if x.extra.get("orderNo") == third), None)  # fmt: skip
    if o is None:
        raise fail("not_found", "订单不存在")
    return o


def _gcj(d: dict[str, Any], lat_key: str, lng_key: str, lbs_type: int) -> tuple[float, float]:
    lat, lng = float(d[lat_key]), float(d[lng_key])
    return (lat, lng) if lbs_type == 1 else bd09_to_gcj02(lat, lng)


def _fees(fee_fen: int, tip_fen: int) -> dict[str, Any]:
    fees = [{"type": 1, "des": "里程费", "fee": fee_fen}]
    if tip_fen:
        fees.append({"type": FEE_TYPE_ADDITION, "des": "加价费", "fee": tip_fen})
    total = fee_fen + tip_fen
    return {"feeInfoList": fees, "totalAmount": total, "couponSaveFee": 0,
            "totalFeeAfterSave": total}  # fmt: skip


# ---------------------------------------------------------------- operations
def _calculate(engine: SandboxEngine, data: dict[str, Any]) -> dict[str, Any]:
    _require(data, ("cityName", "sender", "receiverList"))
    sender, receivers = data["sender"], data["receiverList"]
    if not isinstance(receivers, list) or len(receivers) != 1:
        raise fail("invalid", "receiverList须为1个收件人")
    _require(sender, SENDER_REQUIRED, "sender.")
    r = receivers[0]
    _require(r, RECEIVER_REQUIRED, "receiverList.")
    if not isinstance(r["weight"], int) or not 1 <= r["weight"] <= 999:
        raise fail("invalid", "weight须为1-999的整数公斤")
    if r["goodType"] not in GOOD_TYPES:
        raise fail("invalid", "goodType物品类型不合法")
    lbs = int(data.get("lbsType") or 0)
    src = _gcj(sender, "fromLatitude", "fromLongitude", lbs)
    dst = _gcj(r, "toLatitude", "toLongitude", lbs)
    ttl = RULES.quote_ttl_s or 1800
    q = engine.quote(
        CARRIER,
        src,
        dst,
        r["weight"] * 1000,
        ttl_s=ttl,
        extra={"orderNo": r["orderNo"], "goodType": r["goodType"]},
    )
    return {"orderNumber": q.token, "totalDistance": q.distance_m, "totalWeight": r["weight"],
            **_fees(q.fee_fen, 0), "estimateGrabSecond": q.accept_eta_s,
            "estimateReceiveSecond": q.delivery_eta_s, "interestDtoList": []}  # fmt: skip


def _place(engine: SandboxEngine, data: dict[str, Any]) -> dict[str, Any]:
    _require(data, ("issOrderNo",))
    iss = str(data["issOrderNo"])
    if engine.find(CARRIER, iss) is not None:
        raise fail("duplicate", "订单已提交,请勿重复下单")
    q = engine.quote_valid(iss)
    if q is None or q.carrier != CARRIER:
        raise fail("quote_expired", "订单号不存在或计费已过期,请重新计费")
    o, _ = engine.create(CARRIER, iss, src=q.src, dst=q.dst, fee_fen=q.fee_fen,
                         distance_m=q.distance_m, callback_url=CONSOLE.get(engine, ""),
                         extra={"orderNo": q.extra["orderNo"]})  # fmt: skip
    info = [{"orderNo": q.extra["orderNo"], "orderingSourceType": 5, "orderingSourceNo": ""}]
    eta = engine.wall(o.created_at + q.delivery_eta_s).timestamp()
    return {"orderNumber": iss, "totalDistance": q.distance_m, **_fees(q.fee_fen, 0),
            "orderInfoList": info, "expectReceiveTime": int(eta * 1000),
            "dynamicSubsidyAmount": 0}  # fmt: skip


def courier_info(engine: SandboxEngine, o: SimOrder, snap: Snapshot) -> dict[str, Any] | None:
    if snap.rider is None:
        return None
    c = {"id": f"C{snap.rider_index + 1:04d}", "name": snap.rider[0], "mobile": snap.rider[1],
         "headIcon": "", "orderCount": 1, "time": local_str(engine.wall())}  # fmt: skip
    if snap.position:
        lat, lng = snap.position
        b_lat, b_lng = gcj02_to_bd09(lat, lng)
        c.update(latitude=f"{b_lat:.6f}", longitude=f"{b_lng:.6f}",
                 gcj02Lat=f"{lat:.6f}", gcj02Lng=f"{lng:.6f}")  # fmt: skip
    return c


def _abort_info(o: SimOrder) -> dict[str, Any] | None:
    if not o.cancelled:
        return None
    send_back = o.extra.get("send_back", False)
    return {"deductAmount": 0 if send_back else o.cancelled[1], "abortType": 1,
            "punishType": 1, "abortReason": o.extra.get("reason", "")}  # fmt: skip


def _log(engine: SandboxEngine, snap: Snapshot) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for state, t in sorted(snap.times.items(), key=lambda x: x[1]):
        st = SIM_CODES[state][0]
        if not out or out[-1]["orderStatus"] != st:
            out.append({"orderStatus": st, "updateTime": local_str(engine.wall(t))})
    return out


def _info(engine: SandboxEngine, data: dict[str, Any]) -> dict[str, Any]:
    o = _order(engine, data)
    snap = engine.snapshot(o)
    st, sub = ss_codes(snap)
    send_back = o.cancelled[1] if o.cancelled and o.extra.get("send_back") else 0
    return {"orderNumber": o.key, "orderNo": o.extra.get("orderNo", ""), "orderStatus": st,
            "orderStatusDesc": STATUS_DESC[st], "subOrderStatus": sub,
            "subOrderStatusDesc": SUB_DESC.get((st, sub), ""), "pickupPassword": "",
            "deliveryPassword": "", "courier": courier_info(engine, o, snap),
            "statusChangeLog": _log(engine, snap), "abortInfo": _abort_info(o),
            **_fees(o.fee_fen, o.tip_fen), "drawback": 0, "sendBackFee": send_back}  # fmt: skip


def _cancellable(engine: SandboxEngine, o: SimOrder) -> tuple[int, bool]:
    """-> (fee, after pickup). Raises when the order can no longer be cancelled."""
    state = engine.snapshot(o).state
    if state in (SimState.DELIVERED, SimState.CANCELLED, SimState.RETURNED, SimState.RETURNING):
        raise fail("state", "当前订单状态不可取消")
    after = state in (SimState.PICKED_UP, SimState.AT_DROPOFF)
    return engine.cancel_fee(o), after


def _pre_abort(engine: SandboxEngine, data: dict[str, Any]) -> dict[str, Any]:
    fee, after = _cancellable(engine, _order(engine, data))
    return {"deductAmount": 0 if after else fee, "sendBackFee": fee if after else 0}


def _abort(engine: SandboxEngine, data: dict[str, Any]) -> dict[str, Any]:
    o = _order(engine, data)
    fee, after = _cancellable(engine, o)
    if after and fee and not data.get("deductFlag"):
        raise fail("state", "取消需支付送回费用,请确认deductFlag")
    o.extra["send_back"] = after
    engine.cancel(o, by="merchant")
    return {"deductAmount": 0 if after else fee, "sendBackFee": fee if after else 0,
            "abortType": 1, "punishType": 1, "abortReason": ""}  # fmt: skip


def _addition(engine: SandboxEngine, data: dict[str, Any]) -> None:
    o = _order(engine, data)
    amount = data.get("additionAmount")
    if not isinstance(amount, int) or amount <= 0 or amount % 100:
        raise fail("invalid", "加价金额须为100分的整数倍")
    if o.tip_fen + amount > 10000:
        raise fail("invalid", "加价金额超过上限")
    if engine.snapshot(o).state is not SimState.PENDING:
        raise fail("state", "订单已被接单,不能加价")
    engine.tip(o, amount)


def _courier(engine: SandboxEngine, data: dict[str, Any]) -> dict[str, Any] | None:
    o = _order(engine, data)
    return courier_info(engine, o, engine.snapshot(o))


def _confirm_return(engine: SandboxEngine, data: dict[str, Any]) -> None:
    o = _order(engine, data)
    if engine.snapshot(o).state is not SimState.RETURNING:
        raise fail("state", "订单不是物品送回中状态")
    o.return_confirmed = True


# ---------------------------------------------------------------- app
class ShansongFront(Front):
    carrier = CARRIER
    faults, bad_input = usual_errors(ERROR)

    def routes(self) -> dict[str, tuple[str, Op]]:
        e = self.engine
        return {
            PREFIX + "orderCalculate": ("quote", lambda d: _calculate(e, d)),
            PREFIX + "orderPlace": ("create", lambda d: _place(e, d)),
            PREFIX + "orderInfo": ("query", lambda d: _info(e, d)),
            PREFIX + "preAbortOrder": ("cancel_preview", lambda d: _pre_abort(e, d)),
            PREFIX + "abortOrder": ("cancel", lambda d: _abort(e, d)),
            PREFIX + "addition": ("tip", lambda d: _addition(e, d)),
            PREFIX + "courierInfo": ("positions", lambda d: _courier(e, d)),
            PREFIX + "confirmGoodsReturn": ("confirm", lambda d: _confirm_return(e, d)),
        }

    async def verify(self, request: web.Request) -> dict[str, Any]:
        return _verify(await request.post())

    def reply(self, result: Any) -> web.Response:
        return _answer(200, "success", result)

    def error(self, code: object, msg: str) -> web.Response:
        return _answer(int(str(code)), msg)

    def extra_routes(self, app: web.Application) -> None:
        app[ENGINE] = self.engine
        app.router.add_post("/__console/callback", _console_callback)


async def _console_callback(request: web.Request) -> web.Response:
    body = await request.json()
    CONSOLE[request.app[ENGINE]] = str(body.get("url") or "")
    return web.json_response({"ok": True})


ENGINE = web.AppKey("shansong_engine", SandboxEngine)


def make_app(engine: SandboxEngine) -> web.Application:
    return ShansongFront(engine).make_app()


def callback_payload(engine: SandboxEngine, order: SimOrder, snap: Snapshot) -> Push | None:
    """Shansong's status callback for ``order`` -> (url, headers, body) or None."""
    if not order.callback_url:
        return None
    st, sub = ss_codes(snap)
    abort = _abort_info(order) or {}
    send_back = order.cancelled[1] if order.cancelled and order.extra.get("send_back") else 0
    t = snap.times.get(snap.state, engine.now())
    doc = {"clientId": CREDS["client_id"], "shopId": CREDS["shop_id"], "issOrderNo": order.key,
           "orderNo": order.extra.get("orderNo", ""), "status": st,
           "statusDesc": STATUS_DESC[st], "subStatus": sub,
           "subStatusDesc": SUB_DESC.get((st, sub), ""),
           "statusChangeTime": local_str(engine.wall(t)),
           "courier": courier_info(engine, order, snap), "pickupPassword": "",
           "deliveryPassword": "", "drawback": 0, "sendBackFee": send_back, **abort}  # fmt: skip
    return order.callback_url, {"Content-Type": "application/json"}, dumps(doc).encode()
