"""A started core with the POS listener on a free loopback port, and a signing client."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import httpx
import pytest_asyncio

from app.bootstrap import Core
from app.core.pos.signature import signed_headers
from tests.helpers import POS_SECRET, started_core


@dataclass
class PosClient:
    core: Core
    http: httpx.AsyncClient

    @property
    def base(self) -> str:
        return self.core.pos_listener.base_url + "/api/v1"  # type: ignore[attr-defined]

    def headers(
        self,
        body: bytes = b"",
        *,
        now: float | None = None,
        nonce: str | None = None,
        secret: str = POS_SECRET,
    ) -> dict:
        h = signed_headers(secret, body, now=time.time() if now is None else now, nonce=nonce)
        h["Content-Type"] = "application/json"
        return h

    async def post(self, path: str, payload=None, *, body: bytes | None = None, **kw):
        if body is None:
            body = json.dumps(payload, ensure_ascii=False).encode()
        headers = kw.pop("headers", None) or self.headers(body)
        return await self.http.post(self.base + path, content=body, headers=headers, **kw)

    async def get(self, path: str, *, signed: bool = True):
        return await self.http.get(self.base + path, headers=self.headers() if signed else {})

    async def count_orders(self) -> int:
        db = self.core.service.db
        return await db.run(db.count_orders)


@pytest_asyncio.fixture
async def pos(tmp_path):
    async with started_core(tmp_path, pos=True) as core, httpx.AsyncClient(timeout=30) as http:
        yield PosClient(core, http)
