"""Head-office settings (issue 16 item 5) and hub operations (item 7) on PostgreSQL:
brand ← group ← store precedence, versions only grow, secrets and local-only sections
refused, the store-scoped ``GET /hub/v1/settings``, a real counter core applying them
(effective settings, locked keys refused by save, the file keeps local values, offline
restart keeps the last applied version), the audit log, lag per store, rate limits."""

from __future__ import annotations

import json
import logging
import os
import tomllib
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.bootstrap import build_core
from app.core.config import Settings
from app.core.headoffice import (
    HeadOfficeLocked,
    HeadOfficeRejected,
    changed_locked,
    check_document,
    local_part,
    locked_paths,
    overlay,
)
from app.core.sandbox.engine import SandboxEngine
from app.core.sandbox.sources.meituan import MeituanSim
from app.core.secrets import MemorySecretStore
from app.hub.client import DEVICE_TOKEN_SECRET
from app.hub.hq import HqRepo
from tests.fakes.hub import InProcessHub, run_cli
from tests.helpers import make_settings, wait_until

MT_SECRET = "hq-test-mt-secret"

BRAND = {
    "dispatch": {"fee_cap_fen": 1500, "tip_ladder_fen": [200, 500], "preferred": ["dada"]},
    "carriers": {"dada": {"enabled": True, "app_key": "brand-key", "source_id": "73753"}},
    "printing": {"template": "brand"},
}
GROUP = {"dispatch": {"fee_cap_fen": 1200}}
STORE_A = {"carriers": {"dada": {"shop_no": "A-001"}}}  # brand account, its own shop number
STORE_B = {"carriers": {"dada": {"app_key": "own-key", "source_id": "9", "shop_no": "B-9"}}}


def test_document_rules_are_pure_and_strict():
    with pytest.raises(HeadOfficeRejected, match="secrets never travel"):
        check_document({"carriers": {"dada": {"app_secret": "x"}}})
    with pytest.raises(HeadOfficeRejected, match="set on each PC"):
        check_document({"printing": {"printers": []}})
    with pytest.raises(HeadOfficeRejected, match="set on each PC"):
        check_document({"pos": {"port": 1}})
    with pytest.raises(HeadOfficeRejected, match="not valid"):
        check_document({"dispatch": {"fee_cap_fen": "lots"}})
    local = Settings.model_validate({"dispatch": {"fee_cap_fen": 999, "race": True}})
    eff = overlay(local, BRAND)
    assert eff.dispatch.fee_cap_fen == 1500 and eff.dispatch.race is True
    assert eff.carriers.get("dada").credential("app_key") == "brand-key"
    assert "dispatch.fee_cap_fen" in locked_paths(BRAND)
    assert "carriers.dada.app_key" in locked_paths(BRAND)
    # a save that changes a locked value is caught; one that changes a local value is not
    changed = eff.model_copy(
        update={"dispatch": eff.dispatch.model_copy(update={"fee_cap_fen": 1})}
    )
    assert changed_locked(changed, BRAND) == ["dispatch.fee_cap_fen"]
    fine = eff.model_copy(update={"dispatch": eff.dispatch.model_copy(update={"race": False})})
    assert changed_locked(fine, BRAND) == []
    # the file keeps the local value of a locked key, and the local change
    kept = local_part(fine, local, BRAND)
    assert kept.dispatch.fee_cap_fen == 999 and kept.dispatch.race is False
    assert kept.carriers.get("dada").credential("app_key") is None


