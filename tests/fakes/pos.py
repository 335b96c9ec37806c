"""POS test support: a signing client for the started listener, a sample POS payload,
the schemathesis signer and property check (shared by the bounded run and the reliability
sweep), and helpers to run ``python -m app serve`` as a real process (SIGKILL tests)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from requests.auth import AuthBase
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from app.bootstrap import Core
from app.core.pos.signature import signed_headers
from tests.helpers import POS_SECRET

ROOT = Path(__file__).resolve().parents[2]
SECRET = "crash-test-secret-0123"


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


def payload(**over) -> dict:
    p = {
        "pos_order_id": "P1001",
        "channel": "pos",
        "created_at": "2026-11-24T12:00:00+08:00",
        "pickup_no": "A12",
        "customer": {
            "name": "张三",
            "phone": "13812345678",
            "address": "上海市黄浦区西藏中路268号",
            "lat": 31.233,
            "lng": 121.476,
        },
        "items": [{"name": "宫保鸡丁", "qty": 1, "price_fen": 3800}],
        "total_fen": 3800,
    }
    p.update(over)
    return p


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


class PosSigner(AuthBase):
    """Signs the exact bytes requests is about to send (custom auth for schemathesis)."""

    def __call__(self, r):
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode()
        r.headers.update(signed_headers(POS_SECRET, body, now=time.time()))
        return r


def make_check(op, mode, session, base_url: str, count_orders, examples: int):
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=op.as_strategy(generation_mode=mode))
    def check(case):
        before = count_orders()
        response = case.call(session=session, base_url=base_url)
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert count_orders() == before, "a refused request stored an order"
        if mode is GenerationMode.POSITIVE or response.status_code < 300:
            case.validate_response(response, checks=CHECKS)

    return check


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_serve(home: Path, port: int) -> subprocess.Popen:
    env = dict(
        os.environ,
        JUPEI_HOME=str(home),
        JUPEI_POS__PORT=str(port),
        JUPEI_POS__SECRET=SECRET,
        JUPEI_REHEARSAL__MODE="on",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "app", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_healthy(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, "serve exited early"
        try:
            if httpx.get(url + "/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    pytest.fail("serve did not become healthy")
