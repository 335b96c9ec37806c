"""Durability: every order answered 2xx is in the database after the process is
SIGKILLed right after that answer (no graceful shutdown, no flush)."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3

import pytest

from app.core.config import StoreSettings
from app.core.pos.sim import build_payloads, post_orders
from tests.fakes.pos import SECRET, free_port, start_serve, wait_healthy

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_every_2xx_survives_sigkill(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_serve(tmp_path, port)
    try:
        wait_healthy(url, proc)
        payloads = build_payloads(600, StoreSettings(), seed=3)

        def kill_after_some(stats) -> None:
            if stats.count(200, 299) >= 150 and proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)  # right after the 150th 2xx

        stats = asyncio.run(
            post_orders(
                url + "/api/v1/orders",
                SECRET,
                payloads,
                rate=0,
                concurrency=32,
                on_response=kill_after_some,
            )
        )
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    acked = set(stats.ok_ids)
    assert len(acked) >= 150 and stats.errors > 0  # killed mid-run, with posts in flight
    con = sqlite3.connect(tmp_path / "data" / "jupei.db")
    try:
        stored = {r[0] for r in con.execute("select pos_order_id from orders")}
    finally:
        con.close()
    assert acked <= stored, f"{len(acked - stored)} acknowledged orders lost"
