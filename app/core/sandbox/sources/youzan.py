"""有赞 (Youzan cloud) simulator, written from shared/sources/wechat_miniprogram.md §2.

Pushes: JSON POST to the app's one push URL with headers ``Event-Sign`` (MD5 of
client_id + raw body + client_secret), ``Event-Type`` and ``Client-Id``; ``msg`` is
URL-encoded JSON; ``msg_id`` and ``version`` per message; the reply must be
``{"code":200,"msg":"success"}``, otherwise the push is re-sent after 5 s, 5 m 20 s,
21 m 20 s and 2 h with ``sendCount`` raised (and so a new signature).

API (ASSUMED: not in the notes): ``POST /api/v1/auth/token`` (silent authorisation of a
self-use app: client_id, client_secret, authorize_type ``silent``, grant_id = kdt_id)
and ``POST /api/v1/api/youzan.trade.get/4.0.0?access_token=…`` ``{"tid"}`` answering
``{"success":true,"code":200,"data":{"full_order_info":…}}``. There is no write-back
endpoint: 有赞 has no public self-delivery status API.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from aiohttp import web

from app.core.clock import LOCAL_TZ, Clock, SystemClock
from app.core.sandbox.sources.common import Call, Faults, Held, Log, PushSender
from app.core.sandbox.sources.retry import RetrySchedule, ScheduledPushSender

RETRY_S = (5.0, 320.0, 1280.0, 7200.0)  # [✓ YZ2] at most 4 re-pushes
TOKEN_TTL_S = 7 * 24 * 3600  # ASSUMED


def event_sign(client_id: str, body: str, secret: str) -> str:
    return hashlib.md5(f"{client_id}{body}{secret}".encode()).hexdigest()


def _local(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class Message:
    msg_id: str
    tid: str
    mtype: str
    status: str
    version: int
    msg: dict[str, Any]


class YouzanSim:
    def __init__(
        self,
        *,
        client_id: str = "rehearsal-youzan-client",
        client_secret: str = "rehearsal-youzan-secret",
        kdt_id: int = 46110001,
        clock: Clock | None = None,
        push_base_url: str = "",
        thin_messages: bool = False,  # paid messages without full_order_info
    ) -> None:
        self.client_id, self.secret, self.kdt_id = client_id, client_secret, kdt_id
        self.clock = clock or SystemClock()
        self.push_base_url = push_base_url  # JuPei's /api/v1/sources/youzan
        self.thin_messages = thin_messages
        self.faults = Faults()
        self.log = Log()
        self.retries = RetrySchedule(self.clock, RETRY_S)
        self.scheduled = ScheduledPushSender(
            self.faults, self.log, {"code": "200", "msg": "success"}, self.retries, self._send
        )
        self.pusher: PushSender = self.scheduled  # the server's retry and faults
        self.orders: dict[str, dict[str, Any]] = {}  # tid -> full_order_info
        self.messages: dict[str, Message] = {}
        self.tokens: dict[str, datetime] = {}
        self._tids = itertools.count(1)
        self._msg = itertools.count(1)
        self._version: dict[str, int] = {}

    @property
    def push_url(self) -> str:
        """The one push URL configured for the app (kind ``push``)."""
        return f"{self.push_base_url}/push"

    # ------------------------------------------------------------------ control
    async def control(self, op: str, body: dict[str, Any]) -> dict[str, Any]:
        """The simulator server's ``/__sources/youzan/<op>``: ``new_order`` (overrides
        of the trade; ``customer`` from the rehearsal feed), ``cancel``."""
        push = bool(body.pop("push", True))
        if op == "new_order":
            tid = self.new_order(**_overrides(body))
            return {"order_id": tid, "pushed": push and await self.push_paid(tid)}
        tid = str(body.get("order_id", ""))
        if tid not in self.orders:
            raise web.HTTPNotFound(text="unknown order_id")
        if op == "cancel":
            return {"order_id": tid, "pushed": push and await self.cancel(tid)}
        raise web.HTTPNotFound(text=f"unknown op {op}")

    # ------------------------------------------------------------------ app
    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/v1/auth/token", self._token)
        app.router.add_post("/api/v1/api/{method}/{version}", self._api)
        return app

    def _refuse(self, path: str, code: int, why: str, status: int = 200) -> web.Response:
        self.log.rejected.append((path, why))
        body = {"success": False, "code": code, "message": why}
        return web.json_response(body, status=status)

    async def _token(self, request: web.Request) -> web.Response:
        path = "auth/token"
        if self.faults.server_errors > 0:
            self.faults.server_errors -= 1
            return self._refuse(path, 502, "502", status=502)
        try:
            doc = json.loads(await request.text())
        except ValueError:
            return self._refuse(path, 4000, "body is not JSON")
        if doc.get("client_id") != self.client_id or doc.get("client_secret") != self.secret:
            return self._refuse(path, 4001, "client_id or client_secret wrong")
        if doc.get("authorize_type") != "silent" or str(doc.get("grant_id")) != str(self.kdt_id):
            return self._refuse(path, 4002, "grant_id is not an authorised shop")
        token = f"yz-token-{next(self._msg)}"
        until = self.clock.now() + timedelta(seconds=TOKEN_TTL_S)
        self.tokens[token] = until
        self.log.calls.append(Call(path, {k: v for k, v in doc.items() if k != "client_secret"}))
        data = {"access_token": token, "expires": int(until.timestamp() * 1000), "scope": ""}
        return web.json_response({"success": True, "code": 200, "data": data})

    def expire_tokens(self) -> None:
        """Every token handed out so far is refused from now on (4201)."""
        self.tokens.clear()

    async def _api(self, request: web.Request) -> web.Response:
        method, version = request.match_info["method"], request.match_info["version"]
        path = f"{method}/{version}"
        if self.faults.server_errors > 0:
            self.faults.server_errors -= 1
            return self._refuse(path, 502, "502", status=502)
        if self.faults.rate_limited > 0:
            self.faults.rate_limited -= 1
            return self._refuse(path, 4004, "rate limited")
        token = request.query.get("access_token", "")
        until = self.tokens.get(token)
        if until is None or until <= self.clock.now():
            return self._refuse(path, 4201, "access_token invalid or expired")
        try:
            params = json.loads(await request.text())
        except ValueError:
            return self._refuse(path, 4000, "body is not JSON")
        if method != "youzan.trade.get" or version != "4.0.0":
            return self._refuse(path, 4040, f"no such API {path}")
        tid = str(params.get("tid", ""))
        if tid not in self.orders:
            return self._refuse(path, 101300022, f"trade {tid} not found")
        self.log.calls.append(Call(path, params))
        data = {"full_order_info": self.orders[tid]}
        return web.json_response({"success": True, "code": 200, "data": data})

    # ------------------------------------------------------------------ orders
    def new_order(self, **overrides: Any) -> str:
        """A paid 同城配送 trade (``express_type`` 2); overrides go into address_info,
        order_info or pay_info by key, or replace ``orders``."""
        now = self.clock.now()
        # E + local time + a counter: ids of an earlier session are never reused
        tid = f"E{now.astimezone(LOCAL_TZ):%Y%m%d%H%M%S}{next(self._tids):09d}"
        info: dict[str, Any] = {
            "tid": tid,
            "status": "WAIT_SELLER_SEND_GOODS",
            "created": _local(now - timedelta(seconds=30)),
            "pay_time": _local(now),
            "update_time": _local(now),
            "express_type": 2,
            "node_kdt_id": self.kdt_id,
        }
        addr: dict[str, Any] = {
            "receiver_name": "周小姐",
            "receiver_tel": "13900001111",
            "delivery_province": "上海市",
            "delivery_city": "上海市",
            "delivery_district": "黄浦区",
            "delivery_address": "南京东路 300 号 1201",
            "address_extra": json.dumps({"lat": "31.233000", "lon": "121.476000"}),
        }
        pay: dict[str, Any] = {"payment": "58.00", "total_fee": "53.00", "post_fee": "5.00"}
        orders = [
            {"title": "手冲咖啡", "num": 2, "price": "18.50", "outer_sku_id": "C-01"},
            {"title": "司康", "num": 1, "price": "16.00", "outer_sku_id": "S-02"},
        ]
        for key, value in overrides.items():
            if key == "orders":
                orders = list(value)
            elif key in addr or key.startswith("receiver") or key == "address_extra":
                addr[key] = value
            elif key in pay:
                pay[key] = value
            else:
                info[key] = value
        self.orders[tid] = {
            "order_info": info,
            "address_info": addr,
            "pay_info": pay,
            "orders": orders,
            "remark_info": {"buyer_message": "少冰"},
            "buyer_info": {"buyer_phone": addr["receiver_tel"]},
        }
        return tid

    def _message(self, tid: str, mtype: str, status: str) -> Message:
        version = self._version.get(tid, 0) + 1
        self._version[tid] = version
        full = self.orders[tid]
        msg: dict[str, Any] = {
            "tid": tid,
            "status": status,
            "update_time": _local(self.clock.now()),
        }
        if mtype == "trade_TradePaid" and not self.thin_messages:
            msg["full_order_info"] = full
        m = Message(f"yzmsg{next(self._msg):08d}", tid, mtype, status, version, msg)
        self.messages[m.msg_id] = m
        return m

    def body(self, m: Message, send_count: int) -> str:
        """The push body as 有赞 builds it (``msg`` URL-encoded JSON)."""
        msg_text = quote(json.dumps(m.msg, ensure_ascii=False, separators=(",", ":")), safe="")
        doc = {
            "client_id": self.client_id,
            "id": m.tid,
            "kdt_id": self.kdt_id,
            "root_kdt_id": self.kdt_id,
            "kdt_name": "聚配测试店",
            "mode": 1,
            "msg": msg_text,
            "msg_id": m.msg_id,
            "sendCount": send_count,
            "sign": hashlib.md5(f"{self.client_id}{msg_text}{self.secret}".encode()).hexdigest(),
            "status": m.status,
            "test": False,
            "type": m.mtype,
            "version": m.version,
        }
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))

    async def _send(self, msg_id: str, tries: int) -> bool:
        m = self.messages[msg_id]
        text = self.body(m, tries - 1)
        headers = {
            "Event-Sign": event_sign(self.client_id, text, self.secret),
            "Event-Type": m.mtype,
            "Client-Id": self.client_id,
        }
        held = Held(
            self.push_url, m.mtype, text.encode(), "application/json", {"msg_id": msg_id}, headers
        )
        # 有赞's own schedule re-sends it (with sendCount raised), not the generic retry
        return await self.scheduled.send_key(msg_id, tries, held)

    async def push(self, tid: str, mtype: str, status: str) -> bool:
        m = self._message(tid, mtype, status)
        ok = await self._send(m.msg_id, 1)
        if not ok:
            self.retries.failed(m.msg_id, 1)
        return ok

    async def push_paid(self, tid: str) -> bool:
        return await self.push(tid, "trade_TradePaid", self.orders[tid]["order_info"]["status"])

    async def cancel(self, tid: str) -> bool:
        """The buyer's trade is closed (cancelled / refunded in full)."""
        self.orders[tid]["order_info"]["status"] = "TRADE_CLOSED"
        return await self.push(tid, "trade_TradeClose", "TRADE_CLOSED")

    async def retry_due(self, *, all_now: bool = False) -> int:
        return await self.retries.run_due(self._send, all_now=all_now)


_OVERRIDES = frozenset(
    {
        "receiver_name",
        "receiver_tel",
        "delivery_province",
        "delivery_city",
        "delivery_district",
        "delivery_address",
        "address_extra",
        "payment",
        "total_fee",
        "post_fee",
        "express_type",
        "orders",
    }
)


def _overrides(body: dict[str, Any]) -> dict[str, Any]:
    """The trade fields a control call may set; the rehearsal feed's ``customer`` as
    有赞's address fields; other platforms' scenario knobs are ignored."""
    out = {k: v for k, v in body.items() if k in _OVERRIDES}
    c = body.get("customer")
    if isinstance(c, dict):
        out.update(
            receiver_name=c.get("name", "顾客"),
            delivery_province="",
            delivery_city="",
            delivery_district="",
            delivery_address=c.get("address", ""),
            address_extra=json.dumps({"lat": f"{c['lat']:.6f}", "lon": f"{c['lng']:.6f}"}),
        )
    return out
