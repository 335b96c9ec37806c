"""The POS intake listener: aiohttp on loopback (``[pos] host``/``port``), run with
``AppRunner`` + ``TCPSite`` inside whatever loop is running (asyncio or qasync).

Every request but ``GET /api/v1/health`` and ``GET /api/v1/openapi.json`` is signed (see
``signature``). A 2xx for an order goes out only after the order is committed durably
(``AppService.submit_order_payload`` -> group commit, the same path as phone orders); the
request's replay nonce is stored in that same commit. Errors always have the shape
``{"error": {"code", "message", "field"}}``."""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web

from app import __version__
from app.core.clock import Clock
from app.core.config import Settings
from app.core.intake import ReplayNonce
from app.core.pos import openapi, views
from app.core.pos.auth import AuthError, NonceBatcher, check_headers, replayed
from app.core.pos.schema import OrderValidationError
from app.core.pos.webhook import WebhookSender
from app.core.storage.faults import StorageWatch, classify
from app.core.storage.outbox_repo import OutboxRepo
from app.core.storage.repos import InsertOutcome

if TYPE_CHECKING:
    from app.core.service import OrderDetail
    from app.core.sources.routes import SourcePushes

log = logging.getLogger(__name__)
API = "/api/v1"
SOURCE_PUSH_PATH = f"{API}/sources/{{source}}/{{kind}}"  # 美团/饿了么 pushes (app.core.sources)
PUBLIC = frozenset({f"{API}/health", f"{API}/openapi.json"})


class PosDoor(Protocol):
    """The service operations the POS API calls (``AppService`` provides them)."""

    async def submit_order_payload(
        self, payload: Any, *, source: str, nonce: ReplayNonce | None = None
    ) -> InsertOutcome:
        """Outcome "replay" (nothing stored) when ``nonce`` was seen before."""
        ...

    async def order_detail_by_pos_id(self, pos_order_id: str) -> OrderDetail | None: ...

    async def cancel_from_pos(
        self, detail: OrderDetail, *, reason: str, confirm: bool
    ) -> dict[str, Any]: ...

    def pos_secret(self) -> str: ...


class PosListenerError(RuntimeError):
    """The listener refuses to start (e.g. a non-loopback host without allow_remote)."""


def error(status: int, code: str, message: str, field: str | None = None) -> web.Response:
    body = {"error": {"code": code, "message": message, "field": field}}
    return web.json_response(body, status=status)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _http_error(e: web.HTTPException) -> web.Response:
    codes = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}
    code = codes.get(e.status, "http_error")
    return error(e.status, code, e.reason or code)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SOURCE_PREFIX = f"{API}/sources/"


def _errors(watch: StorageWatch) -> Any:
    """Every failure in the error shape; a bug is a logged 500, never a traceback page. A
    storage fault (disk full, read-only, locked) is a 503 with ``Retry-After``: nothing was
    committed, so the POS (or the platform) sends it again; it is logged once a minute."""

    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as e:
            return _http_error(e)
        except Exception as e:
            fault = classify(e)
            if fault is None:
                log.exception("POS API %s %s failed", request.method, request.path)
                return error(500, "internal_error", "internal error; the request was not applied")
            watch.failed(fault, f"{request.method} {request.path}")
            headers = {"Retry-After": str(fault.retry_after_s)}
            if request.path.startswith(SOURCE_PREFIX):  # the platforms' retryable answer
                return web.json_response({"error": "try again"}, status=503, headers=headers)
            resp = error(503, fault.code, STORAGE_MESSAGES[fault.kind])
            resp.headers.update(headers)
            return resp
        if request.method == "POST" and response.status in (200, 201):
            watch.ok()  # an order (or push) was committed: writes work
        return response

    return errors


STORAGE_MESSAGES = {
    "full": "the counter PC's disk is full; nothing was stored, send the order again later",
    "readonly": "the counter's database is read-only; nothing was stored, send it again later",
    "busy": "the counter's database is busy; nothing was stored, send the order again",
}


