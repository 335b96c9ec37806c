"""Fuzzed POS requests (schemathesis + hypothesis, positive and negative cases, signed
with the POS engineer's hook) against the real listener: no 5xx, responses conform to
the OpenAPI document, and a refused request writes nothing (order count unchanged).

The default run sends ~500 requests; the ``slow`` sweep at least 10,000."""

from __future__ import annotations

import asyncio

import pytest
import requests
import schemathesis
from schemathesis import GenerationMode

from tests.fakes.pos import PosSigner, make_check

SOURCES = "/api/v1/sources/"  # 美团/饿了么 push paths (the platform signs them)

# the reliability suite is its own CI stage (`pytest -m slow`)
pytestmark = [pytest.mark.integration, pytest.mark.asyncio, pytest.mark.slow]


class CountingSession(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self.sent = 0
        self.statuses: dict[int, int] = {}

    def send(self, request, **kw):
        r = super().send(request, **kw)
        self.sent += 1
        self.statuses[r.status_code] = self.statuses.get(r.status_code, 0) + 1
        return r


def fuzz(base_url: str, count_orders, examples: int, at_least: int) -> CountingSession:
    """Rounds of every operation x mode until ``at_least`` requests went out (hypothesis
    stops early on small input spaces such as /health, so one round may fall short)."""
    schema = schemathesis.openapi.from_url(base_url + "/api/v1/openapi.json")
    session = CountingSession()
    session.auth = PosSigner()
    while session.sent < at_least:
        for result in schema.get_all_operations():
            op = result.ok()
            if op.path.startswith(SOURCES):
                continue  # platform-signed pushes: not the POS signer's to fuzz
            modes = [GenerationMode.POSITIVE]
            if op.path != "/api/v1/health":
                modes.append(GenerationMode.NEGATIVE)
            for mode in modes:
                make_check(op, mode, session, base_url, count_orders, examples)()
    return session


async def _run(pos, examples: int, at_least: int) -> None:
    db = pos.core.service.db
    before = db.count_orders()
    base = pos.core.pos_listener.base_url
    s = await asyncio.to_thread(fuzz, base, db.count_orders, examples, at_least)
    print(f"\nfuzzed POS requests: {s.sent}; statuses {dict(sorted(s.statuses.items()))}; "
          f"orders stored {db.count_orders() - before}")  # fmt: skip
    assert s.sent >= at_least
    assert not any(code >= 500 for code in s.statuses)


async def test_fuzz_500_requests(pos):
    await _run(pos, examples=80, at_least=500)


async def test_fuzz_10k_requests(pos):
    await _run(pos, examples=1450, at_least=10_000)
