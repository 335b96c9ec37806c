"""Settings behind the PIN: plain keys into the TOML, secret keys into the keyring only."""

from __future__ import annotations

import tomllib

import pytest

from app.bootstrap import build_core
from app.core.carriers.registry import CARRIER_IDS, rules
from app.core.sandbox.engine import SandboxEngine
from app.ui.settings.dialog import SettingsDialog
from tests.helpers import make_settings

pytestmark = [pytest.mark.gui, pytest.mark.asyncio]


def _carrier_with_secret() -> tuple[str, str, str | None]:
    for cid in CARRIER_IDS:
        r = rules(cid)
        if r.secret_keys:
            plain = next((k for k in r.credential_keys if k not in r.secret_keys), None)
            return cid, r.secret_keys[0], plain
    pytest.skip("no carrier declares a secret key yet")


async def test_settings_save_secret_to_keyring_not_file(qtbot, tmp_path, memory_keyring, tmp_data):
    cfg = tmp_path / "config.toml"
    core = build_core(make_settings(tmp_path), config_path=cfg,
                      sandbox_engine=SandboxEngine(seed=1, speed=0))  # fmt: skip
    await core.start(pos=False)
    try:
        svc = core.service
        assert not svc.manager_pin_set()
        await svc.set_pin("2468")
        assert svc.check_pin("2468") and not svc.check_pin("0000")
        dlg = SettingsDialog(svc)
        qtbot.addWidget(dlg)
        cid, secret_key, plain_key = _carrier_with_secret()
        page = dlg.carrier_pages[cid]
        page.secret[secret_key].setText("s3cr3t-value-42")
        if plain_key:
            page.plain[plain_key].setText("plain-id-7")
        dlg.forms["store"].editors["name"].widget.setText("测试门店")
        dlg.forms["alerts"].editors["repeat_s"].widget.setValue(45)
        dlg.tiles.setCurrentText("osm")
        assert await dlg.save()
        from app.ui.prefs import tile_source

        assert tile_source() == "osm" and (tmp_data / "config" / "ui.ini").exists()
        assert svc.settings.store.name == "测试门店" and svc.settings.alerts.repeat_s == 45
        assert svc.carrier_secret_present(cid, secret_key)
        assert "s3cr3t-value-42" in memory_keyring.store.values()
        text = cfg.read_text(encoding="utf-8")
        assert "s3cr3t-value-42" not in text
        data = tomllib.loads(text)
        assert data["store"]["name"] == "测试门店"
        if plain_key:
            assert data["carriers"][cid][plain_key] == "plain-id-7"
    finally:
        await core.stop()


async def test_test_connection_quotes_through_the_adapter(qtbot, tmp_path, tmp_data):
    from tests.helpers import started_core

    async with started_core(tmp_path) as core:
        dlg = SettingsDialog(core.service)
        qtbot.addWidget(dlg)
        page = dlg.carrier_pages["dada"]
        assert await page.test_connection(), page.result.text()
        assert "¥" in page.result.text()


async def test_first_day_check_button_reports_against_the_rehearsal_sandbox(
    qtbot, tmp_path, tmp_data
):
    from tests.helpers import started_core

    async with started_core(tmp_path) as core:
        dlg = SettingsDialog(core.service)
        qtbot.addWidget(dlg)
        page = dlg.carrier_pages["uupt"]
        seen: list[str] = []  # every text the label showed: the steps, then the report
        show = page.check_result.setText

        def record(text: str) -> None:
            seen.append(text)
            show(text)

        page.check_result.setText = record
        assert await page.run_check(), page.check_result.text()
        assert seen[:2] == ["检查中…", "检查中：询价"] and "结果：全部一致" in seen[-1]
        text = page.check_result.text()
        assert "UU跑腿 (uupt)" in text and "结果：全部一致" in text
        assert page.check_button.isEnabled()
        assert core.sandbox is not None
        core.sandbox.engine.set_variant("uupt", "timestamp_unit", "ms")
        assert not await page.run_check()
        assert '[carriers.uupt.options] timestamp_unit = "ms"' in page.check_result.text()


async def test_head_office_values_are_read_only_and_saved_locally_only(
    qtbot, tmp_path, memory_keyring, tmp_data
):
    cfg = tmp_path / "config.toml"
    core = build_core(make_settings(tmp_path, dispatch={"fee_cap_fen": 999}), config_path=cfg,
                      sandbox_engine=SandboxEngine(seed=1, speed=0))  # fmt: skip
    await core.start(pos=False)
    try:
        svc = core.service
        doc = {"dispatch": {"fee_cap_fen": 1500}, "carriers": {"dada": {"shop_no": "A-001"}}}
        assert await svc.apply_headoffice(3, doc)
        dlg = SettingsDialog(svc)
        qtbot.addWidget(dlg)
        assert dlg.locked == ["carriers.dada.shop_no", "dispatch.fee_cap_fen"]
        cap = dlg.forms["dispatch"].editors["fee_cap_fen"].widget
        assert not cap.isEnabled() and "总部设定" in cap.toolTip()
        assert cap.text() == "1500"
        assert dlg.forms["dispatch"].editors["race"].widget.isEnabled()  # local
        dlg.forms["alerts"].editors["repeat_s"].widget.setValue(45)
        assert await dlg.save()
        data = tomllib.loads(cfg.read_text(encoding="utf-8"))
        assert data["alerts"]["repeat_s"] == 45
        assert data["dispatch"]["fee_cap_fen"] == 999  # the local value stays in the file
        assert svc.settings.dispatch.fee_cap_fen == 1500
    finally:
        await core.stop()