class PosListener:
    def __init__(
        self,
        door: PosDoor,
        *,
        settings: Callable[[], Settings],
        outbox: OutboxRepo,
        clock: Clock,
        webhook: WebhookSender | None = None,
        source_pushes: SourcePushes | None = None,
        storage: StorageWatch | None = None,
    ) -> None:
        self.door = door
        self.storage = storage or StorageWatch()  # storage faults: told once, logged 1/min
        self.source_pushes = source_pushes  # 美团/饿了么 pushes, when a source is in push mode
        self._settings = settings  # read live: tests and the settings dialog replace it
        cfg = settings().pos
        self.host: str = cfg.host
        self.port: int = cfg.port
        self._runner: web.AppRunner | None = None
        self._nonces = NonceBatcher(outbox, clock.now, cfg.clock_skew_s)
        self.webhook = webhook  # started only when [pos] webhook_url is set
        self.webhook_running = False

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        cfg = self._settings().pos
        self._check_host(cfg.host, cfg.allow_remote)
        self.storage.start()  # faults seen on the engine (watch_engine) come to this loop
        app = self._app(cfg.max_body_bytes)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=3.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, cfg.host, cfg.port).start()
        except OSError as e:
            await runner.cleanup()
            raise PosListenerError(f"cannot listen on {cfg.host}:{cfg.port}: {e}") from e
        self._runner = runner
        self.host, self.port = cfg.host, int(runner.addresses[0][1])
        self._nonces.start()
        await self._start_webhook()
        log.info("POS API listening on %s%s", self.base_url, API)

    @staticmethod
    def _check_host(host: str, allow_remote: bool) -> None:
        if is_loopback(host):
            return
        if not allow_remote:
            raise PosListenerError(
                f"[pos] host = {host!r} is not a loopback address; the POS API takes orders "
                "from this machine only unless [pos] allow_remote = true is set"
            )
        log.warning(
            "POS API is bound to NON-LOOPBACK address %s: any host on the network "
            "that knows the POS secret can post orders ([pos] allow_remote = true)",
            host,
        )

    async def _start_webhook(self) -> None:
        if self.webhook is None or not self._settings().pos.webhook_url:
            return
        await self.webhook.start()
        self.webhook_running = True

    async def stop(self) -> None:
        """Stop accepting, let in-flight requests finish (their commits included)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self._nonces.stop()
        await self.storage.stop()
        if self.webhook is not None and self.webhook_running:
            await self.webhook.stop()
            self.webhook_running = False

    def _app(self, max_body: int) -> web.Application:
        app = web.Application(client_max_size=max_body, middlewares=[_errors(self.storage)])
        app.router.add_get(f"{API}/health", self.health)
        app.router.add_get(f"{API}/openapi.json", self.spec)
        app.router.add_post(f"{API}/orders", self.create_order)
        app.router.add_get(f"{API}/orders/{{pos_order_id}}", self.get_order)
        app.router.add_post(f"{API}/orders/{{pos_order_id}}/cancel", self.cancel_order)
        if self.source_pushes is not None:
            app.router.add_post(SOURCE_PUSH_PATH, self.source_pushes.handle)
        return app

    # ------------------------------------------------------------------ plumbing
    async def _signed_body(self, request: web.Request) -> bytes:
        """Size limit, then auth with the replay check; returns the raw body. Raises
        ``_Reply``."""
        body, nonce = await self._verified_body(request)
        await self._remember(request, nonce)
        return body

    async def _verified_body(self, request: web.Request) -> tuple[bytes, ReplayNonce]:
        """Size limit, then auth but for the replay check; the raw body and its nonce."""
        cfg = self._settings().pos
        if request.content_length is not None and request.content_length > cfg.max_body_bytes:
            raise _Reply(error(413, "body_too_large", f"body above {cfg.max_body_bytes} bytes"))
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise _Reply(
                error(413, "body_too_large", f"body above {cfg.max_body_bytes} bytes")
            ) from None
        try:
            nonce = check_headers(
                request.headers, body, self.door.pos_secret(), time.time(), cfg.clock_skew_s
            )
        except AuthError as e:
            raise _refused(request, e) from None
        return body, ReplayNonce(nonce, cfg.clock_skew_s)

    async def _remember(self, request: web.Request, nonce: ReplayNonce) -> None:
        if not await self._nonces.remember(nonce.value):
            raise _refused(request, replayed())

    @staticmethod
    def _json(request: web.Request, body: bytes, *, allow_empty: bool = False) -> Any:
        if allow_empty and not body.strip():
            return {}
        if request.content_type != "application/json":
            raise _Reply(
                error(
                    415, "unsupported_media_type", "send the body as Content-Type: application/json"
                )
            )
        try:
            return json.loads(body.decode("utf-8"), parse_constant=_no_constant)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise _Reply(error(400, "malformed", "body is not valid UTF-8 JSON")) from None

    # ------------------------------------------------------------------ handlers
    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "version": __version__})

    async def spec(self, request: web.Request) -> web.Response:
        return web.json_response(openapi.spec(self.base_url))

    async def create_order(self, request: web.Request) -> web.Response:
        try:
            body, nonce = await self._verified_body(request)
            out = await self._submit(request, body, nonce)
        except _Reply as r:
            return r.response
        except OrderValidationError as e:
            return error(e.status, e.code, e.message, e.field)
        if out.outcome == "replay":
            return _refused(request, replayed()).response
        if out.outcome == "conflict":
            return error(
                409,
                "conflict",
                "this pos_order_id was already received with a different payload",
                "pos_order_id",
            )
        status = 201 if out.outcome == "created" else 200
        return web.json_response(views.order_ref(out.order), status=status)

    async def _submit(self, request: web.Request, body: bytes, nonce: ReplayNonce) -> InsertOutcome:
        """The order and its nonce in one commit. A body refused before storage still has
        its nonce remembered first, so a replay is refused as a replay whatever its body
        (as when every nonce was stored before the body was read)."""
        try:
            payload = self._json(request, body)
            return await self.door.submit_order_payload(payload, source="pos", nonce=nonce)
        except (_Reply, OrderValidationError):
            await self._remember(request, nonce)
            raise

    async def get_order(self, request: web.Request) -> web.Response:
        try:
            await self._signed_body(request)
        except _Reply as r:
            return r.response
        detail = await self.door.order_detail_by_pos_id(request.match_info["pos_order_id"])
        if detail is None:
            return error(404, "not_found", "no order with this pos_order_id", "pos_order_id")
        return web.json_response(views.order_detail(detail))

    async def cancel_order(self, request: web.Request) -> web.Response:
        try:
            body = await self._signed_body(request)
            reason, confirm = _cancel_args(self._json(request, body, allow_empty=True))
        except _Reply as r:
            return r.response
        detail = await self.door.order_detail_by_pos_id(request.match_info["pos_order_id"])
        if detail is None:
            return error(404, "not_found", "no order with this pos_order_id", "pos_order_id")
        try:
            answer = await self.door.cancel_from_pos(detail, reason=reason, confirm=confirm)
            return web.json_response(answer)
        except views.CancelRefused as e:
            return error(e.status, e.code, e.message)


class _Reply(Exception):
    """Short-circuit a handler with a ready response."""

    def __init__(self, response: web.Response) -> None:
        self.response = response


def _refused(request: web.Request, e: AuthError) -> _Reply:
    log.info("POS request refused: %s (%s %s)", e.code, request.method, request.path)
    return _Reply(error(401, e.code, e.message, e.field))


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _cancel_args(payload: Any) -> tuple[str, bool]:
    if not isinstance(payload, dict):
        raise _Reply(error(400, "malformed", "body must be a JSON object", "body"))
    reason = payload.get("reason") or ""
    confirm = payload.get("confirm", False)
    if not isinstance(reason, str) or len(reason) > 200:
        raise _Reply(
            error(422, "invalid_field", "reason must be a string of ≤ 200 chars", "reason")
        )
    try:
        reason.encode("utf-8")
    except UnicodeEncodeError:
        raise _Reply(error(422, "invalid_field", "reason is not valid Unicode", "reason")) from None
    if not isinstance(confirm, bool):
        raise _Reply(error(422, "invalid_field", "confirm must be true or false", "confirm"))
    return reason.strip(), confirm