@pytest.mark.asyncio
async def test_layers_precedence_versions_and_the_store_scoped_endpoint(hub_db_url):
    async with InProcessHub(hub_db_url, {"meituan": MT_SECRET}) as hub:
        hq = HqRepo(hub.engine)
        a, _ = hub.add_store("人民路店", "上海")
        b, _ = hub.add_store("西湖店", "杭州")
        now = hub.clock.now()
        assert hq.effective(a).version == 0 and hq.effective(a).settings == {}
        v1 = hq.set_layer("brand", "", BRAND, "test", now)
        v2 = hq.set_layer("group", "上海", GROUP, "test", now)
        v3 = hq.set_layer("store", a, STORE_A, "test", now)
        v4 = hq.set_layer("store", b, STORE_B, "test", now)
        assert v1 < v2 < v3 < v4
        ea, eb = hq.effective(a), hq.effective(b)
        assert ea.version == v3 and eb.version == v4  # b is not in 上海: v2 is not its
        sa, sb = overlay(Settings(), ea.settings), overlay(Settings(), eb.settings)
        assert sa.dispatch.fee_cap_fen == 1200  # group over brand
        assert sb.dispatch.fee_cap_fen == 1500  # brand only
        assert sa.dispatch.tip_ladder_fen == [200, 500] == sb.dispatch.tip_ladder_fen
        # a brand account with the store's shop number, and a store on its own account
        da, db = sa.carriers.get("dada"), sb.carriers.get("dada")
        assert (da.credential("app_key"), da.credential("shop_no")) == ("brand-key", "A-001")
        assert (db.credential("app_key"), db.credential("shop_no")) == ("own-key", "B-9")
        # a layer is replaced whole; the version still only grows
        v5 = hq.set_layer("group", "上海", {"dispatch": {"tip_ladder_fen": [300]}}, "t", now)
        ea2 = hq.effective(a)
        assert ea2.version == v5 > ea.version
        assert overlay(Settings(), ea2.settings).dispatch.fee_cap_fen == 1500
        with pytest.raises(HeadOfficeRejected):
            hq.set_layer("brand", "", {"carriers": {"sf": {"dev_key": "x"}}}, "t", now)
        with pytest.raises(LookupError):
            hq.set_layer("group", "北京", GROUP, "t", now)
        assert hq.effective(a).version == v5  # refused changes make no version

        ta, tb = hub.device(a), hub.device(b)
        async with httpx.AsyncClient() as http:
            url = hub.url + "/hub/v1/settings"
            r = await http.get(url, headers={"Authorization": f"Bearer {ta}"})
            assert r.status_code == 200
            assert r.json() == {"store_id": a, "version": v5, "settings": ea2.settings}
            r = await http.get(url, params={"after": v5}, headers={"Authorization": f"Bearer {ta}"})
            assert r.status_code == 204
            r = await http.get(url, params={"store": a}, headers={"Authorization": f"Bearer {tb}"})
            assert r.status_code == 403  # another store's settings: refused
            assert (await http.get(url)).status_code == 401
        audit = hq.audit_entries(100)
        actions = [e.action for e in audit]
        assert actions.count("settings_set") == 5
        assert actions.count("store_added") == 2 and actions.count("device_enrolled") == 2


