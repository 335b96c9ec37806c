"""Schemathesis against the served OpenAPI document and the live listener: generated
valid and invalid requests, each signed like a real POS, never get a 5xx, responses
conform to the document, and a refused order leaves the database unchanged.

The default run is bounded (a few dozen examples per operation and mode, well under
30 s); ``-m slow`` runs a larger sweep."""

from __future__ import annotations

import asyncio
import time

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from requests.auth import AuthBase
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from app.core.pos.signature import signed_headers
from tests.helpers import POS_SECRET

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]
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


def run_schemathesis(base_url: str, count_orders, examples: int) -> int:
    schema = schemathesis.openapi.from_url(base_url + "/api/v1/openapi.json")
    session = requests.Session()
    session.auth = PosSigner()
    ran = 0
    for result in schema.get_all_operations():
        op = result.ok()
        modes = [GenerationMode.POSITIVE]
        if op.path != "/api/v1/health":  # nothing to make invalid there
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            make_check(op, mode, session, base_url, count_orders, examples)()
            ran += 1
    return ran


async def _run(pos, examples: int) -> None:
    db = pos.core.service.db
    base = pos.core.pos_listener.base_url
    ran = await asyncio.to_thread(run_schemathesis, base, db.count_orders, examples)
    assert ran == 1 + 2 * 3  # health positive; three operations in both modes


async def test_schemathesis_bounded(pos):
    await _run(pos, examples=25)


@pytest.mark.slow
async def test_schemathesis_large(pos):
    await _run(pos, examples=200)
