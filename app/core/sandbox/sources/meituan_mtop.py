"""美团 MTOp (技术服务合作中心) simulator, written from shared/sources/meituan_waimai.md §3b/§7.

Every call is a form POST with ``developerId, timestamp, charset, version, businessId,
appAuthToken, biz`` (JSON text) and ``sign`` = SHA-1 of ``signKey + sorted k+v``. It
checks the sign, the store token, and the fields ``riderPosition`` requires (businessId
16: all but ``thirdCarrierId``/``courierPhoneType``). Answers ``{"code":"OP_SUCCESS"}``.
Pushes are forms with ``developerId, ePoiId, message, timestamp, sign`` (ASSUMED: signed
like calls); the reply must be ``{"data":"OK"}`` (any case).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from app.core.clock import Clock, SystemClock
from app.core.sandbox.sources.common import Call, Faults, Held, Log, PushSender

ENVELOPE = ("developerId", "timestamp", "charset", "version", "businessId", "appAuthToken", "biz")
RIDER_REQUIRED = (
    "orderId",
    "logisticsStatus",
    "courierName",
    "courierPhone",
    "thirdLogisticsId",
    "latitude",
    "longitude",
    "backFlowTime",
)
PATH_BUSINESS = {
    "waimai/order/confirm": 2,
    "waimai/order/cancel": 2,
    "waimai/order/riderPosition": 2,
    "wmoper/ng/order/riderPosition": 16,
}


def sha1_sign(sign_key: str, params: dict[str, str]) -> str:
    plain = sign_key + "".join(f"{k}{params[k]}" for k in sorted(params) if k != "sign")
    return hashlib.sha1(plain.encode()).hexdigest()


class MtopError(Exception):
    def __init__(self, code: str, msg: str) -> None:
        super().__init__(msg)
        self.code, self.msg = code, msg


class MtopSim:
    def __init__(
        self,
        *,
        developer_id: str = "100000",
        sign_key: str = "rehearsal-mtop-sign-key",
        app_auth_token: str = "rehearsal-mtop-token",
        e_poi_id: str = "S001",
        clock: Clock | None = None,
        push_url: str = "",
    ) -> None:
        self.developer_id, self.sign_key = developer_id, sign_key
        self.token, self.e_poi_id = app_auth_token, e_poi_id
        self.clock = clock or SystemClock()
        self.push_url = push_url
        self.faults = Faults()
        self.log = Log()
        self.pusher = PushSender(self.faults, self.log, {"data": "ok"})
        self.confirmed: set[int] = set()
        self.positions: list[dict[str, Any]] = []

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/{path:.+}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        form = {k: str(v) for k, v in (await request.post()).items()}
        try:
            biz = self._check(path, form)
            data = self._dispatch(path, biz)
        except MtopError as e:
            self.log.rejected.append((path, e.code))
            return web.json_response({"code": e.code, "msg": e.msg, "data": None})
        self.log.calls.append(Call(path, biz))
        return web.json_response({"code": "OP_SUCCESS", "msg": "成功", "data": data})

    def _check(self, path: str, form: dict[str, str]) -> dict[str, Any]:
        missing = [k for k in (*ENVELOPE, "sign") if not form.get(k)]
        if missing:
            raise MtopError("OP_PARAM_ERROR", f"缺少参数 {missing}")
        if form["sign"] != sha1_sign(self.sign_key, form):
            raise MtopError("OP_SIGN_ERROR", "sign error")
        if form["developerId"] != self.developer_id or form["appAuthToken"] != self.token:
            raise MtopError("OP_TOKEN_ERROR", "token error")
        if PATH_BUSINESS.get(path) != int(form["businessId"]):
            raise MtopError("OP_PARAM_ERROR", f"{path} not in businessId {form['businessId']}")
        biz = json.loads(form["biz"])
        if not isinstance(biz, dict):
            raise MtopError("OP_PARAM_ERROR", "biz must be a JSON object")
        return biz

    def _dispatch(self, path: str, biz: dict[str, Any]) -> Any:
        if path.endswith("riderPosition"):
            required = RIDER_REQUIRED if path.startswith("wmoper") else ("orderId",)
            missing = [k for k in required if biz.get(k) in (None, "")]
            if missing or int(biz.get("logisticsStatus", -1)) not in (0, 10, 15, 20, 40, 100):
                raise MtopError("OP_PARAM_ERROR", f"riderPosition 参数错误 {missing}")
            self.positions.append(biz)
            return "ok"
        if not isinstance(biz.get("orderId"), int):
            raise MtopError("OP_PARAM_ERROR", "orderId must be a Long")
        if path.endswith("confirm"):
            self.confirmed.add(biz["orderId"])
        return "ok"

    async def push(self, message: dict[str, Any] | None) -> bool:
        """A signed order push, or a heartbeat when ``message`` is None."""
        form: dict[str, str] = {}
        if message is not None:
            form = {
                "developerId": self.developer_id,
                "ePoiId": self.e_poi_id,
                "message": json.dumps(message, ensure_ascii=False),
                "timestamp": str(int(self.clock.now().timestamp())),
            }
            form["sign"] = sha1_sign(self.sign_key, form)
        body = urlencode(form).encode()
        held = Held(self.push_url, "mtop", body, "application/x-www-form-urlencoded", form)
        return await self.pusher.send(held)
