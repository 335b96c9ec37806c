"""The 订单来源 page shows 有赞 and 抖音来客 from their rules alone (no page code per
source): their keys with labels, the secret into the secret store, and "test connection"
against each simulator (a fresh access token)."""

from __future__ import annotations

import pytest

from app.core.sandbox.sources.common import LoopbackServer
from app.core.sandbox.sources.douyin import DouyinSim
from app.core.sandbox.sources.youzan import YouzanSim
from app.ui.settings.dialog import SettingsDialog

pytestmark = [pytest.mark.gui, pytest.mark.asyncio]


async def test_youzan_and_douyin_groups_test_their_connection(qtbot, tmp_path, tmp_data):
    from tests.helpers import started_core

    async with (
        LoopbackServer(YouzanSim().make_app()) as yz_api,
        LoopbackServer(DouyinSim().make_app()) as dy_api,
        started_core(tmp_path) as core,
    ):
        dlg = SettingsDialog(core.service)
        qtbot.addWidget(dlg)
        yz = dlg.sources_page.groups["youzan"]
        assert set(yz.plain) == {"client_id", "kdt_id"} and set(yz.secret) == {"client_secret"}
        yz.base_url.setText(yz_api.url + "/api/v1/")
        yz.plain["client_id"].setText("rehearsal-youzan-client")
        yz.plain["kdt_id"].setText("46110001")
        yz.secret["client_secret"].setText("wrong")
        assert not await yz.test_connection()
        assert "凭据无效" in yz.result.text()
        yz.secret["client_secret"].setText("rehearsal-youzan-secret")  # typed, not saved
        assert await yz.test_connection(), yz.result.text()
        assert "连接成功" in yz.result.text()

        dy = dlg.sources_page.groups["douyin"]
        assert "client_secret" in dy.secret and "ma_app_id" in dy.plain
        dy.base_url.setText(dy_api.url + "/api/v1/")
        dy.plain["client_key"].setText("rehearsal-douyin-key")
        dy.plain["ma_app_id"].setText("tt0000rehearsal")
        dy.secret["client_secret"].setText("rehearsal-douyin-secret")
        assert await dy.test_connection(), dy.result.text()
        dy.mode.setCurrentIndex(dy.mode.findData("push"))
        assert await dlg.save()
        assert core.service.source_secret_present("douyin", "client_secret")
        assert core.service.settings.sources.douyin.mode == "push"
