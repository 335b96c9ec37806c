"""All six carriers through the composition root's gateway, against one sandbox server:
quote, create, track to delivered, tip, cancel with a fee — the rehearsal-mode wiring."""

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from app.core.carriers.gateway import CarrierGateway, rehearsal_wanted
from app.core.carriers.http import CarrierHttp
from app.core.carriers.registry import CARRIER_IDS, all_rules
from app.core.clock import SystemClock
from app.core.config import Settings
from app.core.domain import DeliveryAttempt, DeliveryStatus
from app.core.sandbox.engine import SandboxEngine
from app.core.sandbox.server import SandboxServer
from app.core.secrets import MemorySecretStore
from tests.helpers import sample_order

ROOT = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.integration]


def test_rules_are_complete_data():
    for cid, r in all_rules().items():
        assert r.id == cid and r.name_zh and r.production_base_url.startswith("https://")
        assert r.money_unit in ("fen", "yuan") and r.coord_system in ("gcj02", "bd09", "gcj02_e6")
        assert set(r.credential_keys) >= set(r.secret_keys) - {"access_token"}
        assert r.position_batch >= 1 and r.rate_limit_per_s > 0 and r.accept_timeout_s > 0
        assert all(k in r.rehearsal_credentials for k in r.credential_keys)


def test_rehearsal_is_the_default_without_credentials(monkeypatch):
    assert rehearsal_wanted(Settings(), MemorySecretStore())
    for k, v in {"APP_KEY": "k", "SOURCE_ID": "1", "SHOP_NO": "2", "APP_SECRET": "s"}.items():
        monkeypatch.setenv(f"JUPEI_CARRIERS__DADA__{k}", v)
    assert not rehearsal_wanted(Settings(), MemorySecretStore())
    assert rehearsal_wanted(Settings(rehearsal={"mode": "on"}), MemorySecretStore())


async def _track(adapter, attempt, engine, until, steps=40):
    for _ in range(steps):
        snap = await adapter.query(attempt)
        if snap.status is until:
            return snap
        engine.advance(30)
    raise AssertionError(f"{attempt.carrier} never reached {until}: {snap.status}")


@pytest.mark.asyncio
async def test_every_carrier_end_to_end_through_the_gateway():
    engine = SandboxEngine(seed=3, speed=0)
    server = SandboxServer(engine, push_callbacks=False)
    await server.start()
    http = CarrierHttp(timeout_s=3)
    try:
        gw = CarrierGateway(Settings(), MemorySecretStore(), http, SystemClock())
        gw.build(sandbox_url=server.base_url)
        assert gw.ids() == list(CARRIER_IDS)
        now = datetime.now(UTC)
        for n, cid in enumerate(CARRIER_IDS):
            entry = gw.get(cid)
            key = f"GW{n}DELIVER"
            order = sample_order(f"G{n}")
            q = await entry.adapter.quote(order, key=key)
            assert q.carrier == cid and q.fee_fen > 0 and q.distance_m > 0
            att = DeliveryAttempt(1, 1, cid, key, quote_token=q.token, created_at=now)
            res = await entry.adapter.create(order, q, att)
            att = att.with_(
                carrier_order_id=res.carrier_order_id, status=DeliveryStatus.PENDING_ACCEPT
            )
            if entry.rules.tips.supported:
                total = await entry.adapter.add_tip(att, entry.rules.tips.min_fen)
                assert total == entry.rules.tips.min_fen
            snap = await _track(entry.adapter, att, engine, DeliveryStatus.ACCEPTED)
            assert snap.rider is not None and snap.rider.name, cid
            snap = await _track(entry.adapter, att, engine, DeliveryStatus.DELIVERED)
            assert snap.status is DeliveryStatus.DELIVERED
            # a second order: accepted, then cancelled later than the free window -> a fee
            key2 = f"GW{n}CANCEL"
            order2 = sample_order(f"H{n}")
            q2 = await entry.adapter.quote(order2, key=key2)
            att2 = DeliveryAttempt(2, 1, cid, key2, quote_token=q2.token, created_at=now)
            res2 = await entry.adapter.create(order2, q2, att2)
            att2 = att2.with_(carrier_order_id=res2.carrier_order_id)
            await _track(entry.adapter, att2, engine, DeliveryStatus.ACCEPTED)
            engine.advance(90)
            fee = await entry.adapter.cancel(att2, "顾客取消")
            assert fee == 200, cid
            snap2 = await entry.adapter.query(att2)
            assert snap2.status is DeliveryStatus.CANCELLED, cid
        assert engine.live_count() == 0
    finally:
        await http.aclose()
        await server.stop()


def test_cli_sandbox_serves_all_six(tmp_path):
    port = 18740 + os.getpid() % 500
    with subprocess.Popen(
        [sys.executable, "-m", "app", "sandbox", "--port", str(port), "--sources-port", "-1"],
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    ) as proc:
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    stats = httpx.get(f"http://127.0.0.1:{port}/__sandbox/stats", timeout=1).json()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            assert "sim_now" in stats
            for cid in CARRIER_IDS:  # each mounted: an unsigned call is refused, not 404
                r = httpx.post(f"http://127.0.0.1:{port}/{cid}/x", timeout=2)
                assert r.status_code != 500
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=10) == 0
