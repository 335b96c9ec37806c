"""Fixtures for printing tests: the fake ESC/POS printer (``tests/fakes/printer.py``)
listening on loopback for the test's duration."""

from __future__ import annotations

import pytest_asyncio

from tests.fakes.printer import start_printer


@pytest_asyncio.fixture
async def fake_printer():
    fp = await start_printer()
    yield fp
    assert fp.server is not None
    fp.server.close()
    await fp.server.wait_closed()
