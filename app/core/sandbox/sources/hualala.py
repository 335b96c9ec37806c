"""哗啦啦 (Hualala) OpenAPI simulator, written from shared/sources/hualala.md.

Only the envelope is [✓] (the SDK): every call is a form POST of ``timestamp`` (ms),
``appKey``, ``version`` = 3, ``signature`` = MD5(appKey + appSecret + timestamp +
requestBody) and ``requestBody`` (JSON), with ``traceID``, ``groupID`` and ``shopID``
headers. What the calls take and answer is ASSUMED (the same guesses the connector's
options list, so that a merchant's real answers can be replayed here later):

- ``/order/queryOrder``: ``orderKey`` → ``{"order": …}``; else ``orderDate`` (yyyyMMdd)
  + ``pageNo``/``pageSize`` → ``{"orderList": […], "total": n}``;
- ``/order/updateOrderStatus``: ``orderKey`` + ``thirdPartyStatus`` (20 接单, 50 拒单,
  21/22/30/40/51 the rider's progress, which needs ``shipperInfoVo`` with name and
  phone; nothing after 40 已送达);
- answers ``{"code":"000","message":"执行成功","data":…,"traceID":…}``, errors
  ``{"code":"1xxxx","message":…}``.

There is no push: orders wait until the connector pulls them.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from app.core.clock import LOCAL_TZ, Clock, SystemClock
from app.core.sandbox.sources.common import Call, Faults, Log, PushSender, maybe_delay

SKEW_S = 600  # ASSUMED: the timestamp window is not public
DELIVERY_STATUSES = frozenset({21, 22, 30, 40, 51})
CONFIRM, REJECT = 20, 50
SYNC_PATHS = frozenset({"order/updateOrderStatus"})
# ASSUMED: error codes are not public; the simulator picks these
SIGN_ERROR = ("10005", "签名错误")
PARAM_ERROR = ("10001", "参数错误")
AUTH_ERROR = ("10003", "appKey 无权访问该集团/门店")
NOT_FOUND = ("20001", "订单不存在")
STATE_ERROR = ("20002", "订单状态不允许")
RATE_ERROR = ("10009", "调用过于频繁")


class HllError(Exception):
    def __init__(self, code: tuple[str, str], detail: str = "") -> None:
        super().__init__(code[1])
        self.code, self.message = code[0], f"{code[1]} {detail}".strip()


def hll_sign(app_key: str, secret: str, timestamp: str, request_body: str) -> str:
    return hashlib.md5(f"{app_key}{secret}{timestamp}{request_body}".encode()).hexdigest()


@dataclass
class HllOrder:
    doc: dict[str, Any]
    statuses: list[int] = field(default_factory=list)  # thirdPartyStatus values received
    updates: list[dict[str, Any]] = field(default_factory=list)


class HualalaSim:
    source = "hualala"

    def __init__(
        self,
        *,
        app_key: str = "1001key",
        secret: str = "secretXYZ",
        group_id: int = 1001,
        shop_id: int = 2002,
        clock: Clock | None = None,
        first_order_id: int = 1,
    ) -> None:
        self.app_key, self.secret = app_key, secret
        self.group_id, self.shop_id = group_id, shop_id
        self.clock = clock or SystemClock()
        self.push_base_url = ""  # no pushes: kept for the server's interface
        self.faults = Faults()
        self.log = Log()
        self.pusher = PushSender(self.faults, self.log, {})  # never sends
        self.orders: dict[str, HllOrder] = {}
        self._ids = itertools.count(first_order_id)
        self._serial: dict[str, int] = {}

    # ------------------------------------------------------------------ app
    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/v1/order/queryOrder", self._handle)
        app.router.add_post("/api/v1/order/updateOrderStatus", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.Response:
        path = request.path.split("/api/v1/", 1)[1]
        if self.faults.server_errors > 0 or (
            path in SYNC_PATHS and self.faults.sync_server_errors > 0
        ):
            if self.faults.server_errors > 0:
                self.faults.server_errors -= 1
            else:
                self.faults.sync_server_errors -= 1
            self.log.rejected.append((path, "502"))
            return web.Response(status=502, text="bad gateway")
        if path in SYNC_PATHS:
            await maybe_delay(self.faults.sync_delay_s)
        form = dict(await request.post())
        try:
            body = self._check(request, {k: str(v) for k, v in form.items()})
            data = self._query(body) if path == "order/queryOrder" else self._update(body)
        except HllError as e:
            self.log.rejected.append((path, f"{e.code} {e.message}"))
            return self._reply(e.code, e.message, None, request)
        self.log.calls.append(Call(path, body))
        return self._reply("000", "执行成功", data, request)

    def _reply(self, code: str, message: str, data: Any, request: web.Request) -> web.Response:
        doc = {"code": code, "message": message, "data": data}
        doc["traceID"] = request.headers.get("traceID", "")
        return web.json_response(doc, dumps=lambda v: json.dumps(v, ensure_ascii=False))

    def _check(self, request: web.Request, form: dict[str, str]) -> dict[str, Any]:
        if self.faults.rate_limited > 0:
            self.faults.rate_limited -= 1
            raise HllError(RATE_ERROR)
        for key in ("timestamp", "appKey", "version", "signature", "requestBody"):
            if key not in form:
                raise HllError(PARAM_ERROR, f"missing {key}")
        if form["version"] != "3" or form["appKey"] != self.app_key:
            raise HllError(SIGN_ERROR, "version or appKey")
        ts = form["timestamp"]
        if not ts.isdigit() or len(ts) != 13:  # ms [✓ TimeUtil]
            raise HllError(PARAM_ERROR, "timestamp must be milliseconds")
        if abs(int(ts) / 1000 - self.clock.now().timestamp()) > SKEW_S:
            raise HllError(SIGN_ERROR, "timestamp expired")
        expected = hll_sign(self.app_key, self.secret, ts, form["requestBody"])
        if form["signature"] != expected:
            raise HllError(SIGN_ERROR)
        for header in ("traceID", "groupID"):
            if not request.headers.get(header):
                raise HllError(PARAM_ERROR, f"missing header {header}")
        if request.headers["groupID"] != str(self.group_id) or request.headers.get(
            "shopID", ""
        ) not in ("", str(self.shop_id)):
            raise HllError(AUTH_ERROR)
        try:
            body = json.loads(form["requestBody"])
        except ValueError:
            raise HllError(PARAM_ERROR, "requestBody is not JSON") from None
        if not isinstance(body, dict):
            raise HllError(PARAM_ERROR, "requestBody is not an object")
        return body

    def _order(self, key: object) -> HllOrder:
        if not isinstance(key, str) or not key:
            raise HllError(PARAM_ERROR, "orderKey")
        order = self.orders.get(key)
        if order is None:
            raise HllError(NOT_FOUND)
        return order

    def _query(self, b: dict[str, Any]) -> Any:
        if b.get("orderKey"):
            return {"order": self._order(b["orderKey"]).doc}
        day, page, size = b.get("orderDate"), b.get("pageNo"), b.get("pageSize")
        if not isinstance(day, str) or not isinstance(page, int) or not isinstance(size, int):
            raise HllError(PARAM_ERROR, "orderDate, pageNo, pageSize")
        docs = [o.doc for o in self.orders.values() if o.doc["orderDate"] == day]
        return {"orderList": docs[(page - 1) * size : page * size], "total": len(docs)}

    def _update(self, b: dict[str, Any]) -> Any:
        order = self._order(b.get("orderKey"))
        status = b.get("thirdPartyStatus")
        if not isinstance(status, int):
            raise HllError(PARAM_ERROR, "thirdPartyStatus")
        doc = order.doc
        if status in (CONFIRM, REJECT):
            if doc["orderStatus"] != 10:
                raise HllError(STATE_ERROR, "已处理")
            if status == REJECT and not b.get("cancelOrderCause"):
                raise HllError(PARAM_ERROR, "cancelOrderCause")
            if status == CONFIRM and not isinstance(b.get("takeoutConfirmTime"), int):
                raise HllError(PARAM_ERROR, "takeoutConfirmTime")
            doc["orderStatus"] = 20 if status == CONFIRM else 50
        elif status in DELIVERY_STATUSES:
            if doc["orderStatus"] in (40, 50) or 40 in order.statuses:
                raise HllError(STATE_ERROR, "订单已完成或已取消")
            shipper = b.get("shipperInfoVo")
            if not isinstance(shipper, dict) or shipper.get("statusCode") != status:
                raise HllError(PARAM_ERROR, "shipperInfoVo.statusCode")
            if status != 51 and not (shipper.get("shipperName") and shipper.get("shipperPhone")):
                raise HllError(PARAM_ERROR, "shipperName, shipperPhone")
            if self.faults.sync_refused > 0:
                self.faults.sync_refused -= 1
                raise HllError(STATE_ERROR, "refused")
            if status == 30:
                doc["orderStatus"] = 30
            elif status == 40:
                doc["orderStatus"] = 40
        else:
            raise HllError(PARAM_ERROR, f"thirdPartyStatus {status}")
        order.statuses.append(status)
        order.updates.append(dict(b))
        return {"orderKey": doc["orderKey"], "orderStatus": doc["orderStatus"]}  # ASSUMED

    # ------------------------------------------------------------------ scenarios
    def new_order(self, **over: Any) -> str:
        """A takeaway order waiting for 接单 in the POS; ``privacy``, ``book_ahead_s``,
        ``pickup`` (到店自取), ``customer`` ``{name, address, lat, lng}`` as options."""
        now: datetime = self.clock.now()
        day = now.astimezone(LOCAL_TZ).strftime("%Y%m%d")
        self._serial[day] = self._serial.get(day, 0) + 1
        key = str(over.pop("order_key", f"H{day}{next(self._ids):09d}"))
        ahead = int(over.pop("book_ahead_s", 0) or 0)
        c = over.pop("customer", None) or {}
        doc: dict[str, Any] = {
            "orderKey": key,
            "groupID": self.group_id,
            "shopID": self.shop_id,
            "orderDate": day,
            "serialNumber": str(self._serial[day]),
            "orderStatus": 10,
            "orderTime": int(now.timestamp() * 1000),
            "isReserve": bool(ahead),
            "expectedTime": int((now + timedelta(seconds=ahead)).timestamp() * 1000)
            if ahead
            else None,
            "pickUpType": 2 if over.pop("pickup", False) else 1,
            "receiverName": str(c.get("name") or "赵女士"),
            "receiverPhone": "13700001111_5678" if over.pop("privacy", False) else "13700001111",
            "receiverAddress": str(c.get("address") or "上海市静安区南京西路1000号"),
            "receiverLatitude": f"{float(c.get('lat') or 31.230):.6f}",
            "receiverLongitude": f"{float(c.get('lng') or 121.470):.6f}",
            "lnglatType": 1,
            "orderActualAmount": "68.50",
            "shipFee": "5.00",
            "orderRemark": "多放葱",
            "foodList": [{"foodName": "小笼包", "foodNumber": 2, "foodPrice": "31.75"}],
        }
        doc.update({k: v for k, v in over.items() if k in doc})
        self.orders[key] = HllOrder(doc)
        return key

    def cancel(self, key: str) -> None:
        """The order is cancelled in the POS (the customer or the shop)."""
        self.orders[key].doc["orderStatus"] = 50

    # ------------------------------------------------------------------ control API
    async def control(self, op: str, body: dict[str, Any]) -> dict[str, Any]:
        """``new_order`` / ``cancel``; nothing is pushed (``pushed`` is always false: the
        connector finds the change at its next pull)."""
        body.pop("push", None)
        if op == "new_order":
            return {"order_id": self.new_order(**body), "pushed": False}
        key = str(body.get("order_id", ""))
        if key not in self.orders:
            raise web.HTTPNotFound(text="unknown order_id")
        if op == "cancel":
            self.cancel(key)
            return {"order_id": key, "pushed": False}
        raise web.HTTPNotFound(text=f"unknown op {op}")
