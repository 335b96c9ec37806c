"""SIGKILL during a 1,000-order POS burst with auto-dispatch on, then restart.

The sandboxes run in their own process (``python -m app sandbox --speed 0``), so their
counters survive the kill. After the restart: every order the POS got a 2xx for is in
the database, and no app order has more than one carrier order (counted at the
sandboxes) — the exactly-once create across a crash, at burst scale."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import time

import pytest

from app.core.config import StoreSettings
from app.core.pos.sim import build_payloads, post_orders
from tests.reliability.procs import (
    clean_env,
    free_port,
    sandbox_stats,
    start_sandbox,
    start_serve,
    stop,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SECRET = "burst-secret-0123456789"
N = 1000
KILL_AFTER = 400
SETTLE_S = 240  # dispatching 1,000 orders can take minutes on a loaded 2-core box; the wait ends as soon as all are settled


def _db(home) -> sqlite3.Connection:
    return sqlite3.connect(home / "data" / "jupei.db", timeout=10)


def _settled(home) -> tuple[int, int, int]:
    """(orders, orders with an attempt, attempts still SUBMITTING)."""
    con = _db(home)
    try:
        n = con.execute("select count(*) from orders").fetchone()[0]
        with_att = con.execute("select count(distinct order_id) from attempts").fetchone()[0]
        sub = con.execute("select count(*) from attempts where status='submitting'").fetchone()[0]
    finally:
        con.close()
    return n, with_att, sub


def test_sigkill_mid_burst_keeps_every_2xx_and_creates_once(tmp_path):
    sb_port, pos_port = free_port(), free_port()
    sandbox = start_sandbox(sb_port, speed=0, log=tmp_path / "sandbox.log")
    env = clean_env(
        JUPEI_HOME=str(tmp_path),
        JUPEI_POS__PORT=str(pos_port),
        JUPEI_POS__SECRET=SECRET,
        JUPEI_REHEARSAL__MODE="on",
        JUPEI_REHEARSAL__SANDBOX_URL=f"http://127.0.0.1:{sb_port}",
        JUPEI_DISPATCH__MODE="auto",
    )
    serve = None
    try:
        serve = start_serve(env, pos_port, log=tmp_path / "serve1.log")
        payloads = build_payloads(N, StoreSettings(), seed=11)
        for p in payloads:
            p.pop("expected_ready_at", None)  # dispatch now, not at the kitchen's ready time
        victim = serve

        def kill_mid_burst(stats) -> None:
            if stats.count(200, 299) >= KILL_AFTER and victim.poll() is None:
                os.kill(victim.pid, signal.SIGKILL)

        stats = asyncio.run(
            post_orders(
                f"http://127.0.0.1:{pos_port}/api/v1/orders",
                SECRET,
                payloads,
                rate=0,
                concurrency=16,
                on_response=kill_mid_burst,
            )
        )
        victim.wait(timeout=10)
        assert victim.returncode == -signal.SIGKILL
        acked = set(stats.ok_ids)
        assert len(acked) >= KILL_AFTER and stats.errors > 0, stats.summary()
        before = sandbox_stats(sb_port)

        serve = start_serve(env, pos_port, log=tmp_path / "serve2.log")
        # the POS re-sends what it got no answer for (idempotent: 200 for known ones)
        resent = asyncio.run(
            post_orders(
                f"http://127.0.0.1:{pos_port}/api/v1/orders",
                SECRET,
                [p for p in payloads if p["pos_order_id"] not in acked],
                rate=0,
                concurrency=16,
            )
        )
        assert resent.count(500, 599) == 0 and resent.errors == 0, resent.summary()
        deadline = time.monotonic() + SETTLE_S
        while time.monotonic() < deadline:
            n, with_att, sub = _settled(tmp_path)
            if with_att == n and sub == 0:
                break
            time.sleep(0.5)
        n, with_att, sub = _settled(tmp_path)
        after = sandbox_stats(sb_port)
        con = _db(tmp_path)
        try:
            stored = {r[0] for r in con.execute("select pos_order_id from orders")}
            per_order = con.execute(
                "select max(c) from (select count(*) c from attempts group by order_id)"
            ).fetchone()[0]
        finally:
            con.close()
        sim_orders = sum(after["orders"].values())
        duplicates = sim_orders - with_att
        print(
            f"\nburst {N}: {len(acked)} acked 2xx before SIGKILL, {stats.errors} in flight; "
            f"stored {n}; dispatched {with_att}; sandbox orders {sim_orders} "
            f"(before restart {sum(before['orders'].values())}); create calls "
            f"{sum(after['create_calls'].values())}; re-sent {resent.sent} "
            f"({resent.summary()}); duplicates {duplicates}"
        )
        assert acked <= stored, f"{len(acked - stored)} acknowledged orders lost"
        assert n == N and sub == 0, (n, with_att, sub)
        assert per_order == 1  # speed 0: nobody accepts, nobody fails over within the test
        assert duplicates == 0
        assert sum(after["live"].values()) == sim_orders
    finally:
        if serve is not None:
            stop(serve)
        stop(sandbox)
