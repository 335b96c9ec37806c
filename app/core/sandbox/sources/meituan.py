"""美团外卖 waimaiopen simulator, written from shared/sources/meituan_waimai.md.

API: ``/api/v1/<path>``, GET (everything in the query) or POST (system params + ``sig``
in the query, business params in a form). Every call is checked: ``app_id``,
``timestamp``, ``sig`` (MD5 of ``<URL as called>?<sorted k=v&...><secret>``) and the
path's required fields; answers use ``{"data": ...}`` and ``{"data":"ng","error":{}}``.
Pushes are form POSTs to ``push_base_url/<kind>`` signed over that URL; the reply must
be ``{"data":"ok"}``. Orders get a ``day_seq`` per business day (Asia/Shanghai) that
restarts at 1 after midnight.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from app.core.clock import LOCAL_TZ, Clock, SystemClock
from app.core.sandbox.sources.common import Call, Faults, Held, Log, PushSender, maybe_delay

OK = {"data": "ok"}
# ASSUMED: error codes are not in the notes; the simulator picks these
SIG_ERROR = (703, "签名验证错误")
RATE_ERROR = (711, "接口调用过于频繁")
NOT_FOUND = (808, "订单不存在")
PARAM_ERROR = (700, "参数错误")

REQUIRED: dict[str, tuple[str, ...]] = {
    "order/confirm": ("order_id",),
    "order/cancel": ("order_id", "reason", "reason_code"),
    "order/getOrderDetail": ("order_id",),
    "order/viewstatus": ("order_id",),
    "order/getOrderDaySeq": ("app_poi_code",),
    "order/getOrderIdByDaySeq": ("app_poi_code", "date_time", "day_seq"),
    "order/delivering": ("order_id",),
    "order/arrived": ("order_id",),
    "order/logistics/change/poi_self": ("order_id",),
    "ecommerce/order/logistics/sync": (
        "order_id",
        "third_carrier_order_id",
        "courier_name",
        "courier_phone",
        "logistics_provider_code",
        "logistics_status",
        "latitude",
        "longitude",
    ),
}
SYNC_PATHS = frozenset({"ecommerce/order/logistics/sync", "order/delivering", "order/arrived"})
LOGISTICS_STATUS = frozenset({0, 1, 5, 10, 15, 20, 40, 100})
PROVIDERS = frozenset(range(10001, 10018)) | {10032}


class MtError(Exception):
    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code, self.msg = code, msg


def md5_sig(url: str, params: dict[str, str], secret: str) -> str:
    joined = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sig")
    return hashlib.md5(f"{url}?{joined}{secret}".encode()).hexdigest()


@dataclass
class MtOrder:
    fields: dict[str, Any]
    syncs: list[int] = field(default_factory=list)  # logistics_status values received


class MeituanSim:
    """One app bound to one store (``app_poi_code``)."""

    def __init__(
        self,
        *,
        app_id: str = "1000",
        secret: str = "rehearsal-mt-wm-secret",
        app_poi_code: str = "S001",
        clock: Clock | None = None,
        push_base_url: str = "",
        sig_mode: str = "once",  # "full": values double-encoded on the wire (F's dump)
        first_order_id: int = 27061900338318741,
    ) -> None:
        self.app_id, self.secret, self.poi = app_id, secret, app_poi_code
        self.clock = clock or SystemClock()
        self.push_base_url = push_base_url
        self.sig_mode = sig_mode
        self.faults = Faults()
        self.log = Log()
        self.pusher = PushSender(self.faults, self.log, {"data": "ok"})
        self.orders: dict[str, MtOrder] = {}
        self.day_seqs: dict[date, list[str]] = {}
        self._next_id = first_order_id

    # ------------------------------------------------------------------ app
    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/v1/{path:.+}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        params = dict(request.query)
        if request.method == "POST":
            params.update({k: str(v) for k, v in (await request.post()).items()})
        if self.faults.server_errors > 0 or (
            path in SYNC_PATHS and self.faults.sync_server_errors > 0
        ):
            return self._server_error(path)
        if path in SYNC_PATHS:
            await maybe_delay(self.faults.sync_delay_s)
        try:
            self._check(str(request.url.with_query(None)), path, params)
            data = self._dispatch(path, params)
        except MtError as e:
            self.log.rejected.append((path, e.msg))
            body = {"data": "ng", "error": {"code": e.code, "msg": e.msg}}
            return web.json_response(body, dumps=_dumps)
        self.log.calls.append(Call(path, params))
        return web.json_response({"data": data}, dumps=_dumps)

    def _server_error(self, path: str) -> web.Response:
        if self.faults.server_errors > 0:
            self.faults.server_errors -= 1
        else:
            self.faults.sync_server_errors -= 1
        self.log.rejected.append((path, "502"))
        return web.Response(
            status=502, text="<html>502 Bad Gateway</html>", content_type="text/html"
        )

    def _check(self, url: str, path: str, params: dict[str, str]) -> None:
        if self.faults.rate_limited > 0:
            self.faults.rate_limited -= 1
            raise MtError(*RATE_ERROR)
        if params.get("app_id") != self.app_id or not params.get("timestamp", "").isdigit():
            raise MtError(*PARAM_ERROR)
        if params.get("sig") != md5_sig(url, params, self.secret):
            raise MtError(*SIG_ERROR)
        missing = [k for k in REQUIRED.get(path, ()) if not params.get(k)]
        if missing or path not in REQUIRED:
            raise MtError(PARAM_ERROR[0], f"缺少参数 {missing}" if missing else f"未知接口 {path}")

    # ------------------------------------------------------------------ API
    def _order(self, params: dict[str, str]) -> MtOrder:
        order = self.orders.get(params["order_id"])
        if order is None:
            raise MtError(*NOT_FOUND)
        return order

    def _dispatch(self, path: str, params: dict[str, str]) -> Any:
        if path == "order/getOrderDaySeq":
            return {"day_seq": len(self.day_seqs.get(self.today(), []))}
        if path == "order/getOrderIdByDaySeq":
            return {"order_id": int(self._id_by_seq(params))}
        order = self._order(params)
        if path == "order/getOrderDetail":
            return _typed(order.fields)
        if path == "order/viewstatus":
            return {"status": int(order.fields["status"])}
        if path == "order/confirm":
            if int(order.fields["status"]) == 9:
                raise MtError(PARAM_ERROR[0], "订单已取消")
            order.fields["status"] = 4
            return "ok"
        if path == "order/cancel":
            order.fields["status"] = 9
            return "ok"
        if path == "ecommerce/order/logistics/sync":
            return self._sync(order, params)
        return "ok"  # delivering / arrived / poi_self

    def _id_by_seq(self, params: dict[str, str]) -> str:
        ymd = params["date_time"]
        day = date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:8]))
        seqs = self.day_seqs.get(day, [])
        n = int(params["day_seq"])
        if params["app_poi_code"] != self.poi or not 1 <= n <= len(seqs):
            raise MtError(*NOT_FOUND)
        return seqs[n - 1]

    def _sync(self, order: MtOrder, params: dict[str, str]) -> str:
        status = int(params["logistics_status"])
        if self.faults.sync_refused > 0:
            self.faults.sync_refused -= 1
            raise MtError(PARAM_ERROR[0], "订单当前状态不允许同步配送信息")
        if status not in LOGISTICS_STATUS:
            raise MtError(PARAM_ERROR[0], f"logistics_status {status} 非法")
        if int(params["logistics_provider_code"]) not in PROVIDERS:
            raise MtError(PARAM_ERROR[0], "logistics_provider_code 非法")
        lat, lng = float(params["latitude"]), float(params["longitude"])
        if not (3 < lat < 54 and 73 < lng < 136):  # degrees in China, GCJ-02
            raise MtError(PARAM_ERROR[0], "坐标非法")
        order.syncs.append(status)
        return "ok"

    # ------------------------------------------------------------------ scenarios
    def today(self) -> date:
        return self.clock.now().astimezone(LOCAL_TZ).date()

    def new_order(self, **overrides: Any) -> str:
        """A paid order for today; returns its id. ``privacy=True`` gives virtual numbers,
        ``reservation_s`` a delivery time, ``logistics_code`` the delivery type."""
        oid = str(overrides.pop("order_id", self._next_id))
        self._next_id += 1
        seqs = self.day_seqs.setdefault(self.today(), [])
        seqs.append(oid)
        self.orders[oid] = MtOrder(self._fields(oid, len(seqs), overrides))
        return oid

    def _fields(self, oid: str, day_seq: int, over: dict[str, Any]) -> dict[str, Any]:
        now = int(self.clock.now().timestamp())
        privacy = over.pop("privacy", False)
        ahead = int(over.pop("reservation_s", 0))
        phone = "13812345678_1234" if privacy else "13812345678"
        detail = [{"food_name": "宫保鸡丁", "quantity": 2, "price": 16.0, "cart_id": 0}]
        fields: dict[str, Any] = {
            "app_id": self.app_id,
            "app_poi_code": self.poi,
            "order_id": oid,
            "wm_order_id_view": oid,
            "day_seq": day_seq,
            "status": 2,
            "ctime": now,
            "utime": now,
            "delivery_time": now + ahead if ahead else 0,
            "pick_type": 0,
            "logistics_code": "0000",
            "recipient_name": "陆(先生)",
            "recipient_phone": phone,
            "backup_recipient_phone": json.dumps(["13812345679_5678"] if privacy else []),
            "recipient_address": "建国路88号@#北京市朝阳区建国路88号",
            "latitude": 39907500,
            "longitude": 116460000,
            "total": 38.5,
            "original_price": 45.0,
            "shipping_fee": 5.0,
            "package_bag_money": 150,
            "detail": json.dumps(detail, ensure_ascii=False),
            "caution": "少放辣",
            "incmp_code": 0,
        }
        fields.update(over)
        return fields

    def user_cancel(self, oid: str, reason_code: int = 1102) -> dict[str, Any]:
        self.orders[oid].fields["status"] = 9
        return {
            "order_id": oid,
            "reason_code": reason_code,
            "reason": "用户取消",
            "deal_op_type": 1,
        }

    def refund(self, oid: str, notify_type: str = "apply") -> dict[str, Any]:
        if notify_type == "agree":
            self.orders[oid].fields["status"] = 9
        return {"order_id": oid, "notify_type": notify_type, "refund_id": 1, "res_type": 0}

    # ------------------------------------------------------------------ pushes
    def order_push_fields(self, oid: str) -> dict[str, Any]:
        return dict(self.orders[oid].fields)

    async def push(self, kind: str, fields: dict[str, Any]) -> bool:
        """Sign and send one push to ``push_base_url/<kind>``; True if answered ok."""
        url = self.push_base_url.rstrip("/") + "/" + kind
        values = {k: str(v) for k, v in fields.items()}
        values.setdefault("app_id", self.app_id)
        values["timestamp"] = str(int(self.clock.now().timestamp()))
        sig = md5_sig(url, values, self.secret)
        wire = (
            values if self.sig_mode == "once" else {k: quote(v, safe="") for k, v in values.items()}
        )
        body = urlencode({**wire, "sig": sig}).encode()
        held = Held(url, kind, body, "application/x-www-form-urlencoded", values)
        return await self.pusher.send(held)

    async def push_order(self, oid: str, kind: str = "order") -> bool:
        return await self.push(kind, self.order_push_fields(oid))


def _typed(fields: dict[str, Any]) -> dict[str, Any]:
    """A detail answer: JSON numbers where the push has strings; big ids as numbers."""
    out = dict(fields)
    out["order_id"] = int(fields["order_id"])
    out["wm_order_id_view"] = int(fields["wm_order_id_view"])
    return out


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
