"""客如云 (Keruyun) 三方配送 simulator, written from shared/sources/keruyun.md.

It plays the POS side of the scheme: ``new_order`` makes a takeaway order the merchant
sends for delivery and pushes it (客如云下发配送通知) to ``<push_base_url>/delivery``;
``cancel`` pushes the merchant's cancel (订单配送状态通知, deliveryStatus 5) to
``<push_base_url>/status``. Pushes are JSON POSTs whose system params ride in the query
string, signed like every call; the reply must be ``{"code":0,…}``.

API: ``POST /api/v1/open/v1/delivery/status/push`` (商家自配送状态推送). Every call is
checked: ``appKey``, ``shopIdenty``, ``version`` (1.0 or 2.0), ``timestamp`` within 300 s
(seconds or 13-digit ms: the notes cannot say which, so both are taken unless
``timestamp_unit`` is set), ``sign`` = SHA-256 of the sorted ``k1v1k2v2…`` system
params (+ for v2 the body, with or without the literal ``body`` before it:
``v2_body_key``) + token; then the fields and rules of the status push: statuses
1/2/100/3/4/5, rider fields required except for 1 and a cancel before any rider,
``cancelCode`` on 5, nothing after 已送达. Answers ``{"code":0,"message":"成功[OK]",…}``
or ``{"code":N,"message":…}`` (2003 订单不存在).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from app.core.clock import LOCAL_TZ, Clock, SystemClock
from app.core.sandbox.sources.common import Call, Faults, Held, Log, PushSender, maybe_delay

STATUS_PATH = "open/v1/delivery/status/push"
SKEW_S = 300  # [✓ 接口调用规则]
STATUSES = frozenset({1, 2, 3, 4, 5, 100})
CANCEL_CODES = frozenset({1, 2, 3, 4, 99})
RIDER_FIELDS = ("delivererId", "deliverer", "delivererPhone", "longitude", "latitude")
# ASSUMED: only 2003 is documented; the simulator picks the others
SIGN_ERROR = (1001, "签名错误 sign error")
TIMESTAMP_ERROR = (1002, "时间戳超出范围")
PARAM_ERROR = (1003, "参数错误")
STATE_ERROR = (1004, "订单状态不允许")
RATE_ERROR = (1005, "调用过于频繁")
NOT_FOUND = (2003, "订单不存在")


class KryError(Exception):
    def __init__(self, code: tuple[int, str], detail: str = "") -> None:
        super().__init__(code[1])
        self.code, self.message = code[0], f"{code[1]} {detail}".strip()


def kry_sign(system: dict[str, str], token: str, body: str, *, body_key: bool) -> str:
    """SHA-256 of ``k1v1k2v2…`` (sorted, ``sign`` left out) [+ v2 body] + token."""
    plain = "".join(f"{k}{system[k]}" for k in sorted(system) if k != "sign")
    if system.get("version") == "2.0" and body:
        plain += ("body" if body_key else "") + body
    return hashlib.sha256((plain + token).encode("utf-8")).hexdigest()


@dataclass
class KryOrder:
    doc: dict[str, Any]
    statuses: list[int] = field(default_factory=list)  # deliveryStatus values received
    reports: list[dict[str, Any]] = field(default_factory=list)  # whole status bodies
    cancelled: bool = False


class KeruyunSim:
    source = "keruyun"

    def __init__(
        self,
        *,
        app_key: str = "301001",
        shop_identy: str = "247900001",
        token: str = "rehearsal-keruyun-token",
        clock: Clock | None = None,
        push_base_url: str = "",
        first_order_id: int = 612_000_000_000_000_001,
    ) -> None:
        self.app_key, self.shop_identy, self.token = app_key, shop_identy, token
        self.clock = clock or SystemClock()
        self.push_base_url = push_base_url
        # how this 客如云 signs its pushes and checks calls (the notes leave them open)
        self.push_version = "1.0"  # "2.0": the body is signed too
        self.v2_body_key = False  # v2: the literal "body" before the JSON (ASSUMED both)
        self.timestamp_unit = ""  # "" takes both; "s" or "ms" insists
        self.push_timestamp_unit = "s"
        self.faults = Faults()
        self.log = Log()
        self.pusher = PushSender(self.faults, self.log, {"code": "0"})
        self.orders: dict[str, KryOrder] = {}
        self._ids = itertools.count(first_order_id)
        self._serial: dict[str, int] = {}

    # ------------------------------------------------------------------ app
    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(f"/api/v1/{STATUS_PATH}", self._status_push)
        app.router.add_post("/api/v1/open/v1/signTest", self._sign_test)
        return app

    async def _sign_test(self, request: web.Request) -> web.Response:
        """The signing doc's test URL (ASSUMED to exist): code 0 when the sign fits."""
        try:
            self._check_system(dict(request.query), await request.text())
        except KryError as e:
            self.log.rejected.append(("open/v1/signTest", f"{e.code} {e.message}"))
            return self._reply(e.code, e.message)
        self.log.calls.append(Call("open/v1/signTest", {}))
        return self._reply(0, "成功[OK]")

    async def _status_push(self, request: web.Request) -> web.Response:
        if self.faults.server_errors > 0 or self.faults.sync_server_errors > 0:
            if self.faults.server_errors > 0:
                self.faults.server_errors -= 1
            else:
                self.faults.sync_server_errors -= 1
            self.log.rejected.append((STATUS_PATH, "502"))
            return web.Response(status=502, text="bad gateway")
        await maybe_delay(self.faults.sync_delay_s)
        text = await request.text()
        try:
            self._check_system(dict(request.query), text)
            body = json.loads(text) if text else {}
            if not isinstance(body, dict):
                raise KryError(PARAM_ERROR, "body is not a JSON object")
            self._status(body)
        except KryError as e:
            self.log.rejected.append((STATUS_PATH, f"{e.code} {e.message}"))
            return self._reply(e.code, e.message)
        except ValueError:
            self.log.rejected.append((STATUS_PATH, "bad JSON"))
            return self._reply(PARAM_ERROR[0], "body is not JSON")
        self.log.calls.append(Call(STATUS_PATH, body))
        return self._reply(0, "成功[OK]")

    def _reply(self, code: int, message: str) -> web.Response:
        doc = {"code": code, "message": message, "messageUuid": uuid.uuid4().hex, "result": {}}
        return web.json_response(doc, dumps=lambda v: json.dumps(v, ensure_ascii=False))

    def _check_system(self, q: dict[str, str], body: str) -> None:
        if self.faults.rate_limited > 0:
            self.faults.rate_limited -= 1
            raise KryError(RATE_ERROR)
        for key in ("appKey", "shopIdenty", "timestamp", "version", "sign"):
            if not q.get(key):
                raise KryError(PARAM_ERROR, f"missing {key}")
        if q["appKey"] != self.app_key or q["shopIdenty"] != self.shop_identy:
            raise KryError(SIGN_ERROR, "unknown appKey or store not authorised")
        if q["version"] not in ("1.0", "2.0"):
            raise KryError(PARAM_ERROR, "version")
        ts = q["timestamp"]
        if not ts.isdigit():
            raise KryError(TIMESTAMP_ERROR)
        unit = "ms" if len(ts) >= 13 else "s"
        if self.timestamp_unit and unit != self.timestamp_unit:
            raise KryError(TIMESTAMP_ERROR, f"timestamp must be in {self.timestamp_unit}")
        sent = int(ts) / 1000 if unit == "ms" else int(ts)
        if abs(sent - self.clock.now().timestamp()) > SKEW_S:
            raise KryError(TIMESTAMP_ERROR)
        system = {k: v for k, v in q.items() if k != "sign"}
        if q["sign"] != kry_sign(system, self.token, body, body_key=self.v2_body_key):
            raise KryError(SIGN_ERROR)

    def _status(self, b: dict[str, Any]) -> None:
        for key in ("bizType", "orderId", "tpOrderId", "deliveryStatus"):
            if b.get(key) in (None, ""):
                raise KryError(PARAM_ERROR, f"missing {key}")
        status = b["deliveryStatus"]
        if not isinstance(status, int) or status not in STATUSES:
            raise KryError(PARAM_ERROR, f"deliveryStatus {status!r}")
        if b["bizType"] not in (1, 2, 399):
            raise KryError(PARAM_ERROR, "bizType")
        order = self.orders.get(str(b["orderId"]))
        if order is None:
            raise KryError(NOT_FOUND)
        if 4 in order.statuses:
            raise KryError(STATE_ERROR, "已送达")
        rider_seen = any(s in (2, 3, 100) for s in order.statuses)
        needs_rider = status != 1 and not (status == 5 and not rider_seen)
        if needs_rider:
            missing = [k for k in RIDER_FIELDS if b.get(k) in (None, "")]
            if missing:
                raise KryError(PARAM_ERROR, f"missing {missing}")
            lat, lng = float(b["latitude"]), float(b["longitude"])
            if not (3 < lat < 54 and 73 < lng < 136):
                raise KryError(PARAM_ERROR, "坐标须为高德坐标")
        if status == 5 and b.get("cancelCode") not in CANCEL_CODES:
            raise KryError(PARAM_ERROR, "cancelCode")
        if self.faults.sync_refused > 0:
            self.faults.sync_refused -= 1
            raise KryError(STATE_ERROR, "refused")
        order.statuses.append(status)
        order.reports.append(dict(b))

    # ------------------------------------------------------------------ scenarios
    def new_order(self, **over: Any) -> str:
        """A takeaway order the merchant sends for delivery; ``privacy`` gives a virtual
        number, ``book_ahead_s`` an expected delivery time, ``unpaid`` cash on delivery,
        ``customer`` ``{name, address, lat, lng}`` (GCJ-02) the recipient."""
        oid = str(over.pop("order_id", next(self._ids)))
        now = self.clock.now()
        day = now.astimezone(LOCAL_TZ).date().isoformat()
        self._serial[day] = self._serial.get(day, 0) + 1
        ahead = int(over.pop("book_ahead_s", 0) or 0)
        privacy = bool(over.pop("privacy", False))
        unpaid = bool(over.pop("unpaid", False))
        c = over.pop("customer", None) or {}
        doc: dict[str, Any] = {
            "serialNumber": str(self._serial[day]),
            "shopIdenty": int(self.shop_identy),
            "bizType": 1,
            "cityCode": "021",
            "orderId": int(oid),
            "price": 5680,
            "isPaid": 0 if unpaid else 1,
            "expectedTakeTime": "",
            "expectedDeliveredTime": int(now.timestamp()) + ahead if ahead else "",
            "consigneeName": str(c.get("name") or "王"),
            "consigneeSex": 1,
            "consigneePhone": "13812345678_1234" if privacy else "13812345678",
            "consigneeContact": "",
            "consigneeAddr": str(c.get("address") or "上海市黄浦区南京东路100号"),
            "addrLat": f"{float(c.get('lat') or 31.233):.6f}",
            "addrLng": f"{float(c.get('lng') or 121.476):.6f}",
            "remark": "少辣",
        }
        doc.update({k: v for k, v in over.items() if k in doc})
        self.orders[oid] = KryOrder(doc)
        return oid

    def merchant_cancel(self, oid: str) -> dict[str, Any]:
        order = self.orders[oid]
        order.cancelled = True
        last = order.reports[-1] if order.reports else {}
        return {
            "orderId": int(oid),
            "tpOrderId": str(last.get("tpOrderId", "")),
            "deliveryStatus": 5,
            "delivererId": str(last.get("delivererId", "")),
            "deliverer": str(last.get("deliverer", "")),
            "delivererPhone": str(last.get("delivererPhone", "")),
            "cancelCode": 3,
            "cancelReason": "商户取消",
        }

    # ------------------------------------------------------------------ pushes
    async def push(self, kind: str, doc: dict[str, Any]) -> bool:
        """Sign and send one push to ``<push_base_url>/<kind>``; True if answered ok."""
        now = self.clock.now().timestamp()
        ms = self.push_timestamp_unit == "ms"
        body = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
        system = {
            "appKey": self.app_key,
            "shopIdenty": self.shop_identy,
            "timestamp": str(int(now * 1000) if ms else int(now)),
            "version": self.push_version,
        }
        system["sign"] = kry_sign(system, self.token, body, body_key=self.v2_body_key)
        url = f"{self.push_base_url.rstrip('/')}/{kind}?{urlencode(system)}"
        held = Held(url, kind, body.encode("utf-8"), "application/json", doc)
        return await self.pusher.send(held)

    async def push_new_order(self, oid: str) -> bool:
        return await self.push("delivery", self.orders[oid].doc)

    # ------------------------------------------------------------------ control API
    async def control(self, op: str, body: dict[str, Any]) -> dict[str, Any]:
        """``new_order`` / ``cancel`` (the merchant's) / ``variant`` (how this 客如云
        signs: ``push_version``, ``v2_body_key``, ``timestamp_unit``,
        ``push_timestamp_unit``)."""
        push = bool(body.pop("push", True))
        if op == "new_order":
            oid = self.new_order(**body)
            return {"order_id": oid, "pushed": push and await self.push_new_order(oid)}
        if op == "variant":
            for key in ("push_version", "v2_body_key", "timestamp_unit", "push_timestamp_unit"):
                if key in body:
                    setattr(self, key, type(getattr(self, key))(body[key]))
            return {
                "push_version": self.push_version,
                "v2_body_key": self.v2_body_key,
                "timestamp_unit": self.timestamp_unit,
                "push_timestamp_unit": self.push_timestamp_unit,
            }
        oid = str(body.get("order_id", ""))
        if oid not in self.orders:
            raise web.HTTPNotFound(text="unknown order_id")
        if op == "cancel":
            fields = self.merchant_cancel(oid)
            return {"order_id": oid, "pushed": push and await self.push("status", fields)}
        raise web.HTTPNotFound(text=f"unknown op {op}")
