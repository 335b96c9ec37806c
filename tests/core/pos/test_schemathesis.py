"""Schemathesis against the served OpenAPI document and the live listener: generated
valid and invalid requests, each signed like a real POS, never get a 5xx, responses
conform to the document, and a refused order leaves the database unchanged.

The default run is bounded (a few dozen examples per operation and mode, well under
30 s); ``-m slow`` runs a larger sweep."""

from __future__ import annotations

import asyncio

import pytest
import requests
import schemathesis
from schemathesis import GenerationMode

from tests.fakes.pos import PosSigner, make_check

SOURCES = "/api/v1/sources/"  # 美团/饿了么 push paths (the platform signs them)

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


def run_schemathesis(base_url: str, count_orders, examples: int) -> int:
    schema = schemathesis.openapi.from_url(base_url + "/api/v1/openapi.json")
    session = requests.Session()
    session.auth = PosSigner()
    ran = 0
    for result in schema.get_all_operations():
        op = result.ok()
        if op.path.startswith(SOURCES):
            continue  # platform-signed (美团/饿了么): their own tests, not the POS signer
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