@pytest.mark.asyncio
async def test_counter_applies_locks_and_keeps_the_last_version_offline(hub_db_url, tmp_path):
    config = tmp_path / "config.toml"
    secrets = MemorySecretStore()
    async with InProcessHub(hub_db_url, {"meituan": MT_SECRET}) as hub:
        hq = HqRepo(hub.engine)
        store_id, _ = hub.add_store("人民路店", "上海")
        secrets.set(DEVICE_TOKEN_SECRET, hub.device(store_id))
        v1 = hq.set_layer("brand", "", BRAND, "test", hub.clock.now())
        settings = make_settings(
            tmp_path,
            dispatch={"fee_cap_fen": 999, "race": True},
            hub={"url": hub.url, "store_id": store_id},
        )
        core = build_core(
            settings,
            secrets=secrets,
            config_path=config,
            sandbox_engine=SandboxEngine(seed=1, speed=0),
        )
        assert core.hub is not None
        svc = core.service
        await core.start(pos=False)
        try:
            await wait_until(lambda: svc.headoffice.version == v1, timeout=20)
            assert svc.settings.dispatch.fee_cap_fen == 1500  # head office's
            assert svc.settings.dispatch.race is True  # local, untouched
            assert svc.settings.printing.template == "brand"
            assert "dispatch.fee_cap_fen" in svc.headoffice_locked()
            # a save that changes a locked value is refused, nothing written
            bad = svc.settings.model_copy(
                update={"dispatch": svc.settings.dispatch.model_copy(update={"fee_cap_fen": 1})}
            )
            with pytest.raises(HeadOfficeLocked, match=r"dispatch\.fee_cap_fen"):
                await svc.save_settings(bad)
            assert not config.exists()
            # a local change saves; the file keeps local values only
            ok = svc.settings.model_copy(
                update={"dispatch": svc.settings.dispatch.model_copy(update={"race": False})}
            )
            await svc.save_settings(ok)
            saved = tomllib.loads(config.read_text(encoding="utf-8"))
            assert saved["dispatch"]["fee_cap_fen"] == 999 and saved["dispatch"]["race"] is False
            assert "app_key" not in saved["carriers"]["dada"]
            assert svc.settings.dispatch.fee_cap_fen == 1500
            # a newer version arrives on the link's next ask
            v2 = hq.set_layer("store", store_id, GROUP, "test", hub.clock.now())
            assert await core.hub.fetch_settings(core.hub._client)  # as the loop does
            assert svc.headoffice.version == v2 and svc.settings.dispatch.fee_cap_fen == 1200
            assert not await core.hub.fetch_settings(core.hub._client)  # nothing newer
            # an older version is never applied over a newer one
            assert not await svc.apply_headoffice(v1, BRAND)
            assert svc.settings.dispatch.fee_cap_fen == 1200
            local = svc.local_settings
        finally:
            await core.stop()
    # the hub is gone: a restart runs with the version applied last, local file under it
    assert local is not None
    core = build_core(
        local, secrets=secrets, config_path=config, sandbox_engine=SandboxEngine(seed=1, speed=0)
    )
    try:
        svc = core.service
        assert svc.headoffice.version == v2
        assert svc.settings.dispatch.fee_cap_fen == 1200
        assert svc.settings.dispatch.race is False
        assert svc.settings.carriers.get("dada").credential("app_key") == "brand-key"
    finally:
        core.service.db.engine.dispose()


@pytest.mark.asyncio
async def test_health_lag_rate_limit_and_access_log(hub_db_url, caplog):
    async with InProcessHub(hub_db_url, {"meituan": MT_SECRET}) as hub:
        store_id, _ = hub.add_store()
        hub.repo.map_ref(store_id, "meituan", "S001", hub.clock.now())
        token = hub.device(store_id)
        sim = MeituanSim(
            secret=MT_SECRET, app_poi_code="S001", push_base_url=hub.url + "/hub/v1/sources/meituan"
        )
        auth = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient() as http:
            doc = (await http.get(hub.url + "/hub/v1/health")).json()
            (row,) = doc["stores"]
            assert row["store_id"] == store_id and row["inbox_lag_s"] == 0.0
            assert row["last_sync_at"] is None
            caplog.set_level(logging.INFO, "jupei.hub.access")
            assert await sim.push_order(sim.new_order())  # recipient 13812345678 in the body
            r = await http.get(
                hub.url + "/hub/v1/sources/meituan/order?recipient_phone=13812345678"
            )
            assert r.status_code in (200, 400, 403)  # unsigned: refused; logged without query
            (row,) = (await http.get(hub.url + "/hub/v1/health")).json()["stores"]
            assert row["inbox_lag_s"] >= 0.0
            inbox = (
                await http.get(hub.url + "/hub/v1/inbox", params={"wait": 0}, headers=auth)
            ).json()
            assert len(inbox["pushes"]) == 1
            await http.post(
                hub.url + "/hub/v1/inbox/ack", json={"cursor": inbox["cursor"]}, headers=auth
            )
            r = await http.post(hub.url + "/hub/v1/sync", json={"rows": []}, headers=auth)
            assert r.status_code == 200, r.text
            (row,) = (await http.get(hub.url + "/hub/v1/health")).json()["stores"]
            assert row["inbox_lag_s"] == 0.0 and row["last_sync_at"] is not None
            # the access log: one JSON object a line, no query, no phone, no token
            lines = [
                json.loads(r.getMessage()) for r in caplog.records if r.name == "jupei.hub.access"
            ]
            assert any(e["path"] == "/hub/v1/inbox" and e["device"] for e in lines)
            text = "\n".join(  # the hub's own logs (httpx here is the test's client)
                r.getMessage() for r in caplog.records if r.name.startswith(("jupei", "app."))
            )
            assert "13812345678" not in text and token not in text

            # per-device token bucket: over the burst, 429 with Retry-After; others unaffected
            limiter = hub.server.limiter
            limiter.rate, limiter.burst = 1.0, 3.0
            limiter._buckets.clear()
            codes = [
                (await http.get(hub.url + "/hub/v1/store", headers=auth)).status_code
                for _ in range(5)
            ]
            assert codes[:3] == [200, 200, 200] and 429 in codes[3:]
            r = await http.get(hub.url + "/hub/v1/store", headers=auth)
            assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
            other = hub.device(store_id)
            r = await http.get(
                hub.url + "/hub/v1/store", headers={"Authorization": f"Bearer {other}"}
            )
            assert r.status_code == 200


