"""The sandbox front base: a route table over the shared engine, with one request flow.

Every carrier's sandbox is a ``Front`` subclass that keeps only its protocol: how a
request is verified (its own copy of the carrier's documented signing rule — on purpose
never the adapter's, so a wrong adapter cannot agree with its sandbox), how answers and
errors look, and the operations. The flow — the engine's fault hook (hang, 5xx,
malformed, canned errors), verification, the operation, the hold after a create — is
here once. Order sources' simulators can use the same base.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar

from aiohttp import web

from app.core.sandbox.engine import SandboxEngine

Push = tuple[str, dict[str, str], bytes]  # a status callback: (url, headers, body)
Op = Callable[[Any], Any]  # verified request document -> result (may be a coroutine)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# what a parser trips on when a field is missing or of the wrong type
BAD_INPUT = (ValueError, TypeError, KeyError, AttributeError)


# the engine's fault action for the request being served (each aiohttp request runs in
# its own task, so this is per request); for faults a carrier answers in its own way
_FAULT: contextvars.ContextVar[str | None] = contextvars.ContextVar("sandbox_fault", default=None)


def current_fault() -> str | None:
    return _FAULT.get()


class Fail(Exception):
    """Answer the request with the carrier's error ``code`` and message."""

    def __init__(self, code: object, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


def fault_response(action: str | None) -> web.Response | None:
    """The carrier-neutral faults: a 5xx, or a body that is not JSON."""
    if action == "5xx":
        return web.Response(
            status=502, text="<html>502 Bad Gateway</html>", content_type="text/html"
        )
    if action == "malformed":
        return web.Response(
            status=200, body=b'{"code":0,"result":{', content_type="application/json"
        )
    return None


async def unless_client_gone(request: web.Request, aw: Awaitable[Any]) -> tuple[bool, Any]:
    """Await an engine fault (a hang) but give up once the client has hung up, so a
    stopping server is not held by a handler sleeping for an hour."""
    task = asyncio.ensure_future(aw)
    while not task.done():
        await asyncio.wait({task}, timeout=0.05)
        transport = request.transport
        if not task.done() and (transport is None or transport.is_closing()):
            task.cancel()
            return False, None
    return True, task.result()


# What gateways of the Dada/Shansong kind answer to the engine's faults and to bad
# input, by the names of their error tables (each carrier keeps its own codes).
USUAL_MESSAGES: Mapping[str, str] = {
    "rate_limit": "请求过于频繁",
    "auth": "签名错误",
    "balance": "账户余额不足",
}


def usual_errors(
    error: Mapping[str, object],
) -> tuple[dict[str, tuple[object, str]], tuple[object, str]]:
    """``(faults, bad_input)`` for a Front from the carrier's error table ``error``."""
    faults = {name: (error[name], msg) for name, msg in USUAL_MESSAGES.items()}
    return faults, (error["invalid"], "参数错误")


class Front:
    """One carrier's sandbox. Subclasses set ``carrier``, ``faults`` and ``bad_input``
    and implement ``routes``, ``verify``, ``reply`` and ``error``."""

    carrier: ClassVar[str]
    # engine fault action -> the carrier's error answer (code, message)
    faults: ClassVar[Mapping[str, tuple[object, str]]] = {}
    # faults answered only after the request verified (a real gateway checks the
    # signature first, then the account)
    late_faults: ClassVar[frozenset[str]] = frozenset()
    bad_input: ClassVar[tuple[object, str]] = (-1, "参数错误")
    # gateways with one path per operation name ("/v3/invoke/{name}"): any other name
    # is answered with the ``bad_input`` code
    unknown_path: ClassVar[str] = ""

    def __init__(self, engine: SandboxEngine) -> None:
        self.engine = engine

    # ------------------------------------------------------------ the protocol
    def routes(self) -> Mapping[str, tuple[str, Op]]:
        """Path -> (engine op name, operation)."""
        raise NotImplementedError

    async def verify(self, request: web.Request) -> Any:
        """The verified request document, or ``Fail``."""
        raise NotImplementedError

    def reply(self, result: Any) -> web.StreamResponse:
        raise NotImplementedError

    def error(self, code: object, msg: str) -> web.StreamResponse:
        raise NotImplementedError

    def extra_routes(self, app: web.Application) -> None:
        """Sandbox-only control routes (console settings ...), if any."""

    @staticmethod
    def by_name(prefix: str, ops: Mapping[str, Op], *, create: str) -> dict[str, tuple[str, Op]]:
        """Routes ``prefix + name`` for gateways that name operations in the path; the
        engine op is the name, ``create`` is the one that places an order."""
        return {prefix + n: ("create" if n == create else n, fn) for n, fn in ops.items()}

    def method(self, name: str) -> Op:
        """An operation that is a method taking the verified ``(document, request)``."""
        handler = getattr(self, name)
        return lambda verified: handler(*verified)

    # ------------------------------------------------------------ the flow
    def make_app(self) -> web.Application:
        app = web.Application()
        for path, (op, fn) in self.routes().items():
            app.router.add_post(path, self.handler(op, fn))
        self.extra_routes(app)
        if self.unknown_path:
            app.router.add_post(self.unknown_path, self._unknown)
        return app

    async def _unknown(self, request: web.Request) -> web.StreamResponse:
        name = next(iter(request.match_info.values()), "")
        return self.error(self.bad_input[0], f"接口不存在: {name}")

    def handler(self, op: str, fn: Op) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            hook = self.engine.before_request(self.carrier, op=op)
            alive, action = await unless_client_gone(request, hook)
            if not alive:
                return web.Response(status=504)
            canned = fault_response(action)
            if canned is not None:
                return canned
            _FAULT.set(action)
            try:
                result = await self._run(request, action, fn)
            except Fail as f:
                return self.error(f.code, f.msg)
            except BAD_INPUT as e:
                return self.error(self.bad_input[0], f"{self.bad_input[1]}: {e}")
            if op == "create":
                alive, _ = await unless_client_gone(request, self.engine.after_create(self.carrier))
                if not alive:
                    return web.Response(status=504)
            return self.reply(result)

        return handle

    async def _run(self, request: web.Request, action: str | None, fn: Op) -> Any:
        canned = self.faults.get(action or "")
        if canned and action not in self.late_faults:
            raise Fail(*canned)
        doc = await self.verify(request)
        if canned:
            raise Fail(*canned)
        result = fn(doc)
        return await result if inspect.isawaitable(result) else result
