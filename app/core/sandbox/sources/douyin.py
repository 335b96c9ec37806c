"""抖音来客 simulator, written from shared/sources/wechat_miniprogram.md §3.

Webhooks: one URL per app; headers ``Msg-Id`` (same for the same entity + action),
``X-Douyin-Signature`` = SHA-1(client_secret + raw body), ``Content-Type:
application/json``; body ``{event, client_key, content (JSON text), log_id}``. The
``verify_webhook`` challenge must be answered with ``{"challenge": <n>}``; other events
need HTTP 200 (ASSUMED: the body is not checked) or are retried 3 times.

API: ``POST /api/v1/api/waimai/v1/fulfillment/update_fulfill_status/`` (header
``access-token``; ``ma_app_id``, ``shop_order_id``, ``timestamp``, ``fulfill_status``;
``rider_info`` required for 201/202/203 [✓ DY5]) — statuses must come in order ("请按顺序
推送": a lower status than the last accepted one is refused) and nothing follows 500 or
102. The token comes from ``POST /api/v1/oauth/client_token/`` (ASSUMED). Answers
``{"data":{"error_code":0,"description":""},"extra":{…}}`` (ASSUMED envelope).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from app.core.clock import Clock, SystemClock
from app.core.sandbox.sources.common import Call, Faults, Held, Log, PushSender, maybe_delay
from app.core.sandbox.sources.retry import RetrySchedule, ScheduledPushSender

RETRY_S = (5.0, 5.0, 5.0)  # [✓ DY1] 3 retries; the interval is ASSUMED
TOKEN_TTL_S = 7200
FULFIL = "api/waimai/v1/fulfillment/update_fulfill_status/"
RIDER_REQUIRED = frozenset({201, 202, 203})
KNOWN_STATUS = frozenset({101, 102, 200, 201, 202, 203, 300, 401, 402, 500})
FINAL = frozenset({102, 500})


def signature(secret: str, body: str) -> str:
    return hashlib.sha1(f"{secret}{body}".encode()).hexdigest()


@dataclass
class DouyinOrder:
    doc: dict[str, Any]
    statuses: list[int] = field(default_factory=list)  # fulfil statuses accepted, in order
    riders: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Event:
    msg_id: str
    event: str
    content: dict[str, Any]


class DouyinSim:
    def __init__(
        self,
        *,
        client_key: str = "rehearsal-douyin-key",
        client_secret: str = "rehearsal-douyin-secret",
        ma_app_id: str = "tt0000rehearsal",
        poi_id: str = "7000000000000000001",
        clock: Clock | None = None,
        push_base_url: str = "",
        first_order_id: int | None = None,
    ) -> None:
        self.client_key, self.secret = client_key, client_secret
        self.ma_app_id, self.poi_id = ma_app_id, poi_id
        self.clock = clock or SystemClock()
        self.push_base_url = push_base_url  # JuPei's /api/v1/sources/douyin
        self.faults = Faults()
        self.log = Log()
        # ASSUMED: any HTTP 200 counts; the verify_webhook reply is checked by ``verify``
        self.retries = RetrySchedule(self.clock, RETRY_S)
        self.scheduled = ScheduledPushSender(self.faults, self.log, {}, self.retries, self._send)
        self.pusher: PushSender = self.scheduled  # the server's retry and faults
        self.orders: dict[str, DouyinOrder] = {}
        self.events: dict[str, Event] = {}
        self.tokens: dict[str, datetime] = {}
        # 19 digits from the clock: ids of an earlier session are never reused
        ms = int(self.clock.now().timestamp() * 1000)
        # (the last 4 digits count up: the number staff shout, "抖音 #1")
        first = 1_000_000_000_000_000_000 + (ms % 10**11) * 10**6 + 1
        self._ids = itertools.count(first_order_id or first)
        self._n = itertools.count(1)

    @property
    def push_url(self) -> str:
        """The one webhook URL configured for the app (kind ``webhook``)."""
        return f"{self.push_base_url}/webhook"

    # ------------------------------------------------------------------ control
    async def control(self, op: str, body: dict[str, Any]) -> dict[str, Any]:
        """The simulator server's ``/__sources/douyin/<op>``: ``new_order`` (receiver
        overrides; ``customer`` from the rehearsal feed), ``cancel`` (a full refund),
        ``rider`` ``{"order_id", "status", "from_third"}`` (Douyin's own rider),
        ``verify`` ``{"challenge"}`` (the console's URL check)."""
        push = bool(body.pop("push", True))
        if op == "verify":
            return {"ok": await self.verify(int(body.get("challenge", 12345)))}
        if op == "new_order":
            oid = self.new_order(**_overrides(body))
            return {"order_id": oid, "pushed": push and await self.push_paid(oid)}
        oid = str(body.get("order_id", ""))
        if oid not in self.orders:
            raise web.HTTPNotFound(text="unknown order_id")
        if op == "cancel":
            return {"order_id": oid, "pushed": push and await self.cancel(oid)}
        if op == "rider":
            ok = await self.rider(oid, int(body["status"]), from_third=bool(body.get("from_third")))
            return {"order_id": oid, "pushed": ok}
        raise web.HTTPNotFound(text=f"unknown op {op}")

    # ------------------------------------------------------------------ app
    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/v1/oauth/client_token/", self._token)
        app.router.add_post("/api/v1/" + FULFIL, self._fulfil)
        return app

    def _answer(
        self, code: int = 0, why: str = "", data: dict[str, Any] | None = None
    ) -> web.Response:
        now = int(self.clock.now().timestamp())
        extra = {"error_code": code, "description": why, "logid": f"log{next(self._n)}", "now": now}
        body = {"data": {"error_code": code, "description": why, **(data or {})}, "extra": extra}
        return web.json_response(body)

    def _refuse(self, path: str, code: int, why: str) -> web.Response:
        self.log.rejected.append((path, why))
        return self._answer(code, why)

    async def _token(self, request: web.Request) -> web.Response:
        path = "oauth/client_token/"
        try:
            doc = json.loads(await request.text())
        except ValueError:
            return self._refuse(path, 2100005, "body is not JSON")
        if doc.get("client_key") != self.client_key or doc.get("client_secret") != self.secret:
            return self._refuse(path, 10013, "client_key or client_secret wrong")
        if doc.get("grant_type") != "client_credential":
            return self._refuse(path, 10020, "grant_type must be client_credential")
        token = f"clt.rehearsal{next(self._n):06d}"
        self.tokens[token] = self.clock.now() + timedelta(seconds=TOKEN_TTL_S)
        self.log.calls.append(Call(path, {"client_key": doc["client_key"]}))
        return self._answer(data={"access_token": token, "expires_in": TOKEN_TTL_S})

    def expire_tokens(self) -> None:
        self.tokens.clear()

    async def _fulfil(self, request: web.Request) -> web.Response:
        path = "update_fulfill_status"
        if self.faults.server_errors > 0 or self.faults.sync_server_errors > 0:
            if self.faults.server_errors > 0:
                self.faults.server_errors -= 1
            else:
                self.faults.sync_server_errors -= 1
            self.log.rejected.append((path, "502"))
            return web.Response(status=502)
        await maybe_delay(self.faults.sync_delay_s)
        if self.faults.rate_limited > 0:
            self.faults.rate_limited -= 1
            return self._refuse(path, 2119003, "请求太过频繁,请稍后再试")
        until = self.tokens.get(request.headers.get("access-token", ""))
        if until is None or until <= self.clock.now():
            return self._refuse(path, 28001008, "access-token invalid or expired")
        if not request.headers.get("Content-Type", "").startswith("application/json"):
            return self._refuse(path, 2100005, "content-type must be application/json")
        try:
            p = json.loads(await request.text())
        except ValueError:
            return self._refuse(path, 2100005, "body is not JSON")
        why = self._check(p)
        if why:
            return self._refuse(path, 2100005, why)
        if self.faults.sync_refused > 0:
            self.faults.sync_refused -= 1
            return self._refuse(path, 2119001, "订单状态不允许变更")
        order = self.orders[str(p["shop_order_id"])]
        order.statuses.append(int(p["fulfill_status"]))
        if p.get("rider_info"):
            order.riders.append(dict(p["rider_info"]))
        self.log.calls.append(Call(path, p))
        return self._answer(data={"result": {"success": True}})

    def _check(self, p: dict[str, Any]) -> str:
        for key in ("ma_app_id", "shop_order_id", "timestamp", "fulfill_status"):
            if p.get(key) in (None, ""):
                return f"{key} missing"
        if p["ma_app_id"] != self.ma_app_id:
            return "ma_app_id is not this app"
        order = self.orders.get(str(p["shop_order_id"]))
        if order is None:
            return f"order {p['shop_order_id']} not found"
        status = p["fulfill_status"]
        if not isinstance(status, int) or status not in KNOWN_STATUS:
            return f"fulfill_status {status!r} unknown"
        if not isinstance(p["timestamp"], int):
            return "timestamp must be an integer"
        if status in RIDER_REQUIRED:
            rider = p.get("rider_info")
            if (
                not isinstance(rider, dict)
                or not rider.get("rider_name")
                or not rider.get("rider_phone")
            ):
                return "rider_info required for 201/202/203"
        if order.statuses and order.statuses[-1] in FINAL:
            return f"order already at final status {order.statuses[-1]}"
        if order.statuses and status < order.statuses[-1]:
            return f"请按顺序推送: {status} after {order.statuses[-1]}"
        return ""

    # ------------------------------------------------------------------ orders
    def new_order(self, **overrides: Any) -> str:
        """A paid takeaway order (``pay_success``); overrides go into ``receiver_info``
        (name, phone, address, latitude, longitude) or the order itself."""
        oid = str(next(self._ids))
        now = int(self.clock.now().timestamp())
        receiver: dict[str, Any] = {
            "name": "陈先生",
            "phone": "13700002222",
            "address": "上海市黄浦区南京东路 300 号 801",
            "latitude": 31.233,
            "longitude": 121.476,
        }
        doc: dict[str, Any] = {
            "order_id": oid,
            "account_id": "7100000000000000001",
            "poi_id": self.poi_id,
            "pay_amount": 6400,
            "original_amount": 7200,
            "create_time": now - 20,
            "pay_time": now,
            "items": [{"name": "双人套餐", "count": 1, "price": 6400, "sku_id": "SKU-2P"}],
            "remark": "不要辣",
        }
        for key, value in overrides.items():
            if key in receiver:
                receiver[key] = value
            else:
                doc[key] = value
        doc["receiver_info"] = receiver
        self.orders[oid] = DouyinOrder(doc)
        return oid

    def body(self, ev: Event) -> str:
        content = json.dumps(ev.content, ensure_ascii=False, separators=(",", ":"))
        doc = {
            "event": ev.event,
            "client_key": self.client_key,
            "content": content,
            "log_id": f"2026{next(self._n):016d}",
        }
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))

    async def _send(self, msg_id: str, tries: int) -> bool:
        ev = self.events[msg_id]
        text = self.body(ev)
        headers = {"Msg-Id": msg_id, "X-Douyin-Signature": signature(self.secret, text)}
        held = Held(
            self.push_url, ev.event, text.encode(), "application/json", {"msg_id": msg_id}, headers
        )
        return await self.scheduled.send_key(msg_id, tries, held)

    async def push(self, event: str, content: dict[str, Any], msg_id: str) -> bool:
        self.events[msg_id] = Event(msg_id, event, content)
        ok = await self._send(msg_id, 1)
        if not ok:
            self.retries.failed(msg_id, 1)
        return ok

    async def push_paid(self, oid: str) -> bool:
        content = {"action": "pay_success", "order": self.orders[oid].doc}
        return await self.push("life_trade_order_notify", content, f"{oid}-pay_success")

    async def cancel(self, oid: str) -> bool:
        """The customer's order is refunded in full (ASSUMED action ``refund_success``)."""
        content = {"action": "refund_success", "order": {"order_id": oid}}
        return await self.push("life_trade_order_notify", content, f"{oid}-refund_success")

    async def rider(self, oid: str, status: int, *, from_third: bool = False) -> bool:
        """Douyin's side of the delivery changed (102/103/104/200/300)."""
        content = {
            "order_id": oid,
            "poi_id": self.poi_id,
            "delivery_status": status,
            "rider_name": "抖音骑手",
            "rider_phone": "13100003333",
            "update_time": str(int(self.clock.now().timestamp())),
            "from_third": from_third,
        }
        who = "third" if from_third else "douyin"
        msg_id = f"{oid}-delivery-{status}-{who}"
        return await self.push("life_takeout_delivery_change", content, msg_id)

    async def verify(self, challenge: int = 12345) -> bool:
        """The console's URL check: the reply must be ``{"challenge": <n>}`` exactly."""
        text = json.dumps(
            {
                "event": "verify_webhook",
                "client_key": self.client_key,
                "content": {"challenge": challenge},
            },
            separators=(",", ":"),
        )
        headers = {
            "Msg-Id": f"verify-{challenge}",
            "X-Douyin-Signature": signature(self.secret, text),
        }
        checker = PushSender(Faults(), self.log, {"challenge": str(challenge)})
        held = Held(self.push_url, "verify_webhook", text.encode(), "application/json", {}, headers)
        return await checker.send(held)

    async def retry_due(self, *, all_now: bool = False) -> int:
        return await self.retries.run_due(self._send, all_now=all_now)


_OVERRIDES = frozenset(
    {"name", "phone", "address", "latitude", "longitude", "pay_amount", "original_amount"}
)


def _overrides(body: dict[str, Any]) -> dict[str, Any]:
    """The order fields a control call may set; the rehearsal feed's ``customer`` as the
    receiver; other platforms' scenario knobs are ignored."""
    out = {k: v for k, v in body.items() if k in _OVERRIDES}
    c = body.get("customer")
    if isinstance(c, dict):
        out.update(
            name=c.get("name", "顾客"),
            address=c.get("address", ""),
            latitude=round(float(c["lat"]), 6),
            longitude=round(float(c["lng"]), 6),
        )
    return out