def test_rate_limiter_refills_at_its_rate():
    from app.hub.ops import RateLimiter

    rl = RateLimiter(rate=2.0, burst=2.0)
    assert rl.take("d", 0.0) == 0.0 and rl.take("d", 0.0) == 0.0
    assert rl.take("d", 0.0) == pytest.approx(0.5)  # empty: one token in 1/2 s
    assert rl.take("d", 0.5) == 0.0
    assert rl.take("e", 0.5) == 0.0  # another device has its own bucket
    assert RateLimiter(rate=0, burst=0).take("d", 0.0) == 0.0  # 0 = off


@pytest.mark.integration
def test_cli_settings_set_show_and_audit(hub_db_url, tmp_path):
    from app.hub.db import make_engine
    from app.hub.repo import HubRepo

    repo = HubRepo(make_engine(hub_db_url, pool_size=1))
    store_id, _ = repo.add_store("人民路店", "上海", datetime.now(UTC), timedelta(hours=1))
    repo.engine.dispose()
    env = dict(os.environ, JUPEI_HUB__DATABASE_URL=hub_db_url)
    brand = tmp_path / "brand.toml"
    brand.write_text("[dispatch]\nfee_cap_fen = 1500\n[carriers.dada]\nenabled = true\n", "utf-8")
    done = run_cli("hub", "settings", "set", "--brand", "--file", str(brand), env=env)
    assert done.returncode == 0, done.stderr
    assert "version" in done.stdout
    shop = tmp_path / "store.toml"
    shop.write_text('[carriers.dada]\nshop_no = "A-001"\n', "utf-8")
    done = run_cli("hub", "settings", "set", "--store", store_id, "--file", str(shop), env=env)
    assert done.returncode == 0, done.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('[carriers.dada]\napp_secret = "x"\n', "utf-8")
    done = run_cli("hub", "settings", "set", "--brand", "--file", str(bad), env=env)
    assert done.returncode == 1 and "secrets never travel" in done.stderr
    done = run_cli("hub", "settings", "show", "--store", store_id, env=env)
    doc = json.loads(done.stdout)
    assert doc["settings"]["dispatch"]["fee_cap_fen"] == 1500
    assert doc["settings"]["carriers"]["dada"] == {"enabled": True, "shop_no": "A-001"}
    done = run_cli("hub", "store", "revoke", "--store", store_id, env=env)
    assert done.returncode == 0
    done = run_cli("hub", "audit", env=env)
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert "store_revoked" in lines[0]
    assert sum("settings_set" in line for line in lines) == 2
    assert any("store_added" in line for line in lines)
