"""All six carriers through the composition root's gateway, against one sandbox server:
quote, create, track to delivered, tip, cancel with a fee — the rehearsal-mode wiring."""

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from app.core.carriers.gateway import CarrierEntry, CarrierGateway, rehearsal_wanted
from app.core.carriers.http import CarrierHttp
from app.core.carriers.registry import CARRIER_IDS, all_rules, rules
from app.core.clock import SystemClock
from app.core.config import Settings
from app.core.domain import Address, Customer, DeliveryAttempt, DeliveryStatus, Order
from app.core.sandbox.engine import SandboxEngine
from app.core.sandbox.server import SandboxServer
from app.core.secrets import MemorySecretStore
from tests.helpers import sample_order

ROOT = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.integration]


def test_rules_are_complete_data():
    for cid, r in all_rules().items():
        assert r.id == cid and r.name_zh and r.production_base_url.startswith("https://")
        assert r.money_unit in ("fen", "yuan", "cents")
        assert r.coord_system in ("gcj02", "bd09", "gcj02_e6", "wgs84")
        optional = {
            "access_token",
            "webhook_auth",
            "webhook_signing_key",
        }  # held, but not needed to send
        assert set(r.credential_keys) >= set(r.secret_keys) - optional
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


SF_CUSTOMER = Customer("Ada Lovelace", "+14155550123", Address("1 Dr Carlton B Goodlett Pl, San Francisco", 37.7793, -122.4193))  # fmt: skip


def _order(entry: CarrierEntry, tag: str) -> Order:
    o = sample_order(tag)
    return replace(o, customer=SF_CUSTOMER) if entry.rules.overseas else o


async def _deliver_then_cancel(entry: CarrierEntry, engine: SandboxEngine, n: int) -> None:
    """quote -> create -> tip -> tracked to delivered; a second order cancelled with a fee."""
    cid, now = entry.id, datetime.now(UTC)
    key = f"GW{n}DELIVER"
    order = _order(entry, f"G{n}")
    q = await entry.adapter.quote(order, key=key)
    assert q.carrier == cid and q.fee_fen > 0
    assert q.distance_m > 0 or entry.rules.overseas  # Drive quotes carry no distance
    att = DeliveryAttempt(1, 1, cid, key, quote_token=q.token, created_at=now)
    res = await entry.adapter.create(order, q, att)
    att = att.with_(carrier_order_id=res.carrier_order_id, status=DeliveryStatus.PENDING_ACCEPT)
    if entry.rules.tips.supported:
        total = await entry.adapter.add_tip(att, entry.rules.tips.min_fen)
        assert total == entry.rules.tips.min_fen
    snap = await _track(entry.adapter, att, engine, DeliveryStatus.ACCEPTED)
    assert snap.rider is not None and snap.rider.name, cid
    snap = await _track(entry.adapter, att, engine, DeliveryStatus.DELIVERED)
    assert snap.status is DeliveryStatus.DELIVERED
    # a second order: accepted, then cancelled later than the free window -> a fee
    key2 = f"GW{n}CANCEL"
    order2 = _order(entry, f"H{n}")
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
    assert snap2.cancel_fee_fen in (None, 200), cid


@pytest.mark.asyncio
async def test_every_carrier_end_to_end_through_the_gateway():
    engine = SandboxEngine(seed=3, speed=0)
    server = SandboxServer(engine, push_callbacks=False)
    await server.start()
    http = CarrierHttp(timeout_s=3)
    try:
        gw = CarrierGateway(Settings(), MemorySecretStore(), http, SystemClock())
        gw.build(sandbox_url=server.base_url)
        # a store in China (the default) does not see overseas carriers unless enabled
        domestic = [c for c in CARRIER_IDS if not rules(c).overseas]
        assert gw.ids() == domestic and "doordash" not in domestic
        for n, cid in enumerate(domestic):
            await _deliver_then_cancel(gw.get(cid), engine, n)
        assert engine.live_count() == 0
    finally:
        await http.aclose()
        await server.stop()


@pytest.mark.asyncio
@pytest.mark.parametrize("cid", [c for c in CARRIER_IDS if rules(c).overseas])
async def test_overseas_store_rehearses_overseas_carriers_through_the_gateway(cid):
    """[store] country US / currency USD: rehearsal runs DoorDash (JWT-verified) and Uber
    Direct (OAuth bearer tokens) against their sandboxes, in cents; quote -> create ->
    delivered, and a cancel with a fee."""
    engine = SandboxEngine(seed=3, speed=0)
    server = SandboxServer(engine, push_callbacks=False)
    await server.start()
    http = CarrierHttp(timeout_s=3)
    try:
        store = {"country": "us", "currency": "usd", "lat": 37.7838, "lng": -122.4090}
        settings = Settings(store=store)  # type: ignore[arg-type]
        assert (settings.store.country, settings.store.currency) == ("US", "USD")
        gw = CarrierGateway(settings, MemorySecretStore(), http, SystemClock())
        gw.build(sandbox_url=server.base_url)
        assert cid in gw.ids()
        await _deliver_then_cancel(gw.get(cid), engine, 9)
        assert engine.live_count(cid) == 0
    finally:
        await http.aclose()
        await server.stop()


@pytest.mark.parametrize("cid", ["doordash", "uber_direct"])
def test_china_store_sees_overseas_carriers_only_when_enabled(cid):
    china = CarrierGateway(Settings(), MemorySecretStore(), CarrierHttp(), SystemClock())
    china.build(sandbox_url="http://127.0.0.1:9")
    assert cid not in china.ids() and "dada" in china.ids()
    enabled = Settings(carriers={cid: {"enabled": True}})  # type: ignore[arg-type]
    on = CarrierGateway(enabled, MemorySecretStore(), CarrierHttp(), SystemClock())
    on.build(sandbox_url="http://127.0.0.1:9")
    assert cid in on.ids()


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
