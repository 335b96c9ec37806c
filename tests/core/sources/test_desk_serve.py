"""``python -m app serve`` with ``JUPEI_SOURCES__MEITUAN__MODE=push`` and the 美团
simulator as ``base_url``: the simulator signs a push the platform's way, the headless
core accepts it at ``/api/v1/sources/meituan/order`` (``{"data":"ok"}``) and confirms the
order on the simulator; a badly signed push is refused."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import pytest

from app.core.sandbox.sources.common import LoopbackServer
from app.core.sandbox.sources.meituan import MeituanSim
from app.core.sources.meituan import RULES
from tests.helpers import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]
ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _wait_for_line(stream: asyncio.StreamReader, text: str, seen: list[str]) -> None:
    while True:
        line = (await stream.readline()).decode("utf-8", "replace")
        if not line:
            raise AssertionError("serve exited:\n" + "".join(seen))
        seen.append(line)
        if text in line:
            return


async def test_serve_accepts_a_signed_meituan_push_and_refuses_a_bad_one(tmp_path):
    sim = MeituanSim()
    creds = RULES.rehearsal_credentials
    async with LoopbackServer(sim.make_app()) as api:
        port = _free_port()
        push_base = f"http://127.0.0.1:{port}/api/v1/sources/meituan"
        sim.push_base_url = push_base
        env = dict(
            os.environ,
            JUPEI_HOME=str(tmp_path),
            JUPEI_POS__PORT=str(port),
            JUPEI_POS__SECRET="serve-test-secret",
            JUPEI_SOURCES__MEITUAN__MODE="push",
            JUPEI_SOURCES__MEITUAN__BASE_URL=api.url + "/api/v1/",
            JUPEI_SOURCES__MEITUAN__PUSH_BASE_URL=push_base,
            JUPEI_SOURCES__MEITUAN__APP_ID=creds["app_id"],
            JUPEI_SOURCES__MEITUAN__APP_POI_CODE=creds["app_poi_code"],
            JUPEI_SOURCES__MEITUAN__APP_SECRET=creds["app_secret"],
            QT_QPA_PLATFORM="offscreen",
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app", "serve", cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
        )
        assert proc.stderr is not None
        seen: list[str] = []
        reader: asyncio.Future[None] | None = None
        try:
            await asyncio.wait_for(_wait_for_line(proc.stderr, "JuPei core started", seen), 60)
            # keep reading the log so a full pipe never stalls the server
            reader = asyncio.ensure_future(_wait_for_line(proc.stderr, "\x00never", seen))
            oid = sim.new_order()
            assert await sim.push_order(oid)
            assert sim.log.deliveries[-1].status == 200
            await wait_until(lambda: sim.orders[oid].fields["status"] == 4, timeout=20)

            sim.secret = "not-the-app-secret"
            bad = sim.new_order()
            assert not await sim.push_order(bad)
            assert sim.log.deliveries[-1].status == 400
            assert sim.orders[bad].fields["status"] == 2  # never confirmed
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            rc = await asyncio.wait_for(proc.wait(), 20)
            if reader is not None:
                await asyncio.gather(reader, return_exceptions=True)
    assert rc == 0, "".join(seen)
    assert "JuPei core stopped" in "".join(seen)


async def test_serve_accepts_a_signed_keruyun_delivery_request_and_refuses_a_bad_one(tmp_path):
    """The same for 客如云 (issue 17): ``JUPEI_SOURCES__KERUYUN__MODE=push``; the delivery
    request pushed to ``/api/v1/sources/keruyun/delivery`` is stored (reply code 0), a
    push signed with another token gets 客如云's error reply and stores nothing."""
    import sqlite3

    from app.core.sandbox.sources.keruyun import KeruyunSim
    from app.core.sources.keruyun import RULES as KRY

    sim = KeruyunSim()
    creds = KRY.rehearsal_credentials
    async with LoopbackServer(sim.make_app()) as api:
        port = _free_port()
        sim.push_base_url = f"http://127.0.0.1:{port}/api/v1/sources/keruyun"
        env = dict(
            os.environ,
            JUPEI_HOME=str(tmp_path),
            JUPEI_POS__PORT=str(port),
            JUPEI_POS__SECRET="serve-test-secret",
            JUPEI_REHEARSAL__SOURCES="false",
            JUPEI_SOURCES__KERUYUN__MODE="push",
            JUPEI_SOURCES__KERUYUN__BASE_URL=api.url + "/api/v1/",
            JUPEI_SOURCES__KERUYUN__APP_KEY=creds["app_key"],
            JUPEI_SOURCES__KERUYUN__SHOP_IDENTY=creds["shop_identy"],
            JUPEI_SOURCES__KERUYUN__TOKEN=creds["token"],
            QT_QPA_PLATFORM="offscreen",
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app", "serve", cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
        )
        assert proc.stderr is not None
        seen: list[str] = []
        reader: asyncio.Future[None] | None = None

        def stored() -> list[str]:
            with sqlite3.connect(tmp_path / "data" / "jupei.db") as db:
                rows = db.execute("select source_order_id from source_orders").fetchall()
            return [r[0] for r in rows]

        try:
            await asyncio.wait_for(_wait_for_line(proc.stderr, "JuPei core started", seen), 60)
            reader = asyncio.ensure_future(_wait_for_line(proc.stderr, "\x00never", seen))
            oid = sim.new_order()
            assert await sim.push_new_order(oid)
            assert sim.log.deliveries[-1].status == 200
            assert stored() == [oid]  # durable before the reply

            sim.token = "not-the-token"
            bad = sim.new_order()
            assert not await sim.push_new_order(bad)
            assert sim.log.deliveries[-1].status == 403
            assert b'"code":1' in sim.log.deliveries[-1].body
            assert stored() == [oid]
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            rc = await asyncio.wait_for(proc.wait(), 20)
            if reader is not None:
                await asyncio.gather(reader, return_exceptions=True)
    assert rc == 0, "".join(seen)
