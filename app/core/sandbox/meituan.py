"""Meituan (legacy peisongopen) sandbox: its form protocol in front of SandboxEngine.

Paths are those the adapter appends to its base URL (``/order/createByShop`` ...), also
served under ``/api/`` so a base URL copied from production works too. Forms are
signed like the real API and checked against ``RULES.rehearsal_credentials``; errors
come in Meituan's ``{"code", "message"}`` envelope. The registered test shop has no
location here, so the shop is assumed ~1.5 km from the receiver. Callback URLs come
from ``X-Sandbox-Callback-Url`` (real ones are configured in the Meituan console).

Disputed facts it can play (``engine.variant("meituan", name, default)``, control API
``POST /__sandbox/variant``): ``peisong_id`` — ``order/status/query``, ``order/delete`` and
``order/rider/location`` require both ``delivery_id`` and ``mt_peisong_id`` (``required``,
default: the legacy doc marks both 是, audit F1) or also find an order by ``delivery_id``
+ ``order_id`` alone (``optional``, what the adapter once assumed).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import web

from app.core.carriers.meituan.rules import RULES
from app.core.geo import from_e6, to_e6
from app.core.money import fen_to_yuan
from app.core.sandbox.engine import TERMINAL, SandboxEngine, SimOrder, SimState, Snapshot
from app.core.sandbox.front import Fail, Front, Op, Push

CARRIER = "meituan"
CREDS = RULES.rehearsal_credentials
CALLBACK_HEADER = "X-Sandbox-Callback-Url"

_CODE = {
    SimState.PENDING: 0,
    SimState.ACCEPTED: 20,
    SimState.AT_PICKUP: 20,
    SimState.PICKED_UP: 30,
    SimState.AT_DROPOFF: 30,
    SimState.DELIVERED: 50,
    SimState.CANCELLED: 99,
    SimState.RETURNING: 99,  # no return states in this API: a cancel after pickup
    SimState.RETURNED: 99,
}
# error codes: 11 is documented; the rest are this sandbox's choice
RATE_LIMITED = 11
PARAM_ERROR = 5
SIGN_ERROR = 7
APPKEY_ERROR = 8
BALANCE = 16
NOT_FOUND = 19
BAD_STATE = 21
_ORDER_FIELDS = (
    "delivery_id",
    "order_id",
    "shop_id",
    "delivery_service_code",
    "receiver_name",
    "receiver_address",
    "receiver_phone",
    "receiver_lng",
    "receiver_lat",
    "goods_value",
    "goods_weight",
)


def sign(form: Mapping[str, str], secret: str) -> str:
    """meituan.md §3: SHA-1 lower hex of secret + sorted key+value of the non-empty
    params other than ``sign``."""
    plain = "".join(k + form[k] for k in sorted(form) if k != "sign" and form[k] != "")
    return hashlib.sha1((secret + plain).encode("utf-8")).hexdigest()


def mt_code(snap: Snapshot) -> int:
    return _CODE[snap.state]


def _yuan(fen: int) -> float:
    return float(fen_to_yuan(fen))  # JSON number, as Meituan sends


def _reply(data: dict[str, Any]) -> web.Response:
    body = {"code": 0, "message": "成功", "data": data}
    return web.Response(text=json.dumps(body, ensure_ascii=False), content_type="application/json")


def _error(code: int, msg: str) -> web.Response:
    body = {"code": code, "message": msg, "data": None}
    return web.Response(text=json.dumps(body, ensure_ascii=False), content_type="application/json")


def _need(form: dict[str, Any], *keys: str) -> None:
    missing = [k for k in keys if not form.get(k)]
    if missing:
        raise Fail(PARAM_ERROR, f"参数错误: 缺少 {','.join(missing)}")


def _verify(body: bytes) -> dict[str, Any]:
    form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    _need(form, "appkey", "timestamp", "version", "sign")
    if form["appkey"] != CREDS["app_key"]:
        raise Fail(APPKEY_ERROR, "appkey不存在")
    if form["sign"] != sign(form, CREDS["app_secret"]):
        raise Fail(SIGN_ERROR, "签名验证失败")
    return form


class MtFront(Front):
    carrier = CARRIER
    faults = {
        "rate_limit": (RATE_LIMITED, "接口流控"),
        "auth": (SIGN_ERROR, "签名验证失败"),
        "balance": (BALANCE, "账户余额不足"),
    }
    bad_input = (PARAM_ERROR, "参数错误")

    def routes(self) -> dict[str, tuple[str, Op]]:
        table = {
            "/order/preCreateByShop": ("pre_create", "quote"),
            "/order/createByShop": ("create", "create"),
            "/order/status/query": ("query", "query"),
            "/order/delete": ("delete", "cancel"),
            "/order/addTip": ("add_tip", "tip"),
            "/order/rider/location": ("rider_location", "position"),
        }
        out: dict[str, tuple[str, Op]] = {}
        for path, (name, op) in table.items():
            out[path] = out["/api" + path] = (op, self.method(name))
        return out

    async def verify(self, request: web.Request) -> tuple[dict[str, str], web.Request]:
        return _verify(await request.read()), request

    def reply(self, result: Any) -> web.Response:
        return _reply(result)

    def error(self, code: object, msg: str) -> web.Response:
        return _error(int(str(code)), msg)

    def _wall(self) -> int:
        return int(self.engine.wall().timestamp())

    def _find(self, form: dict[str, Any]) -> SimOrder:
        if self.engine.variant(CARRIER, "peisong_id", "required") == "required":
            _need(form, "delivery_id", "mt_peisong_id")
        else:
            _need(form, "delivery_id")
        did, pid = form["delivery_id"], form.get("mt_peisong_id", "")
        key = form.get("order_id", "")
        for o in self.engine.orders.get(CARRIER, {}).values():
            if o.extra.get("delivery_id") != did or key not in ("", o.key):
                continue
            if pid in ("", o.carrier_order_id):
                return o
        raise Fail(NOT_FOUND, "订单不存在")

    def _priced(self, form: dict[str, Any]) -> tuple[tuple[Any, ...], tuple[Any, ...], int, int]:
        _need(form, *_ORDER_FIELDS)
        if form["shop_id"] != CREDS["shop_id"]:
            raise Fail(PARAM_ERROR, "门店不存在")
        if not form["delivery_id"].isdigit() or len(form["order_id"]) > 32:
            raise Fail(PARAM_ERROR, "delivery_id/order_id 不合法")
        dst = (from_e6(form["receiver_lat"]), from_e6(form["receiver_lng"]))
        src = (dst[0] + 0.01, dst[1] + 0.01)
        fee, dist = self.engine.price(CARRIER, src, dst, int(float(form["goods_weight"]) * 1000))
        return src, dst, fee, dist

    async def pre_create(self, form: dict[str, Any], request: web.Request) -> dict[str, Any]:
        _src, _dst, fee, dist = self._priced(form)
        return {
            "delivery_distance": dist,
            "delivery_fee": _yuan(fee),
            "base_delivery_fee": _yuan(fee),
            "coupons_id": "",
            "coupons_amount": 0,
        }

    async def create(self, form: dict[str, Any], request: web.Request) -> dict[str, Any]:
        src, dst, fee, dist = self._priced(form)
        key, did = form["order_id"], form["delivery_id"]
        old = self.engine.find(CARRIER, key)
        if old is not None and (old.extra["delivery_id"] != did or old.cancelled):
            raise Fail(PARAM_ERROR, "order_id 已存在")
        o, _ = self.engine.create(
            CARRIER,
            key,
            src=src,
            dst=dst,
            fee_fen=fee,
            distance_m=dist,
            callback_url=request.headers.get(CALLBACK_HEADER, ""),
            extra={"delivery_id": did},
        )
        return {"delivery_id": int(did), "mt_peisong_id": o.carrier_order_id, "order_id": key}

    async def query(self, form: dict[str, Any], request: web.Request) -> dict[str, Any]:
        o = self._find(form)
        snap = self.engine.snapshot(o)
        code = mt_code(snap)
        pay = o.fee_fen if code == 50 else snap.cancel_fee_fen if code == 99 else 0
        rider = snap.rider or ("", "")
        return {
            "delivery_id": o.extra["delivery_id"],
            "mt_peisong_id": o.carrier_order_id,
            "order_id": o.key,
            "status": code,
            "operate_time": self._wall(),
            "courier_name": rider[0],
            "courier_phone": rider[1],
            "cancel_reason_id": 199 if code == 99 else 0,
            "cancel_reason": "",
            "predict_delivery_time": int(self.engine.wall(o.created_at).timestamp()) + 3600,
            "delivery_distance": o.distance_m,
            "delivery_fee": _yuan(o.fee_fen),
            "pay_amount": _yuan(pay),
            "settlement_mode_code": 1,
            "coupons_amount": 0,
        }

    async def delete(self, form: dict[str, Any], request: web.Request) -> dict[str, Any]:
        _need(form, "cancel_reason_id", "cancel_reason")
        o = self._find(form)
        if self.engine.snapshot(o).state in TERMINAL or o.cancelled:
            raise Fail(BAD_STATE, "订单状态不允许取消")
        self.engine.cancel(o, by="merchant")
        return {"delivery_id": o.extra["delivery_id"], "mt_peisong_id": o.carrier_order_id}

    async def add_tip(self, form: dict[str, Any], request: web.Request) -> dict[str, Any]:
        _need(form, "mt_peisong_id", "tip_amount", "serial_number")
        o = self._find(form)
        seen = o.extra.setdefault("tip_serials", set())
        if form["serial_number"] not in seen:
            yuan = int(form["tip_amount"])
            if not 1 <= yuan <= 20:
                raise Fail(PARAM_ERROR, "小费金额需为1-20元整数")
            if o.tip_count >= 5:
                raise Fail(BAD_STATE, "加小费次数已达上限")
            if self.engine.snapshot(o).state is not SimState.PENDING:
                raise Fail(BAD_STATE, "订单状态不允许加小费")
            self.engine.tip(o, yuan * 100)
            seen.add(form["serial_number"])
        return {"delivery_id": o.extra["delivery_id"], "mt_peisong_id": o.carrier_order_id}

    async def rider_location(self, form: dict[str, Any], request: web.Request) -> dict[str, Any]:
        snap = self.engine.snapshot(self._find(form))
        if not snap.position:
            raise Fail(BAD_STATE, "骑手未接单, 暂无位置")
        return {"lat": to_e6(snap.position[0]), "lng": to_e6(snap.position[1])}


def make_app(engine: SandboxEngine) -> web.Application:
    return MtFront(engine).make_app()


def callback_payload(engine: SandboxEngine, order: SimOrder, snap: Snapshot) -> Push | None:
    """Meituan's status push: a signed form, like a request."""
    code = mt_code(snap)
    if not order.callback_url or (code == 0 and not snap.reassigned):
        return None
    if order.extra.get("mt_pushed") == (code, snap.rider_index):
        return None  # e.g. AT_PICKUP: Meituan has no code for it, nothing new to say
    order.extra["mt_pushed"] = (code, snap.rider_index)
    rider = snap.rider or ("", "")
    form = {
        "delivery_id": order.extra.get("delivery_id", ""),
        "mt_peisong_id": order.carrier_order_id,
        "order_id": order.key,
        "status": str(code),
        "courier_name": rider[0],
        "courier_phone": rider[1],
        "cancel_reason_id": "199" if code == 99 else "",
        "cancel_reason": "",
        "appkey": CREDS["app_key"],
        "timestamp": str(int(engine.wall().timestamp())),
    }
    form["sign"] = sign(form, CREDS["app_secret"])
    headers = {"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"}
    return order.callback_url, headers, urlencode(form).encode("ascii")
