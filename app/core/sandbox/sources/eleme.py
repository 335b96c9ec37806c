"""饿了么 napos OpenAPI simulator, written from shared/sources/eleme.md.

API: one JSON-RPC URL (``/api/v1/``). Every call is checked: envelope fields, ``app_key``,
timestamp skew, ``token`` (the shop token, or "" for the app-level ``eleme.msgNew.*``),
``signature`` (MD5 UPPER of ``action + token + sorted key=JSON(value) + secret``) and
the action's required params; answers are ``{"id","result","error":null}`` or
``{"error":{"code","message"}}``. Pushes are JSON POSTs signed over seven fields; the
reply must be ``{"message":"ok"}``; a push not acknowledged waits for
``getPushFailMsg``. ``/token`` refreshes the OAuth pair or exchanges a code from
``/authorize`` (the merchant "approves" at once).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from app.core.clock import LOCAL_TZ, Clock, SystemClock
from app.core.sandbox.sources.common import Call, Faults, Held, Log, PushSender, maybe_delay

SKEW_S = 600  # ASSUMED: INVALID_TIMESTAMP exists, the window is not documented
APP_LEVEL = frozenset({"eleme.msgNew.getPushFailMsg", "eleme.msgNew.confirmPullMsg"})
SYNC_ACTIONS = frozenset(
    {
        "eleme.order.startDeliveryBySelf",
        "eleme.order.completeDeliveryBySelf",
        "eleme.order.selfDeliveryStateSync",
        "eleme.order.selfDeliveryLocationSync",
    }
)
REQUIRED: dict[str, tuple[str, ...]] = {
    "eleme.order.getOrder": ("orderId",),
    "eleme.order.mgetOrders": ("orderIds",),
    "eleme.order.confirmOrderLite": ("orderId",),
    "eleme.order.cancelOrderLite": ("orderId", "type"),
    "eleme.order.deliveryBySelfLite": ("orderId",),
    "eleme.order.getUnprocessOrders": ("shopId",),
    "eleme.order.getCancelOrders": ("shopId",),
    "eleme.order.getRefundOrders": ("shopId",),
    "eleme.order.getAllOrders": ("shopId", "pageNo", "pageSize", "date"),
    "eleme.order.startDeliveryBySelf": ("orderId", "phone"),
    "eleme.order.completeDeliveryBySelf": ("orderId", "phone"),
    "eleme.order.selfDeliveryStateSync": ("shopId", "stateInfo"),
    "eleme.order.selfDeliveryLocationSync": ("shopId", "orderId", "locationInfo"),
    "eleme.msgNew.getPushFailMsg": (),
    "eleme.msgNew.confirmPullMsg": ("msgIds",),
}


class ElemeError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def request_signature(
    action: str, token: str, metas: dict[str, Any], params: dict[str, Any], secret: str
) -> str:
    merged = {**metas, **params}
    joined = "".join(f"{k}={_json(merged[k])}" for k in sorted(merged))
    return hashlib.md5(f"{action}{token}{joined}{secret}".encode()).hexdigest().upper()


def push_signature(doc: dict[str, Any], secret: str) -> str:
    keys = ("appId", "message", "requestId", "shopId", "timestamp", "type", "userId")
    plain = "".join(f"{k}={doc[k]}" for k in sorted(keys)) + secret
    return hashlib.md5(plain.encode()).hexdigest().upper()


@dataclass
class ElemeOrder:
    doc: dict[str, Any]
    cancel_requested: bool = False
    refund_applied: bool = False
    sync_states: list[str] = field(default_factory=list)  # action tails and states received


class ElemeSim:
    def __init__(
        self,
        *,
        app_id: int = 22954133,
        app_key: str = "rehearsal-eleme-key",
        secret: str = "rehearsal-eleme-secret",
        shop_id: int = 720032,
        access_token: str = "rehearsal-eleme-token",
        refresh_token: str = "rehearsal-eleme-refresh",
        clock: Clock | None = None,
        push_url: str = "",
        first_order_id: int = 3000000123456789012,
        first_request_id: int = 100000021764401594,
    ) -> None:
        self.app_id, self.app_key, self.secret, self.shop_id = app_id, app_key, secret, shop_id
        self.access_token, self.refresh_token = access_token, refresh_token
        self.token_expired = False
        self.codes: dict[str, str] = {}  # OAuth code -> the redirect address it was for
        self.clock = clock or SystemClock()
        self.push_url = push_url
        self.faults = Faults()
        self.log = Log()
        self.pusher = PushSender(self.faults, self.log, {"message": "ok"})
        self.orders: dict[str, ElemeOrder] = {}
        self._ids = itertools.count(first_order_id)
        self._req = itertools.count(first_request_id)  # a push's requestId (its dedupe key)
        self._day_sn: dict[str, int] = {}

    # ------------------------------------------------------------------ app
    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/v1/", self._handle)
        app.router.add_post("/api/v1", self._handle)
        app.router.add_post("/token", self._token)
        app.router.add_get("/authorize", self._authorize)
        return app

    async def _authorize(self, request: web.Request) -> web.Response:
        """The merchant approves at once: off to ``redirect_uri?code=…&state=…``."""
        q = request.query
        if q.get("response_type") != "code" or q.get("client_id") != self.app_key:
            return web.json_response({"error": "invalid_request"}, status=400)
        code = self.issue_code(q.get("redirect_uri", ""))
        target = (
            f"{q.get('redirect_uri', '')}?{urlencode({'code': code, 'state': q.get('state', '')})}"
        )
        raise web.HTTPFound(target)

    def issue_code(self, redirect_uri: str) -> str:
        """An authorisation code as /authorize would hand out (tests skip the browser)."""
        code = f"code-{next(self._ids) % 100000}"
        self.codes[code] = redirect_uri
        return code

    async def _handle(self, request: web.Request) -> web.Response:
        env = json.loads(await request.text())
        action = str(env.get("action", ""))
        if self.faults.server_errors > 0 or (
            action in SYNC_ACTIONS and self.faults.sync_server_errors > 0
        ):
            return self._server_error(action)
        if action in SYNC_ACTIONS:
            await maybe_delay(self.faults.sync_delay_s)
        try:
            self._check(env, action)
            result = self._dispatch(action, env["params"])
        except ElemeError as e:
            self.log.rejected.append((action, e.code))
            return web.json_response(
                {
                    "id": env.get("id"),
                    "result": None,
                    "error": {"code": e.code, "message": e.message},
                }
            )
        self.log.calls.append(Call(action, env["params"]))
        body = {"id": env.get("id"), "result": result, "error": None}
        return web.json_response(body, dumps=lambda v: json.dumps(v, ensure_ascii=False))

    def _server_error(self, action: str) -> web.Response:
        if self.faults.server_errors > 0:
            self.faults.server_errors -= 1
        else:
            self.faults.sync_server_errors -= 1
        self.log.rejected.append((action, "502"))
        return web.Response(status=502, text="bad gateway")

    def _check(self, env: dict[str, Any], action: str) -> None:
        metas, params = env.get("metas") or {}, env.get("params")
        if env.get("nop") != "1.0.0" or not env.get("id") or not isinstance(params, dict):
            raise ElemeError("ILLEGAL_REQUEST", "bad envelope")
        if self.faults.rate_limited > 0:
            self.faults.rate_limited -= 1
            raise ElemeError("EXCEED_LIMIT", "调用频率超过限制")
        if metas.get("app_key") != self.app_key:
            raise ElemeError("UNAUTHORIZED", "unknown app_key")
        if abs(int(metas.get("timestamp", 0)) - self.clock.now().timestamp()) > SKEW_S:
            raise ElemeError("INVALID_TIMESTAMP", "timestamp out of range")
        token = str(env.get("token", ""))
        if env.get("signature") != request_signature(action, token, metas, params, self.secret):
            raise ElemeError("INVALID_SIGNATURE", "signature mismatch")
        self._check_token(action, token)
        if action not in REQUIRED:
            raise ElemeError("METHOD_NOT_ALLOWED", action)
        missing = [k for k in REQUIRED[action] if params.get(k) in (None, "", [], {})]
        if missing:
            raise ElemeError("VALIDATION_FAILED", f"missing {missing}")

    def _check_token(self, action: str, token: str) -> None:
        if action in APP_LEVEL:
            if token:
                raise ElemeError("ILLEGAL_REQUEST", "app-level call takes an empty token")
        elif token != self.access_token or self.token_expired:
            raise ElemeError("UNAUTHORIZED", "token expired or invalid")

    # ------------------------------------------------------------------ API
    def _order(self, oid: object) -> ElemeOrder:
        if not isinstance(oid, str):  # 19 digits: always a string on the wire
            raise ElemeError("VALIDATION_FAILED", "orderId must be a string")
        order = self.orders.get(oid)
        if order is None:
            raise ElemeError("BIZ_ORDER_NOT_FOUND", "订单不存在")
        return order

    def _list(self, pred: Any) -> list[dict[str, Any]]:
        return [o.doc for o in self.orders.values() if pred(o)]

    def _dispatch(self, action: str, p: dict[str, Any]) -> Any:
        name = action.rsplit(".", 1)[1]
        if name == "getPushFailMsg":
            return {"list": [self._failed_message(h) for h in self.pusher.failed]}
        if name == "confirmPullMsg":
            acked = set(p["msgIds"])
            self.pusher.failed = [
                h for h in self.pusher.failed if h.fields["requestId"] not in acked
            ]
            return True
        if name == "getUnprocessOrders":
            return self._list(lambda o: o.doc["status"] == "unprocessed")
        if name == "getCancelOrders":
            return self._list(lambda o: o.cancel_requested)
        if name == "getRefundOrders":
            return self._list(lambda o: o.refund_applied)
        if name == "getAllOrders":
            return {"total": len(self.orders), "list": self._list(lambda o: True)}
        if name == "mgetOrders":
            return {oid: self._order(oid).doc for oid in p["orderIds"]}
        return self._order_action(name, p)

    def _order_action(self, name: str, p: dict[str, Any]) -> Any:
        if name in ("selfDeliveryStateSync",):
            order = self._order(p["stateInfo"].get("orderId"))
            order.sync_states.append(str(p["stateInfo"].get("state")))
            return None
        order = self._order(p["orderId"])
        if name == "getOrder":
            return order.doc
        if name == "confirmOrderLite":
            if order.doc["status"] == "invalid":
                raise ElemeError("BIZ_ORDER_STATUS", "订单已取消")
            order.doc["status"] = "valid"
        elif name == "cancelOrderLite":
            order.doc["status"] = "invalid"
        elif name == "selfDeliveryLocationSync":
            loc = p["locationInfo"]
            if not (3 < float(loc["latitude"]) < 54 and 73 < float(loc["longitude"]) < 136):
                raise ElemeError("VALIDATION_FAILED", "仅接受火星坐标系")
        order.sync_states.append(name)
        return None

    def _failed_message(self, held: Held) -> dict[str, Any]:
        return {**held.fields, "msgId": held.fields["requestId"]}

    async def _token(self, request: web.Request) -> web.Response:
        expected = base64.b64encode(f"{self.app_key}:{self.secret}".encode()).decode()
        form = await request.post()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return web.json_response({"error": "invalid_client"}, status=401)
        if form.get("grant_type") == "authorization_code":
            # OAuth code flow (§1; names as in the public SDKs): a code from /authorize,
            # once, for the same client and redirect address
            issued = self.codes.pop(str(form.get("code", "")), None)
            if (
                issued is None
                or form.get("client_id") != self.app_key
                or (issued != str(form.get("redirect_uri", "")))
            ):
                return web.json_response({"error": "invalid_grant"}, status=400)
        elif (
            form.get("grant_type") != "refresh_token"
            or form.get("refresh_token") != self.refresh_token
        ):
            return web.json_response({"error": "invalid_grant"}, status=400)
        n = next(self._ids) % 10000
        self.access_token, self.refresh_token = f"tok-{n}", f"ref-{n}"
        self.token_expired = False
        body = {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": 86400,
            "refresh_token": self.refresh_token,
        }
        return web.json_response(body)

    # ------------------------------------------------------------------ scenarios
    def new_order(self, **overrides: Any) -> str:
        """An effective (type 10) order; ``privacy``, ``book_ahead_s`` as options."""
        oid = str(overrides.pop("order_id", next(self._ids)))
        now = self.clock.now().astimezone(LOCAL_TZ)
        day = now.date().isoformat()
        self._day_sn[day] = self._day_sn.get(day, 0) + 1
        ahead = int(overrides.pop("book_ahead_s", 0))
        privacy = overrides.pop("privacy", False)
        doc: dict[str, Any] = {
            "id": oid,
            "orderId": oid,
            "shopId": self.shop_id,
            "daySn": self._day_sn[day],
            "status": "unprocessed",
            "refundStatus": "noRefund",
            "consignee": "饿了么 先生",
            "phoneList": ["13800001111,5678" if privacy else "13800001111"],
            "address": "望京SOHO T1 1001",
            "deliveryPoiAddress": "北京市朝阳区望京街10号",
            "deliveryGeo": "116.480881,39.989410",
            "book": bool(ahead),
            "deliverTime": _local(now + timedelta(seconds=ahead)) if ahead else None,
            "createdAt": _local(now),
            "activeAt": _local(now),
            "totalPrice": 42.3,
            "deliverFee": 4.0,
            "packageFee": 1.0,
            "description": "不要香菜",
            "groups": [
                {
                    "name": "1号篮子",
                    "type": "normal",
                    "items": [
                        {"id": 11, "skuId": 20001, "name": "牛肉面", "price": 22.5, "quantity": 2}
                    ],
                }
            ],
        }
        if privacy:
            doc["secretPhoneExpireTime"] = _local(now + timedelta(hours=3))
        doc.update(overrides)
        self.orders[oid] = ElemeOrder(doc)
        return oid

    def user_cancel(self, oid: str) -> tuple[int, dict[str, Any]]:
        order = self.orders[oid]
        order.cancel_requested = True
        order.doc["status"] = "invalid"
        return 14, {
            "orderId": oid,
            "state": "invalid",
            "role": 1,
            "updateTime": int(self.clock.now().timestamp()),
        }

    def refund_apply(self, oid: str) -> tuple[int, dict[str, Any]]:
        order = self.orders[oid]
        order.refund_applied = True
        order.doc["refundStatus"] = "applied"
        return 30, {"orderId": oid, "refundStatus": "applied"}

    # ------------------------------------------------------------------ pushes
    async def push(self, mtype: int, message: dict[str, Any]) -> bool:
        doc: dict[str, Any] = {
            "requestId": str(next(self._req)),
            "type": mtype,
            "appId": self.app_id,
            "message": _json(message),
            "shopId": self.shop_id,
            "timestamp": int(self.clock.now().timestamp() * 1000),
            "userId": 98587250597500702,
        }
        doc["signature"] = push_signature(doc, self.secret)
        held = Held(self.push_url, str(mtype), _json(doc).encode(), "application/json", doc)
        return await self.pusher.send(held)

    async def push_new_order(self, oid: str) -> bool:
        return await self.push(10, self.orders[oid].doc)


def _local(moment: Any) -> str:
    return str(moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M:%S"))
