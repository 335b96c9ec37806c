"""SF same-city sandbox: the openic wire protocol in front of the shared SandboxEngine.

Paths ``/open/api/external/<method>``; JSON bodies signed with ``?sign=`` and checked
against ``RULES.rehearsal_credentials``; errors in SF's ``error_code`` envelope. Without
a ``shop{}`` block the shop is assumed ~1.5 km from the receiver (the real shop address
lives in SF's shop registry). The callback URL comes from ``X-Sandbox-Callback-Url``
because real SF callbacks are configured in the developer console.

Disputed facts it can play (``engine.variant("sf", name, default)``, control API
``POST /__sandbox/variant``): ``status_keys`` — ``getorderstatus`` names the ids
``order_id``/``out_order_id`` (default, the SDK sample) or ``sf_order_id``/``shop_order_id``
(like callbacks); ``status_22`` — a rider who withdraws (22) is followed by a new rider
(``reassign``, default) or ends the order (``cancelled``: 22 for good, no rider).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from app.core.carriers.sf.rules import RULES
from app.core.sandbox.engine import TERMINAL, SandboxEngine, SimOrder, SimState, Snapshot
from app.core.sandbox.front import Fail, Front, Op, Push

CARRIER = "sf"
CREDS = RULES.rehearsal_credentials
CALLBACK_HEADER = "X-Sandbox-Callback-Url"

_CODE = {
    SimState.PENDING: 1,
    SimState.ACCEPTED: 10,
    SimState.AT_PICKUP: 12,
    SimState.PICKED_UP: 15,
    SimState.AT_DROPOFF: 15,
    SimState.DELIVERED: 17,
    SimState.CANCELLED: 2,
    SimState.RETURNING: 31,
    SimState.RETURNED: 2,
}
_DESC = {
    1: "订单创建",
    2: "订单取消",
    10: "配送员接单",
    12: "配送员到店",
    15: "配送员配送中",
    17: "配送员妥投完单",
    22: "配送员撤单",
    31: "取消中",
}
# the error codes this sandbox answers with (SF publishes no table: guessed from SDKs)
AUTH_SIGN = 1003
AUTH_DEV = 1004
RATE_LIMITED = 1010
BAD_PARAM = 1001
NOT_FOUND = 2002
DUPLICATE = 2003
NOT_CANCELLABLE = 2005
BALANCE = 3004
# product_type codes of the list an independent SDK carries (research/carrier-fidelity.md §3)
PRODUCT_TYPES = frozenset(
    {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17, 18, 20, 21, 22, 27, 32, 33, 34, 35,
     36, 99}
)  # fmt: skip


def _product_type(value: object) -> int:
    if not isinstance(value, int) or value not in PRODUCT_TYPES:
        raise Fail(BAD_PARAM, "product_type参数错误")
    return value


def dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def sign(body: str, dev_id: str, dev_key: str) -> str:
    """sf_tongcheng.md §3: base64 of the lower-hex MD5 of ``body&dev_id&dev_key``."""
    hex_digest = hashlib.md5(f"{body}&{dev_id}&{dev_key}".encode()).hexdigest()
    return base64.b64encode(hex_digest.encode("ascii")).decode("ascii")


def sf_code(snap: Snapshot) -> int:
    if snap.state is SimState.PENDING and snap.reassigned:
        return 22
    return _CODE[snap.state]


def _reply(result: dict[str, Any]) -> web.Response:
    body = {"error_code": 0, "error_msg": "success", "error_data": None, "result": result}
    return web.Response(body=dumps(body).encode(), content_type="application/json")


def _error(code: int, msg: str) -> web.Response:
    body = {"error_code": code, "error_msg": msg, "error_data": None, "result": None}
    return web.Response(body=dumps(body).encode(), content_type="application/json")


def _need(doc: dict[str, Any], *keys: str) -> None:
    missing = [k for k in keys if doc.get(k) in (None, "")]
    if missing:
        raise Fail(BAD_PARAM, f"参数错误: 缺少 {','.join(missing)}")
    if "shop_id" in keys and str(doc["shop_id"]) != CREDS["shop_id"]:
        raise Fail(BAD_PARAM, "店铺不存在")


def _verify(text: str, query_sign: str) -> dict[str, Any]:
    if query_sign != sign(text, CREDS["dev_id"], CREDS["dev_key"]):
        raise Fail(AUTH_SIGN, "签名错误")
    try:
        doc = json.loads(text)
    except ValueError:
        raise Fail(BAD_PARAM, "参数错误: body") from None
    if str(doc.get("dev_id")) != CREDS["dev_id"]:
        raise Fail(AUTH_DEV, "开发者不存在")
    verified: dict[str, Any] = doc
    return verified


def _points(
    doc: dict[str, Any], user: dict[str, Any]
) -> tuple[tuple[float, float], tuple[float, float]]:
    dst = (float(user["user_lat"]), float(user["user_lng"]))
    shop = doc.get("shop") or {}
    if shop.get("shop_lat") and shop.get("shop_lng"):
        return (float(shop["shop_lat"]), float(shop["shop_lng"])), dst
    return (dst[0] + 0.01, dst[1] + 0.01), dst


class SfFront(Front):
    carrier = CARRIER
    faults = {
        "rate_limit": (RATE_LIMITED, "请求过于频繁"),
        "auth": (AUTH_SIGN, "签名错误"),
        "balance": (BALANCE, "账户余额不足"),
    }
    bad_input = (BAD_PARAM, "参数错误")

    def routes(self) -> dict[str, tuple[str, Op]]:
        ops = {"createorder": "create", "cancelorder": "cancel", "addordergratuityfee": "tip"}
        return {
            f"/open/api/external/{method}": (ops.get(method, method), self.method(method))
            for method in (
                "precreateorder",
                "createorder",
                "getorderstatus",
                "listorderfeed",
                "precancelorder",
                "cancelorder",
                "addordergratuityfee",
                "riderlatestposition",
            )
        }

    async def verify(self, request: web.Request) -> tuple[dict[str, Any], web.Request]:
        text = (await request.read()).decode("utf-8")
        return _verify(text, request.query.get("sign", "")), request

    def reply(self, result: Any) -> web.Response:
        return _reply(result)

    def error(self, code: object, msg: str) -> web.Response:
        return _error(int(str(code)), msg)

    def _wall(self) -> int:
        return int(self.engine.wall().timestamp())

    def _find(self, doc: dict[str, Any]) -> SimOrder:
        _need(doc, "order_id", "order_type", "shop_id")
        oid = str(doc["order_id"])
        if int(doc["order_type"]) == 1:
            o = self.engine.find_by_carrier_id(CARRIER, oid)
        else:
            o = self.engine.find(CARRIER, oid)
        if o is None:
            raise Fail(NOT_FOUND, "订单不存在")
        return o

    def _ids(self, o: SimOrder) -> dict[str, Any]:
        return {"sf_order_id": o.carrier_order_id, "shop_order_id": o.key}

    async def precreateorder(self, doc: dict[str, Any], request: web.Request) -> dict[str, Any]:
        _need(doc, "shop_id", "user_lng", "user_lat", "user_address", "city_name", "weight")
        src, dst = _points(doc, doc)
        extra = {"product_type": _product_type(doc.get("product_type", 1))}
        q = self.engine.quote(CARRIER, src, dst, int(doc["weight"]), extra=extra)
        now = self._wall()
        return {
            "delivery_type": 1,
            "expect_time": now + q.delivery_eta_s,
            "start_time": now,
            "promise_delivery_time": q.delivery_eta_s // 60,
            "delivery_distance_meter": q.distance_m,
            "charge_price_list": {
                "shop_pay_price": q.fee_fen,
                "charges_detail": {"basic_fee": q.fee_fen},
            },
            "gratuity_fee": 0,
            "total_price": q.fee_fen,
            "total_pay_money": q.fee_fen,
            "real_pay_money": q.fee_fen,
            "coupons_total_fee": 0,
            "push_time": now,
        }

    async def createorder(self, doc: dict[str, Any], request: web.Request) -> dict[str, Any]:
        _need(doc, "shop_id", "shop_order_id", "receive", "order_detail")
        user = doc["receive"]
        _need(user, "user_name", "user_phone", "user_address", "user_lng", "user_lat")
        key = str(doc["shop_order_id"])
        if self.engine.find(CARRIER, key) is not None:
            raise Fail(DUPLICATE, "商家订单号重复")
        src, dst = _points(doc, user)
        weight = int(doc["order_detail"].get("weight_gram") or 1000)
        product_type = _product_type(doc["order_detail"].get("product_type", 1))
        fee, dist = self.engine.price(CARRIER, src, dst, weight)
        o, _ = self.engine.create(
            CARRIER,
            key,
            src=src,
            dst=dst,
            fee_fen=fee,
            distance_m=dist,
            callback_url=request.headers.get(CALLBACK_HEADER, ""),
            extra={"product_type": product_type},
        )
        return {
            **self._ids(o),
            "sf_bill_id": "JS" + o.carrier_order_id,
            "push_time": self._wall(),
            "total_price": fee,
            "delivery_distance_meter": dist,
            "weight_gram": weight,
            "total_pay_money": fee,
            "real_pay_money": fee,
            "coupons_total_fee": 0,
        }

    def _ended_by_22(self, o: SimOrder, snap: Snapshot) -> bool:
        """Variant ``status_22=cancelled``: the first withdrawal ends the order for good."""
        if self.engine.variant(CARRIER, "status_22", "reassign") != "cancelled":
            return False
        if not o.extra.get("sf_22") and sf_code(snap) == 22:
            o.extra["sf_22"] = True
            self.engine.cancel(o, by="carrier")
        return bool(o.extra.get("sf_22"))

    async def getorderstatus(self, doc: dict[str, Any], request: web.Request) -> dict[str, Any]:
        o = self._find(doc)
        snap = self.engine.snapshot(o)
        ids = self._ids(o)
        if self.engine.variant(CARRIER, "status_keys", "order_id") == "order_id":
            ids = {"order_id": o.carrier_order_id, "out_order_id": o.key}
        if self._ended_by_22(o, snap):
            return {**ids, "order_status": 22, "status_desc": _DESC[22], "push_time": self._wall()}
        code = sf_code(snap)
        out = {
            **ids,
            "order_status": code,
            "status_desc": _DESC.get(code, ""),
            "push_time": self._wall(),
            "total_pay_money": o.fee_fen,
            "total_gratuity_fee": o.tip_fen,
        }
        if snap.rider:
            out.update(rider_name=snap.rider[0], rider_phone=snap.rider[1])
        if snap.position:
            out.update(rider_lat=f"{snap.position[0]:.6f}", rider_lng=f"{snap.position[1]:.6f}")
        if snap.state is SimState.DELIVERED:
            out["real_pay_money"] = o.fee_fen
        if o.cancelled:
            out["deduction_fee"] = snap.cancel_fee_fen
        return out

    async def listorderfeed(self, doc: dict[str, Any], request: web.Request) -> dict[str, Any]:
        o = self._find(doc)
        snap = self.engine.snapshot(o)
        feed = [
            {
                "order_status": _CODE[st],
                "status_desc": _DESC.get(_CODE[st], ""),
                "create_time": int(self.engine.wall(t).timestamp()),
            }
            for st, t in sorted(snap.times.items(), key=lambda kv: kv[1])
        ]
        return {**self._ids(o), "feed": feed}

    def _cancellable(self, o: SimOrder) -> bool:
        return self.engine.snapshot(o).state not in TERMINAL and not o.cancelled

    async def precancelorder(self, doc: dict[str, Any], request: web.Request) -> dict[str, Any]:
        o = self._find(doc)
        ok = self._cancellable(o)
        fee = self.engine.cancel_fee(o) if ok else 0
        return {
            "could_cancel": int(ok),
            "is_deduction_fee": int(fee > 0),
            "deduction_fee": fee,
            "shop_cancel_times": 0,
            "free_cancel_times": 5,
            "is_over_free_cancel_times": 0,
            "cancel_charge_price_rule": [],
        }

    async def cancelorder(self, doc: dict[str, Any], request: web.Request) -> dict[str, Any]:
        o = self._find(doc)
        if not self._cancellable(o):
            raise Fail(NOT_CANCELLABLE, "订单状态不可取消")
        fee = self.engine.cancel(o, by="merchant")
        detail = {"deduction_fee": fee, "shop_cancel_times": 1, "free_cancel_times": 4}
        return {**self._ids(o), "deduction_detail": detail, "push_time": self._wall()}

    async def addordergratuityfee(
        self, doc: dict[str, Any], request: web.Request
    ) -> dict[str, Any]:
        _need(doc, "gratuity_fee", "serial_number")
        o = self._find(doc)
        amount, serial = int(doc["gratuity_fee"]), str(doc["serial_number"])
        seen = o.extra.setdefault("tip_serials", {})
        if serial not in seen:
            if amount < 100:
                raise Fail(BAD_PARAM, "小费不能低于1元")
            if self.engine.snapshot(o).state is not SimState.PENDING:
                raise Fail(NOT_CANCELLABLE, "骑士已接单, 不可加小费")
            seen[serial] = (amount, self.engine.tip(o, amount))
        amount, total = seen[serial]
        return {**self._ids(o), "gratuity_fee": amount, "total_gratuity_fee": total}

    async def riderlatestposition(
        self, doc: dict[str, Any], request: web.Request
    ) -> dict[str, Any]:
        o = self._find(doc)
        snap = self.engine.snapshot(o)
        if not snap.rider or not snap.position:
            return {
                **self._ids(o),
                "rider_name": "",
                "rider_phone": "",
                "rider_lat": "",
                "rider_lng": "",
            }
        return {
            **self._ids(o),
            "rider_name": snap.rider[0],
            "rider_phone": snap.rider[1],
            "rider_lat": f"{snap.position[0]:.6f}",
            "rider_lng": f"{snap.position[1]:.6f}",
            "upload_time": self._wall(),
        }


def make_app(engine: SandboxEngine) -> web.Application:
    return SfFront(engine).make_app()


def _url_index(code: int) -> str:
    if code == 17:
        return "order_complete"
    if code == 2:
        return "sf_cancel"
    if code == 22:
        return "rider_cancel"
    return "rider_status"


def callback_payload(engine: SandboxEngine, order: SimOrder, snap: Snapshot) -> Push | None:
    """SF's status push: JSON body, ``?sign=`` over it, like a request."""
    code = sf_code(snap)
    if not order.callback_url or code == 1 or (code == 2 and snap.cancelled_by == "merchant"):
        return None
    if order.extra.get("sf_pushed") == (code, snap.rider_index):
        return None  # AT_DROPOFF: SF has no code for it
    order.extra["sf_pushed"] = (code, snap.rider_index)
    rider, pos = snap.rider or ("", ""), snap.position
    body = {
        "sf_order_id": order.carrier_order_id,
        "shop_order_id": order.key,
        "url_index": _url_index(code),
        "operator_name": rider[0],
        "operator_phone": rider[1],
        "rider_lat": f"{pos[0]:.6f}" if pos else "",
        "rider_lng": f"{pos[1]:.6f}" if pos else "",
        "order_status": code,
        "status_desc": _DESC.get(code, ""),
        "push_time": int(engine.wall().timestamp()),
    }
    if code == 2:
        body["cancel_reason"] = "顺丰取消"
    text = dumps(body)
    sig = sign(text, CREDS["dev_id"], CREDS["dev_key"])
    sep = "&" if "?" in order.callback_url else "?"
    url = f"{order.callback_url}{sep}{urlencode({'sign': sig})}"
    return url, {"Content-Type": "application/json"}, text.encode("utf-8")
