"""The 订单来源 page: plain keys into ``[sources.<id>]`` of the TOML, secrets into the secret
store only; test connection and the 饿了么 authorisation against the simulators."""

from __future__ import annotations

import tomllib
from urllib.parse import parse_qs, urlsplit

import pytest

from app.bootstrap import build_core
from app.core.sandbox.engine import SandboxEngine
from app.core.sandbox.sources.common import LoopbackServer
from app.core.sandbox.sources.eleme import ElemeSim
from app.core.sandbox.sources.meituan import MeituanSim
from app.core.secrets import MemorySecretStore
from app.ui.settings.dialog import SettingsDialog
from tests.helpers import make_settings

pytestmark = [pytest.mark.gui, pytest.mark.asyncio]


async def test_sources_page_saves_plain_keys_to_file_and_secrets_to_the_store(
    qtbot, tmp_path, tmp_data
):
    cfg = tmp_path / "config.toml"
    store = MemorySecretStore()
    core = build_core(make_settings(tmp_path), config_path=cfg, secrets=store,
                      sandbox_engine=SandboxEngine(seed=1, speed=0))  # fmt: skip
    await core.start(pos=False)
    try:
        svc = core.service
        dlg = SettingsDialog(svc)
        qtbot.addWidget(dlg)
        mt = dlg.sources_page.groups["meituan"]
        assert mt.mode.currentData() == "off"
        mt.mode.setCurrentIndex(mt.mode.findData("push"))
        mt.push_base_url.setText("https://relay.example.com/api/v1/sources/meituan/")
        assert "https://relay.example.com/api/v1/sources/meituan/order" in mt.push_hint.text()
        assert "/refund" in mt.push_hint.text()
        mt.plain["app_id"].setText("1000")
        mt.plain["app_poi_code"].setText("S001")
        mt.secret["app_secret"].setText("mt-secret-9f3")
        mt.auto_confirm.setChecked(False)
        mt.pull_interval_s.setValue(90)
        el = dlg.sources_page.groups["eleme"]
        el.mode.setCurrentIndex(el.mode.findData("pull"))
        el.plain["shop_id"].setText("720032")
        el.secret["access_token"].setText("el-token-77")
        assert "sign_key" not in mt.secret  # MTOp keys only with options.variant = "mtop"
        assert await dlg.save()
        s = svc.settings.sources
        assert (s.meituan.mode, s.meituan.auto_confirm, s.meituan.pull_interval_s) == (
            "push",
            False,
            90,
        )
        assert s.meituan.push_base_url == "https://relay.example.com/api/v1/sources/meituan"
        assert store.get("sources.meituan.app_secret") == "mt-secret-9f3"
        assert store.get("sources.eleme.access_token") == "el-token-77"
        text = cfg.read_text(encoding="utf-8")
        assert "mt-secret-9f3" not in text and "el-token-77" not in text
        data = tomllib.loads(text)["sources"]
        assert data["meituan"]["app_id"] == "1000" and data["meituan"]["mode"] == "push"
        assert data["eleme"]["shop_id"] == "720032" and "access_token" not in data["eleme"]
        again = SettingsDialog(svc)  # reopened: the secret shows as stored, never its value
        qtbot.addWidget(again)
        field = again.sources_page.groups["meituan"].secret["app_secret"]
        assert field.text() == "" and "已保存" in field.placeholderText()
    finally:
        await core.stop()


async def test_test_connection_and_eleme_authorisation(qtbot, tmp_path, tmp_data):
    from tests.helpers import started_core

    mt_sim, el_sim = MeituanSim(), ElemeSim()
    mt_sim.new_order()
    async with (
        LoopbackServer(mt_sim.make_app()) as mt_api,
        LoopbackServer(el_sim.make_app()) as el_api,
        started_core(tmp_path) as core,
    ):
        dlg = SettingsDialog(core.service)
        qtbot.addWidget(dlg)
        mt = dlg.sources_page.groups["meituan"]
        mt.base_url.setText(mt_api.url + "/api/v1/")
        mt.plain["app_id"].setText("1000")
        mt.plain["app_poi_code"].setText("S001")
        mt.secret["app_secret"].setText("wrong")
        assert not await mt.test_connection()
        assert "凭据无效" in mt.result.text()
        mt.secret["app_secret"].setText("rehearsal-mt-wm-secret")  # typed, not saved
        assert await mt.test_connection(), mt.result.text()
        assert "连接成功" in mt.result.text()

        el = dlg.sources_page.groups["eleme"]
        el.base_url.setText(el_api.url + "/api/v1/")
        el.plain["app_key"].setText("rehearsal-eleme-key")
        el.plain["shop_id"].setText("720032")
        el.redirect_uri.setText("https://example.com/cb")
        el.secret["app_secret"].setText("rehearsal-eleme-secret")
        opened = []
        el.open_url = opened.append
        url = el.authorize()
        assert opened and opened[0].toString() == url == el.auth_url.text()
        state = parse_qs(urlsplit(url).query)["state"][0]
        code = el_sim.issue_code("https://example.com/cb")
        el.code.setText(f"https://example.com/cb?code={code}&state={state}")
        assert await el.exchange(), el.result.text()
        assert core.service.source_secret_present("eleme", "access_token")
        assert el.code.text() == ""
        assert await el.test_connection(), el.result.text()


async def test_pull_only_and_pos_sources_get_their_groups(qtbot, tmp_path, tmp_data):
    """客如云 and 哗啦啦 appear with no source-specific UI code: their keys from the rules,
    secrets as password fields; each source offers only the modes its rules allow."""
    store = MemorySecretStore()
    core = build_core(make_settings(tmp_path), config_path=tmp_path / "config.toml",
                      secrets=store, sandbox_engine=SandboxEngine(seed=1, speed=0))  # fmt: skip
    await core.start(pos=False)
    try:
        dlg = SettingsDialog(core.service)
        qtbot.addWidget(dlg)
        kry = dlg.sources_page.groups["keruyun"]
        assert set(kry.plain) == {"app_key", "shop_identy"} and set(kry.secret) == {"token"}
        hll = dlg.sources_page.groups["hualala"]
        assert "拉取" in hll.push_hint.text()
        offered = {
            sid: [g.mode.itemData(i) for i in range(g.mode.count())]
            for sid, g in dlg.sources_page.groups.items()
        }  # from each source's rules: 哗啦啦 no push, 客如云/有赞/抖音 no pull
        assert offered == {
            "meituan": ["off", "push", "pull"],
            "eleme": ["off", "push", "pull"],
            "keruyun": ["off", "push"],
            "hualala": ["off", "pull"],
            "youzan": ["off", "push"],
            "douyin": ["off", "push"],
        }
        hll.mode.setCurrentIndex(hll.mode.findData("pull"))
        hll.plain["group_id"].setText("1001")
        hll.secret["app_secret"].setText("hll-secret-1")
        kry.secret["token"].setText("kry-token-2")
        assert await dlg.save()
        s = core.service.settings.sources
        assert s.hualala.mode == "pull" and s.hualala.credential("group_id") == "1001"
        assert store.get("sources.hualala.app_secret") == "hll-secret-1"
        assert store.get("sources.keruyun.token") == "kry-token-2"
    finally:
        await core.stop()
