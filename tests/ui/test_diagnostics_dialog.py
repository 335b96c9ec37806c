"""Tools -> 诊断包…: the diagnostics ZIP made off the Qt thread with progress, from the
window's menu; the pack holds the running app's own view and no secret."""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

import pytest

from app.core.logs import REDACTOR
from app.ui.diagnostics_dialog import DiagnosticsDialog
from app.ui.main_window import MainWindow
from tests.helpers import POS_SECRET, sample_order, started_core

pytestmark = [pytest.mark.gui, pytest.mark.asyncio, pytest.mark.integration]
SHOT = Path("/tmp/shots/o5_diagnostics.png")


async def test_menu_opens_diagnostics_and_the_pack_is_made_off_thread(qtbot, tmp_path, tmp_data):
    win = MainWindow.shell(store_name="诊断店", rehearsal=True)
    qtbot.addWidget(win)
    async with started_core(tmp_path) as core:
        svc = core.service
        await svc.receive_order(sample_order("D1"), "h1", "pos")
        win.attach(svc, tile_source="offline")
        await win.start()
        win.core_ready()
        from app.ui.alerts import Alert

        win.alerts.unacked[(7, "stalled")] = Alert(7, "stalled", "无人接单，顾客 13912345678")
        win.show_config_problem("配置文件有误：config.toml，第 3 行", on_last_good=True)
        act = win.actions_by_name["diagnostics"]
        assert act.objectName() == "act_diagnostics" and act.text() == "诊断包…"
        act.trigger()
        (dlg,) = [w for w in win.findChildren(DiagnosticsDialog) if w.isVisible()]
        qtbot.addWidget(dlg)
        seen: list[int] = []
        dlg.progressed.connect(lambda pct, _w: seen.append(pct))
        dlg.path_edit.setText(str(tmp_path / "out"))  # a folder: the dated name goes in it
        (tmp_path / "out").mkdir()
        path = await dlg.run()
        assert path is not None and path.parent == tmp_path / "out" and path.exists()
        assert re.fullmatch(r"jupei-diagnostics-\d{8}-\d{6}Z\.zip", path.name)
        assert dlg.progress.value() == 100 and path.name in dlg.status.text()
        assert dlg.path_edit.text() == str(path)
        assert "integrity: ok" in dlg.summary.toPlainText()
        assert str(tmp_data) in dlg.summary.toPlainText()  # this PC's config dir, not ~
        assert dlg.make_button.isEnabled() and dlg.open_button.isEnabled()
        assert seen and seen == sorted(seen)  # progress came through the queued signal
        with zipfile.ZipFile(path) as z:
            texts = {n: z.read(n).decode("utf-8") for n in z.namelist()}
        health = json.loads(texts["health.json"])
        assert "printers" in health["live"] and "sources" in health["live"]
        (alert,) = health["live"]["alerts"]  # the counter's unacknowledged alerts, masked
        assert alert["kind"] == "stalled" and alert["message"] == "无人接单，顾客 139****5678"
        assert "第 3 行" in texts["config_problem.txt"]  # the window's red banner
        assert json.loads(texts["database.json"])["row_counts"]["orders"] == 1
        assert not [n for n, t in texts.items() if POS_SECRET in t]
        assert not [n for n, t in texts.items() if "13812345678" in t]
        if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
            SHOT.parent.mkdir(parents=True, exist_ok=True)
            dlg.grab().save(str(SHOT))
        dlg.close()
        win.close()
    assert REDACTOR.redact(POS_SECRET) == "***"  # the core registered it; the pack used it


async def test_a_failed_write_is_said_in_the_dialog(qtbot, tmp_path, tmp_data):
    async with started_core(tmp_path) as core:
        dlg = DiagnosticsDialog(core.service, folder=tmp_path)
        qtbot.addWidget(dlg)
        blocker = tmp_path / "file"
        blocker.write_text("x")
        dlg.path_edit.setText(str(blocker / "sub" / "d.zip"))  # a file where a folder must be
        assert await dlg.run() is None
        assert dlg.status.text().startswith("生成失败") and dlg.make_button.isEnabled()
        assert not dlg.open_button.isEnabled()


async def test_english_catalogue_has_the_diagnostics_strings():
    from PySide6.QtCore import QTranslator

    import app.ui.diagnostics_dialog as mod

    qm = Path(__file__).resolve().parents[2] / "resources" / "i18n" / "jupei_en.qm"
    t = QTranslator()
    assert t.load(str(qm))
    assert t.translate("MainWindow", "诊断包…") == "Diagnostics pack…"
    source = Path(mod.__file__).read_text(encoding="utf-8")
    # every _tr("...") of the dialog; the intro is two literals joined, taken whole
    zh = {s for s in re.findall(r'_tr\(\s*"([^"]+)"', source) if not s.startswith("把版本")}
    zh.add("把版本、系统、配置（不含密钥）、最近的日志（已脱敏）、数据库检查和运行状况打包成一个 ZIP，发给客服。包里没有密钥，也没有完整的手机号。")  # fmt: skip
    assert len(zh) >= 18
    missing = [s for s in zh if not t.translate("DiagnosticsDialog", s)]
    assert missing == []


async def test_the_pack_through_the_real_service_proxy(qtbot, tmp_path, tmp_data):
    """As in the app: the service lives on the core thread behind ``ServiceProxy``; the
    dialog's worker thread reaches printer states, source health and the secret store."""
    from app.bootstrap import build_core
    from app.core.runtime import CoreRuntime
    from app.core.sandbox.engine import SandboxEngine
    from app.core.secrets import MemorySecretStore
    from app.ui.bridge import ServiceProxy
    from tests.helpers import make_settings

    token = "PROXYCANARY-hub-token-0c7d"
    settings = make_settings(tmp_path)
    rt = CoreRuntime(name="test-core")
    rt.start()
    core = None
    try:
        proxy = ServiceProxy(rt, settings=settings)

        async def start():
            core = build_core(
                settings,
                secrets=MemorySecretStore({"hub.device_token": token}),
                sandbox_engine=SandboxEngine(seed=1, speed=0),
            )
            await core.start(pos=False)
            return core

        core = await rt.run(start())
        proxy.attach(core.service)
        log_dir = tmp_data / "log"
        log_dir.mkdir(exist_ok=True)
        (log_dir / "jupei.log").write_text(f"x WARNING y: token {token}\n", encoding="utf-8")
        dlg = DiagnosticsDialog(proxy, folder=tmp_path)
        qtbot.addWidget(dlg)
        path = await dlg.run()
        assert path is not None, dlg.status.text()
        with zipfile.ZipFile(path) as z:
            texts = {n: z.read(n).decode("utf-8") for n in z.namelist()}
        live = json.loads(texts["health.json"])["live"]
        assert "error" not in live and isinstance(live["printers"], list)
        assert "y: token ***" in texts["errors.txt"]  # the store's value, learnt and masked
        assert not [n for n, t in texts.items() if token in t]
    finally:
        if core is not None:
            await rt.run(core.stop())
        rt.stop()
