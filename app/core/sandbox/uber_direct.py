"""Uber Direct sandbox: OAuth ``/oauth/v2/token`` (client credentials, form-encoded)
issuing bearer tokens it then verifies, and the REST deliveries API under
``/v1/customers/{customer_id}`` over the shared engine. Errors are HTTP status +
``{"code", "message"}``; coordinates arrive WGS-84 and are kept GCJ-02 in the engine.

The disputed facts it can play (``POST /__sandbox/variant``, ``VARIANTS``):
``cancel_fee_field``, the field the cancel answer names its fee in ("" = none at all);
``currency``, the account's currency (default by place: cny inside China, usd elsewhere);
``address_format``: "structured" refuses one-line addresses ("any" takes both).
``POST /uber_direct/__control {"revoke_tokens": true}`` forgets every issued token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web

from app.core.carriers.uber_direct.rules import RULES
from app.core.geo import wgs84_to_gcj02
from app.core.sandbox.engine import SandboxEngine, SimOrder, SimState, Snapshot
from app.core.sandbox.front import Fail, Front, Op, Push

CARRIER = "uber_direct"
CREDS = RULES.rehearsal_credentials
TOKEN_TTL_S = 2592000  # 30 days
HTTP_OF = {
    "unauthorized": 401,
    "invalid_client": 401,
    "customer_limited": 429,
    "customer_suspended": 402,
    "delivery_not_found": 404,
    "not_found": 404,
}
STATUS_OF: dict[SimState, tuple[str, bool]] = {
    SimState.PENDING: ("pending", False),
    SimState.ACCEPTED: ("pickup", False),
    SimState.AT_PICKUP: ("pickup", True),
    SimState.PICKED_UP: ("dropoff", False),
    SimState.AT_DROPOFF: ("dropoff", True),
    SimState.DELIVERED: ("delivered", False),
    SimState.CANCELLED: ("canceled", False),
    SimState.RETURNING: ("canceled", False),
    SimState.RETURNED: ("returned", False),
}
# the disputed facts this sandbox can play (POST /__sandbox/variant), and their defaults
VARIANTS = {"cancel_fee_field": "cancelation_fee", "currency": "", "address_format": "any"}
# a 1x1 PNG: the "picture" proof of delivery
PROOF_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def _iso(engine: SandboxEngine, t: float | None = None) -> str:
    return engine.wall(t).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _currency(engine: SandboxEngine, src: tuple[float, float]) -> str:
    """The account's currency (lower case, as Uber's examples): the variant, else by
    place, so a rehearsal store in China that enabled Uber Direct still runs."""
    given = engine.variant(CARRIER, "currency", VARIANTS["currency"])
    return given or ("usd" if wgs84_to_gcj02(*src) == src else "cny")


class UberDirect(Front):
    carrier = CARRIER
    faults = {
        "auth": ("unauthorized", "The supplied bearer token is invalid."),
        "rate_limit": ("customer_limited", "Too many requests."),
        "balance": ("customer_suspended", "The customer's account cannot be charged."),
    }
    bad_input = ("invalid_params", "The parameters of your request were invalid.")

    def __init__(self, engine: SandboxEngine) -> None:
        super().__init__(engine)
        self.tokens: set[str] = set()

    # ------------------------------------------------------------ protocol
    def routes(self) -> Mapping[str, tuple[str, Op]]:
        base = "/v1/customers/{customer_id}"
        return {
            "/oauth/v2/token": ("token", self._token),
            base + "/delivery_quotes": ("quote", self.method("_quote")),
            base + "/deliveries": ("create", self.method("_create")),
            base + "/deliveries/{delivery_id}/cancel": ("cancel", self.method("_cancel")),
            base + "/deliveries/{delivery_id}/proof-of-delivery": (
                "proof",
                self.method("_proof"),
            ),
        }

    def extra_routes(self, app: web.Application) -> None:
        base = "/v1/customers/{customer_id}"
        app.router.add_get(base + "/deliveries", self.handler("list", self.method("_list")))
        app.router.add_get(
            base + "/deliveries/{delivery_id}", self.handler("query", self.method("_get"))
        )

        async def control(request: web.Request) -> web.Response:
            body = await request.json()
            if body.get("revoke_tokens"):
                self.tokens.clear()
            return web.json_response({"tokens": len(self.tokens)})

        app.router.add_post("/__control", control)

    async def verify(self, request: web.Request) -> Any:
        if request.path.endswith("/oauth/v2/token"):
            return await self._form(request)
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            raise Fail("unauthorized", "The supplied bearer token is invalid.")
        if request.match_info.get("customer_id") != CREDS["customer_id"]:
            raise Fail("unauthorized", "customer_id does not belong to this application")
        doc: dict[str, Any] = {}
        if request.method == "POST":
            doc = json.loads(await request.read() or b"{}")
            if request.content_type != "application/json":
                raise Fail("invalid_params", "Content-Type must be application/json")
        return doc, request

    def reply(self, result: Any) -> web.StreamResponse:
        return web.json_response(result)

    def error(self, code: object, msg: str) -> web.StreamResponse:
        status = HTTP_OF.get(str(code), 400)
        if code == "invalid_client":  # the OAuth server's own error shape
            return web.json_response({"error": code, "error_description": msg}, status=status)
        return web.json_response({"code": code, "message": msg, "metadata": {}}, status=status)

    # ------------------------------------------------------------ auth
    async def _form(self, request: web.Request) -> dict[str, str]:
        if request.content_type != "application/x-www-form-urlencoded":
            raise Fail("invalid_params", "form-encoded body required")
        form = {k: v[0] for k, v in parse_qs((await request.read()).decode()).items()}
        if form.get("grant_type") != "client_credentials":
            raise Fail("invalid_params", "unsupported grant_type")
        if form.get("client_id") != CREDS["client_id"]:
            raise Fail("invalid_client", "unknown client_id")
        if not secrets.compare_digest(form.get("client_secret", ""), CREDS["client_secret"]):
            raise Fail("invalid_client", "client authentication failed")
        if form.get("scope") != "eats.deliveries":
            raise Fail("invalid_params", "invalid scope")
        return form

    def _token(self, form: dict[str, str]) -> dict[str, Any]:
        token = "IA." + secrets.token_urlsafe(24)
        self.tokens.add(token)
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL_S,
            "scope": form["scope"],
        }

    # ------------------------------------------------------------ deliveries
    def _points(self, doc: dict[str, Any]) -> tuple[tuple[float, float], tuple[float, float]]:
        missing = [
            k
            for k in ("pickup_address", "dropoff_address", "dropoff_phone_number")
            if not doc.get(k)
        ]
        if missing:
            raise Fail("invalid_params", "missing: " + ",".join(missing))
        if self.engine.variant(CARRIER, "address_format", "any") == "structured":
            for k in ("pickup_address", "dropoff_address"):
                if not str(doc[k]).lstrip().startswith("{"):
                    raise Fail("invalid_params", f"{k} must be a structured address")
                json.loads(doc[k])["street_address"]
        src = wgs84_to_gcj02(float(doc["pickup_latitude"]), float(doc["pickup_longitude"]))
        dst = wgs84_to_gcj02(float(doc["dropoff_latitude"]), float(doc["dropoff_longitude"]))
        return src, dst

    def _quote(self, doc: dict[str, Any], request: web.Request) -> dict[str, Any]:
        src, dst = self._points(doc)
        q = self.engine.quote(CARRIER, src, dst, 1000, ttl_s=900)
        currency = _currency(self.engine, src)
        return {
            "kind": "delivery_quote",
            "id": "dqt_" + q.token.lower(),
            "created": _iso(self.engine),
            "expires": _iso(self.engine, q.expires_at),
            "fee": q.fee_fen,
            "currency": currency,
            "currency_type": currency.upper(),
            "dropoff_eta": _iso(self.engine, self.engine.now() + q.delivery_eta_s),
            "duration": q.delivery_eta_s // 60,
            "pickup_duration": q.pickup_eta_s // 60,
        }

    def _create(self, doc: dict[str, Any], request: web.Request) -> dict[str, Any]:
        src, dst = self._points(doc)
        for k in ("pickup_name", "dropoff_name", "manifest_items", "external_id"):
            if not doc.get(k):
                raise Fail("invalid_params", f"missing: {k}")
        key = str(doc["external_id"])
        fee = None
        if doc.get("quote_id"):
            q = self.engine.quote_valid(str(doc["quote_id"])[4:].upper())
            if q is None and self.engine.find(CARRIER, key) is None:
                raise Fail("expired_quote", "The quote has expired or does not exist.")
            fee = q.fee_fen if q else None
        if fee is None:
            fee, _ = self.engine.price(CARRIER, src, dst, 1000)
        o, _ = self.engine.create(
            CARRIER,
            key,
            src=src,
            dst=dst,
            fee_fen=fee,
            distance_m=0,
            callback_url=request.headers.get("X-Sandbox-Callback-Url", ""),
            extra={
                "tip": int(doc.get("tip") or 0),
                "quote_id": doc.get("quote_id", ""),
                "currency": _currency(self.engine, src),
            },
        )
        o.carrier_order_id = (
            o.carrier_order_id
            if o.carrier_order_id.startswith("del_")
            else ("del_" + o.carrier_order_id)
        )
        return self.delivery(o, self.engine.snapshot(o))

    def _order(self, request: web.Request) -> SimOrder:
        o = self.engine.find_by_carrier_id(CARRIER, request.match_info["delivery_id"])
        if o is None:
            raise Fail("delivery_not_found", "The delivery does not exist.")
        return o

    def _get(self, doc: dict[str, Any], request: web.Request) -> dict[str, Any]:
        o = self._order(request)
        return self.delivery(o, self.engine.snapshot(o))

    def _list(self, doc: dict[str, Any], request: web.Request) -> dict[str, Any]:
        orders = sorted(self.engine.orders.get(CARRIER, {}).values(), key=lambda o: -o.created_at)
        data = [self.delivery(o, self.engine.snapshot(o)) for o in orders]
        return {"data": data, "next_href": "", "total_count": len(data)}

    def _cancel(self, doc: dict[str, Any], request: web.Request) -> dict[str, Any]:
        o = self._order(request)
        snap = self.engine.snapshot(o)
        if snap.state in (SimState.DELIVERED, SimState.RETURNED) or snap.state in (
            SimState.PICKED_UP,
            SimState.AT_DROPOFF,
        ):
            raise Fail("non_cancelable_delivery", "Delivery cannot be cancelled.")
        self.engine.cancel(o, by="merchant")
        return self.delivery(o, self.engine.snapshot(o))

    def _proof(self, doc: dict[str, Any], request: web.Request) -> dict[str, Any]:
        o = self._order(request)
        if self.engine.snapshot(o).state is not SimState.DELIVERED:
            raise Fail("invalid_params", "The delivery has no proof of delivery yet.")
        if doc.get("waypoint") != "dropoff" or doc.get("type") not in ("picture", "signature"):
            raise Fail("invalid_params", "waypoint/type")
        return {"document": base64.b64encode(PROOF_PNG).decode("ascii")}

    def delivery(self, o: SimOrder, snap: Snapshot) -> dict[str, Any]:
        status, imminent = STATUS_OF[snap.state]
        d: dict[str, Any] = {
            "kind": "delivery",
            "id": o.carrier_order_id,
            "external_id": o.key,
            "quote_id": o.extra.get("quote_id", ""),
            "status": status,
            "complete": snap.state in (SimState.DELIVERED, SimState.CANCELLED, SimState.RETURNED),
            "courier_imminent": imminent,
            "fee": o.fee_fen,
            "tip": o.extra.get("tip", 0),
            "currency": o.extra.get("currency", "usd"),
            "created": _iso(self.engine, o.created_at),
            "updated": _iso(self.engine, max(snap.times.values())),
            "tracking_url": f"https://www.ubereats.com/orders/{o.carrier_order_id}",
            "live_mode": False,
        }
        if snap.rider:
            name, phone = snap.rider
            d["courier"] = {
                "name": name,
                "phone_number": "+1555" + phone[-7:],
                "vehicle_type": "car",
            }
            if snap.position:
                d["courier"]["location"] = {"lat": snap.position[0], "lng": snap.position[1]}
        field = self.engine.variant(CARRIER, "cancel_fee_field", VARIANTS["cancel_fee_field"])
        if snap.state is SimState.CANCELLED and field:
            d[field] = snap.cancel_fee_fen
        return d


def make_app(engine: SandboxEngine) -> web.Application:
    return UberDirect(engine).make_app()


def callback_payload(engine: SandboxEngine, o: SimOrder, snap: Snapshot) -> Push | None:
    """``event.delivery_status`` signed with the webhook key (x-uber-signature)."""
    front = UberDirect(engine)
    data = front.delivery(o, snap)
    body = json.dumps(
        {
            "kind": "event.delivery_status",
            "id": f"evt_{o.carrier_order_id}_{snap.state}_{snap.rider_index}",
            "delivery_id": o.carrier_order_id,
            "status": data["status"],
            "created": _iso(engine),
            "live_mode": False,
            "customer_id": CREDS["customer_id"],
            "data": data,
        },
        separators=(",", ":"),
    ).encode()
    sig = hmac.new(CREDS["webhook_signing_key"].encode(), body, hashlib.sha256).hexdigest()
    return o.callback_url, {"Content-Type": "application/json", "x-uber-signature": sig}, body
