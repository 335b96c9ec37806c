"""DoorDash Drive v2 sandbox: REST paths under ``/drive/v2`` over the shared engine.

Every request must carry ``Authorization: Bearer <JWT>``; the JWT is verified with this
module's own reading of doordash.md §2 (HS256, header ``dd-ver: DD-JWT-V1``, ``aud``
doordash, ``iss``/``kid`` = the rehearsal developer and key ids, unexpired, HMAC keyed by
the base64url-decoded signing secret). Errors are HTTP statuses with
``{code, message, field_errors}``. Money is integer cents, coordinates WGS-84.

The disputed facts can be played either way (``POST /__sandbox/variant``
``{carrier: doordash, name, value}``):
``secret_decoding`` "base64url" | "raw"; ``cancel_fee_field`` — the cancel answer's
field carrying the charged fee ("fee", or e.g. "cancellation_fee"); ``currency`` of
the answers ("" = CNY inside China, USD elsewhere).
The quote request has no pickup coordinates: the sandbox puts the store 2 km north-west
of the drop-off (it geocodes nothing).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from aiohttp import web

from app.core.carriers.doordash.rules import RULES
from app.core.geo import gcj02_to_wgs84, wgs84_to_gcj02
from app.core.sandbox.engine import SandboxEngine, SimOrder, SimState, Snapshot
from app.core.sandbox.front import Fail, Front, Handler, Op, Push, current_fault

CARRIER = "doordash"
CREDS = RULES.rehearsal_credentials
CALLBACK_HEADER = "X-Sandbox-Callback-Url"
CANCELLABLE = {SimState.PENDING, SimState.ACCEPTED, SimState.AT_PICKUP}
STATUS = {
    SimState.PENDING: "created",
    SimState.ACCEPTED: "enroute_to_pickup",
    SimState.AT_PICKUP: "arrived_at_pickup",
    SimState.PICKED_UP: "enroute_to_dropoff",
    SimState.AT_DROPOFF: "arrived_at_dropoff",
    SimState.DELIVERED: "delivered",
    SimState.CANCELLED: "cancelled",
    SimState.RETURNING: "enroute_to_return",
    SimState.RETURNED: "returned",
}
EVENT = {
    "enroute_to_pickup": "DASHER_CONFIRMED",
    "arrived_at_pickup": "DASHER_CONFIRMED_PICKUP_ARRIVAL",
    "enroute_to_dropoff": "DASHER_PICKED_UP",
    "arrived_at_dropoff": "DASHER_CONFIRMED_DROPOFF_ARRIVAL",
    "delivered": "DASHER_DROPPED_OFF",
    "enroute_to_return": "DELIVERY_RETURN_INITIALIZED",
    "returned": "DELIVERY_RETURNED",
    "cancelled": "DELIVERY_CANCELLED",
}
P = "/drive/v2"
# the disputed facts this sandbox can play (POST /__sandbox/variant), and their defaults
VARIANTS = {"secret_decoding": "base64url", "cancel_fee_field": "fee", "currency": ""}


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _iso(engine: SandboxEngine, sim_t: float) -> str:
    return engine.wall(sim_t).strftime("%Y-%m-%dT%H:%M:%SZ")


def verify_jwt(authorization: str, decoding: str, now: float | None = None) -> dict[str, Any]:
    """The JWT's claims, or ``Fail(401, ...)``."""
    if not authorization.startswith("Bearer "):
        raise Fail(401, "Missing Bearer token")
    parts = authorization[7:].strip().split(".")
    if len(parts) != 3:
        raise Fail(401, "Malformed JWT")
    try:
        header = json.loads(_unb64(parts[0]))
        claims = json.loads(_unb64(parts[1]))
        sig = _unb64(parts[2])
    except ValueError:
        raise Fail(401, "Malformed JWT") from None
    if header.get("alg") != "HS256" or header.get("dd-ver") != "DD-JWT-V1":
        raise Fail(401, "Unsupported JWT header")
    secret = CREDS["signing_secret"]
    key = secret.encode() if decoding == "raw" else _unb64(secret)
    want = hmac.new(key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(want, sig):
        raise Fail(401, "Invalid JWT signature")
    if claims.get("aud") != "doordash":
        raise Fail(401, "Invalid audience")
    if claims.get("iss") != CREDS["developer_id"] or claims.get("kid") != CREDS["key_id"]:
        raise Fail(401, "Unknown developer or key")
    t = time.time() if now is None else now
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp < t or exp - t > 1800 + 60:
        raise Fail(401, "JWT expired or exp too far ahead")
    return dict(claims)


def _need(body: dict[str, Any], *keys: str) -> None:
    missing = [k for k in keys if body.get(k) in (None, "")]
    if missing:
        raise Fail(400, "validation_error|" + ",".join(missing))


class DoorDashFront(Front):
    carrier = CARRIER
    faults = {"auth": (401, "Invalid JWT signature"), "rate_limit": (429, "Too many requests")}
    bad_input = (400, "validation_error")

    def __init__(self, engine: SandboxEngine) -> None:
        super().__init__(engine)
        self.quoted: dict[str, str] = {}  # external_delivery_id -> engine quote token

    def variant(self, name: str) -> str:
        return self.engine.variant(CARRIER, name, VARIANTS[name])

    # ------------------------------------------------------------ protocol
    def routes(self) -> dict[str, tuple[str, Op]]:
        return {}  # REST verbs: see make_app

    def make_app(self) -> web.Application:
        app = web.Application()
        table: list[tuple[str, str, str, Op]] = [
            ("POST", P + "/quotes", "quote", self.method("quote")),
            ("POST", P + "/quotes/{id}/accept", "create", self.method("accept")),
            ("POST", P + "/deliveries", "create", self.method("create")),
            ("GET", P + "/deliveries/{id}", "query", self.method("get")),
            ("PATCH", P + "/deliveries/{id}", "update", self.method("update")),
            ("PUT", P + "/deliveries/{id}/cancel", "cancel", self.method("cancel")),
        ]
        for verb, path, op, fn in table:
            h: Handler = self.handler(op, fn)
            app.router.add_route(verb, path, h)
        return app

    async def verify(self, request: web.Request) -> Any:
        verify_jwt(request.headers.get("Authorization", ""), self.variant("secret_decoding"))
        raw = await request.read()
        doc: dict[str, Any] = {}
        if raw:
            parsed = json.loads(raw)
            if not isinstance(parsed, dict):
                raise Fail(400, "validation_error|body must be an object")
            doc = parsed
        return doc, request

    def reply(self, result: Any) -> web.Response:
        return web.json_response(result)

    def error(self, code: object, msg: str) -> web.Response:
        status = int(str(code))
        name, _, fields = msg.partition("|")
        body: dict[str, Any] = {"code": name.replace(" ", "_").lower()[:40], "message": name}
        if fields:
            body["field_errors"] = [{"field": f, "error": "required"} for f in fields.split(",")]
        return web.json_response(body, status=status)

    # ------------------------------------------------------------ operations
    def _currency(self, point: tuple[float, float]) -> str:
        """The business's currency: the variant, else by place (CNY inside China, so a
        rehearsal store in China that enabled DoorDash still runs; USD elsewhere)."""
        if self.variant("currency"):
            return self.variant("currency")
        return "USD" if wgs84_to_gcj02(*point) == point else "CNY"

    def _order(self, request: web.Request) -> SimOrder:
        o = self.engine.find(CARRIER, request.match_info["id"])
        if o is None:
            raise Fail(404, "Delivery not found")
        return o

    def delivery(self, o: SimOrder, snap: Snapshot) -> dict[str, Any]:
        e = self.engine
        status = STATUS[snap.state]
        d: dict[str, Any] = {
            "external_delivery_id": o.key,
            "delivery_status": status,
            "fee": o.fee_fen,
            "currency": self._currency(o.dst),
            "tip": o.tip_fen,
            "tracking_url": f"https://track.sandbox.doordash.invalid/{o.carrier_order_id}",
            "support_reference": o.carrier_order_id,
            "updated_at": _iso(e, max(snap.times.values())),
        }
        if snap.rider:
            d["dasher_id"] = int(o.carrier_order_id[-5:])
            d["dasher_name"] = snap.rider[0]
            d["dasher_dropoff_phone_number"] = "+1" + snap.rider[1][-10:]
        if snap.position:
            lat, lng = gcj02_to_wgs84(*snap.position)
            d["dasher_location"] = {"lat": round(lat, 6), "lng": round(lng, 6)}
        if snap.state is SimState.DELIVERED:
            d["dropoff_time_actual"] = _iso(e, snap.times[SimState.DELIVERED])
        if snap.state is SimState.CANCELLED:
            reason = "cancelled_by_creator" if snap.cancelled_by == "merchant" else ""
            d["cancellation_reason"] = reason or "failed_to_assign_and_refunded"
            field = self.variant("cancel_fee_field")
            if field == "fee":
                d["fee"] = snap.cancel_fee_fen
            elif field:
                d[field] = snap.cancel_fee_fen
        return d

    def quote(self, body: dict[str, Any], request: web.Request) -> dict[str, Any]:
        _need(body, "external_delivery_id", "pickup_address", "dropoff_address",
              "dropoff_phone_number")  # fmt: skip
        key = str(body["external_delivery_id"])
        if self.engine.find(CARRIER, key) is not None:
            raise Fail(409, "Duplicate delivery ID")
        loc = body.get("dropoff_location") or {}
        if not isinstance(loc, dict) or "lat" not in loc:
            raise Fail(400, "validation_error|dropoff_location")
        dst = wgs84_to_gcj02(float(loc["lat"]), float(loc["lng"]))
        src = (dst[0] + 0.0127, dst[1] - 0.0127)
        q = self.engine.quote(CARRIER, src, dst, 1000, ttl_s=RULES.quote_ttl_s or 300)
        self.quoted[key] = q.token
        return {
            "external_delivery_id": key,
            "delivery_status": "quote",
            "fee": q.fee_fen,
            "currency": self._currency(dst),
            "expires_at": _iso(self.engine, q.expires_at),
            "dropoff_time_estimated": _iso(self.engine, self.engine.now() + q.delivery_eta_s),
        }

    def _place(self, key: str, token: str, request: web.Request, tip: int) -> dict[str, Any]:
        q = self.engine.quote_valid(token)
        if q is None:
            raise Fail(400, "Quote has expired")
        if current_fault() == "balance":
            raise Fail(400, "failed_to_process_payment")
        o, created = self.engine.create(
            CARRIER,
            key,
            src=q.src,
            dst=q.dst,
            fee_fen=q.fee_fen,
            distance_m=q.distance_m,
            callback_url=request.headers.get(CALLBACK_HEADER, ""),
        )
        if not created:
            raise Fail(409, "Duplicate delivery ID")
        if tip:
            self.engine.tip(o, tip, replace=True)
        return self.delivery(o, self.engine.snapshot(o))

    def accept(self, body: dict[str, Any], request: web.Request) -> dict[str, Any]:
        key = request.match_info["id"]
        if self.engine.find(CARRIER, key) is not None:
            raise Fail(409, "Duplicate delivery ID")
        token = self.quoted.get(key)
        if token is None:
            raise Fail(404, "Quote not found")
        tip = body.get("tip", 0)
        if not isinstance(tip, int) or tip < 0:
            raise Fail(400, "validation_error|tip")
        return self._place(key, token, request, tip)

    def create(self, body: dict[str, Any], request: web.Request) -> dict[str, Any]:
        self.quote(body, request)
        key = str(body["external_delivery_id"])
        return self._place(key, self.quoted[key], request, int(body.get("tip") or 0))

    def get(self, body: dict[str, Any], request: web.Request) -> dict[str, Any]:
        o = self._order(request)
        return self.delivery(o, self.engine.snapshot(o))

    def update(self, body: dict[str, Any], request: web.Request) -> dict[str, Any]:
        o = self._order(request)
        snap = self.engine.snapshot(o)
        if snap.state in (SimState.DELIVERED, SimState.CANCELLED, SimState.RETURNED):
            raise Fail(400, "Delivery can no longer be updated")
        if "tip" in body:
            tip = body["tip"]
            if not isinstance(tip, int) or tip < o.tip_fen:
                raise Fail(400, "validation_error|tip")
            self.engine.tip(o, tip, replace=True)
        return self.delivery(o, self.engine.snapshot(o))

    def cancel(self, body: dict[str, Any], request: web.Request) -> dict[str, Any]:
        o = self._order(request)
        if self.engine.snapshot(o).state not in CANCELLABLE:
            raise Fail(400, "Delivery cannot be cancelled")
        self.engine.cancel(o, by="merchant")
        return self.delivery(o, self.engine.snapshot(o))


def make_app(engine: SandboxEngine) -> web.Application:
    return DoorDashFront(engine).make_app()


def callback_payload(engine: SandboxEngine, order: SimOrder, snap: Snapshot) -> Push | None:
    """A Drive webhook: the delivery object plus ``event_name``, plain JSON."""
    if not order.callback_url:
        return None
    d = DoorDashFront(engine).delivery(order, snap)
    event = EVENT.get(d["delivery_status"])
    if event is None:
        return None
    body = json.dumps({**d, "event_name": event}).encode()
    headers = {"Content-Type": "application/json", "Authorization": CREDS["webhook_auth"]}
    return order.callback_url, headers, body
