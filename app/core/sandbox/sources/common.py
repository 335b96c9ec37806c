"""Pieces both simulators share: a loopback server, the call log, push delivery with
the platform's reply check, and fault switches. No platform facts here."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import web

log = logging.getLogger(__name__)


@dataclass
class Faults:
    """Switches a test flips; each counts down as it fires."""

    drop_pushes: int = 0  # the next N pushes are never sent (a pull must find them)
    duplicate_pushes: int = 0  # the next N pushes are sent twice
    hold_pushes: bool = False  # queue pushes until ``release_pushes`` (out of order)
    server_errors: int = 0  # the next N API calls answer HTTP 502
    sync_server_errors: int = 0  # the next N sync-back calls answer HTTP 502
    sync_delay_s: float = 0.0  # sync-back calls answer this late (client timeouts)
    rate_limited: int = 0  # the next N API calls get the platform's rate-limit error
    sync_refused: int = 0  # the next N sync-back calls are refused for good (order state)


@dataclass(frozen=True)
class Call:
    """One API call the simulator accepted (signature and fields valid)."""

    path: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Delivery:
    """One push the simulator sent, and whether the reply was the expected one."""

    kind: str
    fields: dict[str, Any]
    status: int
    body: bytes
    accepted: bool


@dataclass
class Held:
    url: str
    kind: str
    content: bytes
    content_type: str
    fields: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)  # e.g. a signature header


@dataclass
class Log:
    calls: list[Call] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    deliveries: list[Delivery] = field(default_factory=list)

    def paths(self) -> list[str]:
        return [c.path for c in self.calls]


class LoopbackServer:
    """Serve an aiohttp app on 127.0.0.1 with a free port (async context manager)."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> LoopbackServer:
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


class PushSender:
    """Sends pushes, applying the drop/duplicate/hold faults, and checks replies."""

    def __init__(self, faults: Faults, log_: Log, expected_reply: Mapping[str, str]) -> None:
        self.faults, self.log, self.expected = faults, log_, expected_reply
        self.held: list[Held] = []
        self.failed: list[Held] = []  # not accepted: the platform keeps them for pulls

    async def send(self, held: Held) -> bool:
        if self.faults.drop_pushes > 0:
            self.faults.drop_pushes -= 1
            self.failed.append(held)
            return False
        if self.faults.hold_pushes:
            self.held.append(held)
            return True
        ok = await self._post(held)
        if self.faults.duplicate_pushes > 0:
            self.faults.duplicate_pushes -= 1
            ok = await self._post(held) and ok
        return ok

    async def retry_failed(self) -> int:
        """The platform's retry of pushes not acknowledged (schedule unknown [?]: a test
        or the control API triggers it); returns how many were accepted this time."""
        batch, self.failed = self.failed, []
        return sum([await self._post(held) for held in batch])

    async def release(self, *, reverse: bool = True) -> None:
        batch, self.held = self.held, []
        self.faults.hold_pushes = False
        for held in reversed(batch) if reverse else batch:
            await self._post(held)

    async def _post(self, held: Held) -> bool:
        headers = {"Content-Type": held.content_type, **held.headers}
        try:
            async with httpx.AsyncClient(trust_env=False, timeout=5.0) as client:
                resp = await client.post(held.url, content=held.content, headers=headers)
            status, body = resp.status_code, resp.content
        except httpx.HTTPError as e:
            log.info("push to %s failed: %s", held.url, type(e).__name__)
            status, body = 0, b""
        accepted = status == 200 and self._reply_ok(body)
        self.log.deliveries.append(Delivery(held.kind, held.fields, status, body, accepted))
        if not accepted:
            self.failed.append(held)
        return accepted

    def _reply_ok(self, body: bytes) -> bool:
        try:
            doc = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return False
        if not isinstance(doc, dict):
            return False
        return all(str(doc.get(k, "")).lower() == v.lower() for k, v in self.expected.items())


async def maybe_delay(seconds: float) -> None:
    if seconds > 0:
        await asyncio.sleep(seconds)
