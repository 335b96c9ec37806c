"""Exactly once across a SIGKILL: the app dies between the create call and its answer;
after a restart the SUBMITTING attempt is resolved by query, and exactly one live
carrier order exists, with no second create."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from app.core.carriers.registry import rules as carrier_rules
from app.core.clock import SystemClock
from app.core.domain import DeliveryStatus, DispatchMode
from app.core.sandbox.engine import Faults, SandboxEngine
from app.core.sandbox.server import SandboxServer
from app.core.storage.db import make_engine, migrate
from app.core.storage.repos import Database
from tests.helpers import sample_order, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.asyncio]
ROOT = Path(__file__).resolve().parents[3]


def _env(tmp: Path, sandbox_url: str, db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPEI_")}
    env.update(
        JUPEI_HOME=str(tmp),
        JUPEI_DATABASE__URL=db_url,
        JUPEI_REHEARSAL__MODE="on",
        JUPEI_REHEARSAL__SANDBOX_URL=sandbox_url,
        JUPEI_POS__PORT="0",
        JUPEI_POS__SECRET="x",
        JUPEI_DISPATCH__MODE="auto",
        PYTHONPATH=str(ROOT),
    )
    return env


async def _serve(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "serve",
        cwd=str(ROOT),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def test_sigkill_between_create_and_answer_leaves_one_live_order(tmp_path):
    sb = SandboxEngine(seed=1, speed=0)
    server = SandboxServer(sb, push_callbacks=False)
    await server.start()
    db_url = f"sqlite:///{tmp_path / 'app.db'}"
    db = Database(make_engine(db_url))
    migrate(db.engine)
    order = sample_order("K1", dispatch_mode=DispatchMode.AUTO)
    oid = db.insert_orders([(order, "h", "pos")], SystemClock().now())[0].order.id
    for cid in ("dada", "shansong", "sf", "meituan", "fengniao", "uupt"):
        sb.set_faults(cid, Faults(hang_after_create=True))  # whichever is chosen hangs
    env = _env(tmp_path, server.base_url, db_url)
    proc = await _serve(env)
    try:
        await wait_until(lambda: sum(sb.create_calls.values()) >= 1, timeout=15)
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        atts = db.attempts_for_order(oid)
        assert [a.status for a in atts] == [DeliveryStatus.SUBMITTING]  # died mid-create
        sb.faults.clear()
        proc = await _serve(env)
        await wait_until(
            lambda: db.attempts_for_order(oid)[0].status is DeliveryStatus.PENDING_ACCEPT,
            timeout=15,
        )
        await asyncio.sleep(0.5)  # give a wrong second create the chance to happen
        atts = db.attempts_for_order(oid)
        assert len(atts) == 1 and atts[0].carrier_order_id
        # one create, plus the same-key resend that settles a carrier which cannot be
        # queried before it named the order (resend_resolves: the same delivery)
        resend = carrier_rules(atts[0].carrier).has("resend_resolves")
        assert sum(sb.create_calls.values()) == (2 if resend else 1)
        assert sb.live_count() == 1 and sb.live_count(atts[0].carrier) == 1
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 8)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        await server.stop()
        db.engine.dispose()
