"""设置 → 隐私: ``[privacy] retain_days`` edited behind the PIN, saved into the TOML and
read live by the nightly retention job."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from app.bootstrap import build_core
from app.core.sandbox.engine import SandboxEngine
from app.ui.settings.dialog import SettingsDialog
from tests.helpers import make_settings

pytestmark = [pytest.mark.gui, pytest.mark.asyncio]
SHOT = Path("/tmp/shots/o4_privacy_settings.png")


async def test_retain_days_saved_and_read_live(qtbot, tmp_path, memory_keyring, tmp_data):
    cfg = tmp_path / "config.toml"
    core = build_core(make_settings(tmp_path), config_path=cfg,
                      sandbox_engine=SandboxEngine(seed=1, speed=0))  # fmt: skip
    await core.start(pos=False)
    try:
        svc = core.service
        assert core.retention is not None and core.retention.retain_days() == 90
        dlg = SettingsDialog(svc)
        qtbot.addWidget(dlg)
        tab = [dlg.tabs.tabText(i) for i in range(dlg.tabs.count())].index("隐私")
        dlg.tabs.setCurrentIndex(tab)
        days = dlg.forms["privacy"].editors["retain_days"].widget
        assert days.objectName() == "privacy.retain_days"
        assert days.minimum() == 1 and days.value() == 90
        assert "所在区" in dlg.findChild(type(dlg.status), "privacyNote").text()
        days.setValue(30)
        dlg.resize(760, 620)
        dlg.show()
        if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
            SHOT.parent.mkdir(parents=True, exist_ok=True)
            dlg.grab().save(str(SHOT))
        assert await dlg.save()
        assert svc.settings.privacy.retain_days == 30
        assert core.retention.retain_days() == 30  # the job reads the saved settings
        assert tomllib.loads(cfg.read_text(encoding="utf-8"))["privacy"]["retain_days"] == 30
        dlg.close()
    finally:
        await core.stop()
