"""Real-time status over raw TCP (DLE EOT) against a fake network printer."""

from __future__ import annotations

import asyncio

import pytest

from app.core.printing.transports import probe_network
from tests.fakes.printer import dead_port

pytestmark = pytest.mark.asyncio


async def probe(port: int) -> str:
    return await asyncio.to_thread(probe_network, "127.0.0.1", port, 0.3)


async def test_online(fake_printer):
    assert await probe(fake_printer.port) == "online"


async def test_paper_out(fake_printer):
    fake_printer.status = (0x1A, 0x72)  # offline bit, paper-end bits
    assert await probe(fake_printer.port) == "paper_out"


async def test_offline(fake_printer):
    fake_printer.status = (0x1A, 0x12)
    assert await probe(fake_printer.port) == "offline"


async def test_no_answer_is_unknown_not_offline(fake_printer):
    fake_printer.status = None
    assert await probe(fake_printer.port) == "unknown"


async def test_refused_is_offline():
    assert await probe(dead_port()) == "offline"
